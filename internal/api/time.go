package api

import (
	"errors"
	"strconv"
	"time"
)

// Time is a timestamp shape of the model. On the wire (AWS JSON 1.1) it is a JSON number
// of seconds since the Unix epoch with millisecond precision, e.g. 1732530000.123, or
// 1732530000 when the milliseconds are zero. It embeds time.Time, so its methods
// (Unix, Before, UTC, ...) apply directly.
type Time struct{ time.Time }

// NewTime returns a *Time holding t, for the pointer fields of the generated types.
func NewTime(t time.Time) *Time { return &Time{t} }

// MarshalJSON writes t as epoch seconds; sub-millisecond digits are truncated, as AWS
// keeps milliseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	return t.appendEpoch(nil), nil
}

func (t Time) appendEpoch(b []byte) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		b = append(b, '-')
		// UnixMilli floors, so ms > math.MinInt64 for every representable time.
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return b
}

// UnmarshalJSON reads epoch seconds from a JSON number, integer or fractional (with or
// without an exponent, e.g. 1.732530000123E9), exactly to the nanosecond. null leaves t
// unchanged. The result is in UTC.
func (t *Time) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	v, err := parseEpoch(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

var errEpoch = errors.New("api: timestamp must be a JSON number of seconds since the epoch")

// parseEpoch parses a JSON number of seconds with exact decimal arithmetic (no float
// rounding), truncating below the nanosecond.
func parseEpoch(s string) (time.Time, error) {
	neg := false
	if s != "" && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	i := digits(s)
	intPart := s[:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return time.Time{}, errEpoch
	}
	s = s[i:]
	frac := ""
	if s != "" && s[0] == '.' {
		j := 1 + digits(s[1:])
		frac = s[1:j]
		if frac == "" {
			return time.Time{}, errEpoch
		}
		s = s[j:]
	}
	exp := 0
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		expNeg := false
		if s != "" && (s[0] == '+' || s[0] == '-') {
			expNeg = s[0] == '-'
			s = s[1:]
		}
		j := digits(s)
		if j == 0 {
			return time.Time{}, errEpoch
		}
		for _, c := range s[:j] {
			if exp < 1_000_000 { // beyond, the value is out of range or below 1ns anyway
				exp = exp*10 + int(c-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
		s = s[j:]
	}
	if s != "" {
		return time.Time{}, errEpoch
	}

	// All significant digits, and where the decimal point falls among them.
	d := intPart + frac
	point := len(intPart) + exp
	for d != "" && d[0] == '0' {
		d = d[1:]
		point--
	}
	for d != "" && d[len(d)-1] == '0' {
		d = d[:len(d)-1]
	}
	if d == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	const maxSecondDigits = 12 // about 31,700 years: far beyond any AWS timestamp
	if point > maxSecondDigits {
		return time.Time{}, errors.New("api: timestamp out of range")
	}
	var sec, nsec int64
	for k := 0; k < point; k++ {
		sec *= 10
		if k < len(d) {
			sec += int64(d[k] - '0')
		}
	}
	for k := 0; k < 9; k++ {
		nsec *= 10
		if idx := point + k; idx >= 0 && idx < len(d) {
			nsec += int64(d[idx] - '0')
		}
	}
	if neg {
		sec = -sec
		if nsec > 0 {
			sec--
			nsec = 1e9 - nsec
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
