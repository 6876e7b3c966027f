package dumpfile

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// memDumper exports recs and imports into got.
type memDumper struct {
	recs []storage.Record
	got  []storage.Record
}

func (m *memDumper) Export(_ context.Context, fn func(storage.Record) error) error {
	for _, r := range m.recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *memDumper) Import(_ context.Context, recs iter.Seq2[storage.Record, error]) error {
	var got []storage.Record
	for r, err := range recs {
		if err != nil {
			return err
		}
		got = append(got, r)
	}
	m.got = got
	return nil
}

func sample() []storage.Record {
	at := time.Date(2026, 11, 29, 1, 2, 3, 4000000, time.UTC)
	classic := false
	return []storage.Record{
		{Keys: &storage.Keys{SigningKeyID: "k1", SigningKey: []byte{0, 1, 0xff}, VerificationKeys: []storage.VerificationKey{{KeyID: "k1", PublicKey: []byte("pub")}}, NextRotation: at, SessionKey: []byte{0xff, 0}}},
		{Role: &storage.Role{AccountID: "123456789012", Name: "R", Path: "/", ARN: "arn:aws:iam::123456789012:role/R", RoleID: "AROA1", AssumeRolePolicyDocument: `{"a":"<&>"}`, CreatedAt: at}},
		{Pool: &storage.Pool{AccountID: "123456789012", Region: "us-east-1", ID: "us-east-1:p", Name: "p", AllowClassicFlow: &classic, Tags: map[string]string{}, CreatedAt: at, UpdatedAt: at}},
		{Identity: &storage.Identity{PoolID: "us-east-1:p", ID: "us-east-1:i", Logins: []storage.Login{{Provider: "graph.facebook.com", Subject: "ü\"\n"}}, CreatedAt: at, UpdatedAt: at}},
		{Identity: &storage.Identity{PoolID: "us-east-1:p", ID: "us-east-1:j", Logins: []storage.Login{}, Disabled: true, CreatedAt: at, UpdatedAt: at}},
	}
}

func TestRoundTrip(t *testing.T) {
	src := &memDumper{recs: sample()}
	var buf bytes.Buffer
	counts, err := Write(t.Context(), &buf, src, "test")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{"keys": 1, "role": 1, "pool": 1, "identity": 2}); !reflect.DeepEqual(counts, want) {
		t.Errorf("Write counts = %v, want %v", counts, want)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != 6 {
		t.Errorf("%d lines, want a header and one line a record", lines)
	}
	dst := &memDumper{}
	got, err := Read(t.Context(), &buf, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, counts) {
		t.Errorf("Read counts = %v, want %v", got, counts)
	}
	if !reflect.DeepEqual(dst.got, src.recs) {
		t.Errorf("records changed on the way:\n got %+v\nwant %+v", dst.got, src.recs)
	}
	// nil and empty stay apart.
	if dst.got[2].Pool.Tags == nil || dst.got[3].Identity.Logins == nil {
		t.Error("nil and empty collections were not kept apart")
	}
}

func TestReadRefuses(t *testing.T) {
	header := `{"format":"idpool-export","version":1}` + "\n"
	for name, c := range map[string]struct{ in, want string }{
		"empty":          {"", "header"},
		"not json":       {"hello\n", "header"},
		"other format":   {`{"format":"other","version":1}` + "\n", "not an idpool export"},
		"newer version":  {`{"format":"idpool-export","version":2}` + "\n", "version 2"},
		"no kind":        {header + "{}\n", "line 2: not exactly one kind"},
		"two kinds":      {header + `{"role":{},"pool":{}}` + "\n", "line 2: not exactly one kind"},
		"unknown field":  {header + `{"pool":{"Name":"x","Colour":"red"}}` + "\n", "line 2"},
		"truncated line": {header + `{"pool":{"Name":"x"}}` + "\n" + `{"pool":{"Na`, "line 3"},
		// As written before session tokens became self-contained.
		"session": {header + `{"pool":{"Name":"x"}}` + "\n" +
			`{"session":{"AccessKeyID":"ASIA1","SecretAccessKey":"s","SessionToken":"t","AccountID":"1","RoleARN":"arn","SessionName":"n","IdentityID":"","PoolID":"","Tags":null,"CreatedAt":"2026-11-29T01:02:03Z","Expiry":"2026-11-29T01:02:03Z"}}` + "\n",
			"line 3: a session: sessions are no longer exported"},
		"session and pool": {header + `{"session":{},"pool":{}}` + "\n", "line 2: a session"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(t.Context(), strings.NewReader(c.in), &memDumper{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Read = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestWriteStopsOnExportError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Write(t.Context(), failWriter{boom}, &memDumper{recs: sample()}, "")
	if !errors.Is(err, boom) {
		t.Errorf("Write = %v, want the writer's error", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &buf, &memDumper{recs: sample()}, ""); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"idpool-export","version":1}` + "\n{\"keys\":null}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		dst := &memDumper{}
		if _, err := Read(context.Background(), bytes.NewReader(in), dst); err != nil {
			return
		}
		for _, r := range dst.got {
			if r.Kind() == "" {
				t.Fatalf("Read passed on a record of no single kind: %+v", r)
			}
		}
	})
}
