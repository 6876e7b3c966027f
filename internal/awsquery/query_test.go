package awsquery

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTooManyParameters(t *testing.T) {
	var b strings.Builder
	for i := range MaxParams + 1 {
		fmt.Fprintf(&b, "p%d=&", i)
	}
	err := ParseQuery(Params{}, b.String())
	var e *Error
	if !errors.As(err, &e) || e.Code != "InvalidQueryParameter" || e.Status != 400 {
		t.Errorf("ParseQuery with %d parameters: %v", MaxParams+1, err)
	}
	// Repeats of one name are one parameter.
	if err := ParseQuery(Params{}, strings.Repeat("a=1&", MaxParams+1)); err != nil {
		t.Errorf("ParseQuery with one name repeated: %v", err)
	}
}

var querySeeds = []string{
	"",
	"Action=GetCallerIdentity&Version=2011-06-15",
	"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&WebIdentityToken=a.b.c",
	"L.member.1=x&L.member.01=y&T.member.1.Key=k&T.member.1.Value=v",
	"a=1&a=2&&=&b&c=%zz",
	"a;b=c;d&e=%C3%A9&f=%FF%FE&g=+plus+",
	"%",
	"x=%2",
	"k=%3Cmd%3A&%E2%82=%C0%AF",
}

// FuzzParseQuery checks the form decoder: it never panics, fails only with
// MalformedQueryString (or InvalidQueryParameter past MaxParams), yields valid UTF-8,
// agrees with url.ParseQuery where both apply, and survives re-encoding.
func FuzzParseQuery(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Params{}
		err := ParseQuery(p, s)
		// url.ParseQuery refuses ';', which AWS (and ParseQuery) take literally.
		std, stdErr := url.ParseQuery(s)
		comparable := !strings.Contains(s, ";")
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Code == "InvalidQueryParameter" && len(std) > MaxParams {
				return
			}
			if !errors.As(err, &e) || e.Code != "MalformedQueryString" || e.Status != http.StatusNotFound {
				t.Fatalf("ParseQuery(%q) failed with %v", s, err)
			}
			if comparable && stdErr == nil {
				t.Fatalf("ParseQuery(%q) failed where url.ParseQuery succeeded", s)
			}
			return
		}
		if comparable && stdErr != nil {
			t.Fatalf("ParseQuery(%q) succeeded where url.ParseQuery failed: %v", s, stdErr)
		}
		for k, v := range p {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				t.Fatalf("ParseQuery(%q) yielded invalid UTF-8: %q=%q", s, k, v)
			}
		}
		if comparable {
			for k, vs := range std {
				if want := strings.ToValidUTF8(vs[0], "\uFFFD"); p[strings.ToValidUTF8(k, "\uFFFD")] != want && utf8.ValidString(k) {
					t.Fatalf("ParseQuery(%q)[%q] = %q, url.ParseQuery's first value is %q", s, k, p[k], want)
				}
			}
		}

		// What ParseQuery decoded, encoded again, decodes to the same.
		enc := url.Values{}
		for k, v := range p {
			enc.Set(k, v)
		}
		again := Params{}
		if err := ParseQuery(again, enc.Encode()); err != nil || !maps.Equal(again, p) {
			t.Fatalf("re-encoding %v gave %v, %v", p, again, err)
		}
	})
}
