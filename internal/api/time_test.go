package api

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeJSONRoundTrip(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.UnixMilli(1732530000123), "1732530000.123"},
		{time.Unix(1732530000, 0), "1732530000"},
		{time.UnixMilli(1732530000120), "1732530000.12"},
		{time.UnixMilli(1732530000001), "1732530000.001"},
		{time.Unix(0, 0), "0"},
		{time.UnixMilli(-1500), "-1.5"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(NewTime(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, want %s", tt.in, b, tt.want)
		}
		var got Time
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if !got.Equal(tt.in) || got.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %v, want %v in UTC", b, got.Time, tt.in)
		}
	}

	// Sub-millisecond digits are truncated on output.
	if b, _ := json.Marshal(Time{time.Unix(1732530000, 123_999_999)}); string(b) != "1732530000.123" {
		t.Errorf("Marshal with nanoseconds = %s", b)
	}
}

func TestTimeInStruct(t *testing.T) {
	in := Credentials{AccessKeyId: "ASIA", Expiration: NewTime(time.UnixMilli(1732530000123))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"AccessKeyId":"ASIA","Expiration":1732530000.123}`; string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	var out Credentials
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Expiration == nil || !out.Expiration.Equal(in.Expiration.Time) {
		t.Fatalf("round trip = %+v", out)
	}
	if b, _ := json.Marshal(Credentials{}); string(b) != `{}` {
		t.Fatalf("Marshal(empty) = %s", b)
	}
}

func TestTimeUnmarshal(t *testing.T) {
	valid := map[string]time.Time{
		"1732530000":            time.Unix(1732530000, 0),
		"1732530000.5":          time.Unix(1732530000, 500_000_000),
		"1.732530000123E9":      time.UnixMilli(1732530000123),
		"1.732530000123e+9":     time.UnixMilli(1732530000123),
		"17325300001230e-4":     time.UnixMilli(1732530000123),
		"1732530000.123456789":  time.Unix(1732530000, 123456789),
		"1732530000.1234567891": time.Unix(1732530000, 123456789),
		"0.000000001":           time.Unix(0, 1),
		"1e-10":                 time.Unix(0, 0),
		"1e-99999999999":        time.Unix(0, 0),
		"-0":                    time.Unix(0, 0),
		"0e5":                   time.Unix(0, 0),
		"-0.25":                 time.Unix(-1, 750_000_000),
		"253402300799":          time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for in, want := range valid {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", in, err)
			continue
		}
		if !got.Equal(want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", in, got.Time, want)
		}
	}
	for _, in := range []string{`"2024-11-25T10:20:00Z"`, `true`, `{}`, `1e13`, `1e99999999999`, `01`, `1.`, `.5`, `1e`, `--1`, `1x`} {
		var got Time
		if err := got.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%s) = %v, want error", in, got.Time)
		}
	}
	orig := time.Unix(5, 0)
	got := Time{orig}
	if err := json.Unmarshal([]byte("null"), &got); err != nil || !got.Equal(orig) {
		t.Errorf("Unmarshal(null) changed the time: %v %v", got.Time, err)
	}
}
