package bench

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/idpool/idpool/internal/trust"
)

// awkward strings: quotes, backslashes, every control character, HTML, non-ASCII,
// line and paragraph separators, invalid UTF-8 and a NUL.
var awkward = []string{
	"",
	"plain",
	`quote " and backslash \ and slash /`,
	"tab\tnewline\nreturn\r formfeed\f backspace\b bell\a vtab\v nul\x00 esc\x1b del\x7f",
	"<script>&amp;</script>",
	"üñíçødé 日本語 🎉",
	"line\u2028para\u2029end",
	"bad \xff\xfe utf8 \xc3",
	"us-east-1:6f0a4ab1-23c5-4e5f-9d3a-4c6e8b1f2a7d",
}

// viaEncodingJSON is s after a round trip through encoding/json: invalid UTF-8 bytes
// become U+FFFD, one each.
func viaEncodingJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

func TestAppendJSONStringRoundTrips(t *testing.T) {
	var all strings.Builder
	for i := range 0x80 {
		all.WriteByte(byte(i))
	}
	for _, s := range append(awkward, all.String()) {
		b := appendJSONString([]byte("prefix"), s)
		if !strings.HasPrefix(string(b), "prefix") {
			t.Fatalf("prefix lost: %q", b)
		}
		b = b[len("prefix"):]
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: %s: %v", s, b, err)
		}
		if want := viaEncodingJSON(s); got != want {
			t.Errorf("%q: decoded %q, encoding/json gives %q", s, got, want)
		}
		if strings.ContainsAny(string(b), "\u2028\u2029") {
			t.Errorf("%q: U+2028/2029 not escaped: %s", s, b)
		}
	}
}

func TestBodiesRoundTrip(t *testing.T) {
	for _, s := range awkward {
		check := func(name string, body []byte, want any) {
			t.Helper()
			got := reflect.New(reflect.TypeOf(want)).Interface()
			if err := json.Unmarshal(body, got); err != nil {
				t.Fatalf("%s(%q): %s: %v", name, s, body, err)
			}
			if g := reflect.ValueOf(got).Elem().Interface(); !reflect.DeepEqual(g, want) {
				t.Errorf("%s(%q):\n got %#v\nwant %#v", name, s, g, want)
			}
		}
		v := viaEncodingJSON(s)
		type m = map[string]string
		buf := []byte("stale content that must go")
		check("bodyPool", bodyPool(buf, s), struct{ IdentityPoolId string }{v})
		check("bodyGetCredentials", bodyGetCredentials(buf, s, ""), struct {
			IdentityId string
			Logins     m
		}{v, nil})
		check("bodyGetCredentials+token", bodyGetCredentials(buf, "id", s+"tok"), struct {
			IdentityId string
			Logins     m
		}{"id", m{"cognito-identity.amazonaws.com": v + "tok"}})
		check("bodyDeveloperToken", bodyDeveloperToken(buf, s, s+"dev", 42), struct {
			IdentityPoolId string
			Logins         m
		}{v, m{v + "dev": "user-42"}})
		check("bodyListIdentities", bodyListIdentities(buf, s, 60, s+"next"), struct {
			IdentityPoolId string
			MaxResults     int
			NextToken      string
		}{v, 60, v + "next"})
		check("bodyListIdentities/first", bodyListIdentities(buf, s, 60, ""), struct {
			IdentityPoolId string
			MaxResults     int
			NextToken      *string
		}{v, 60, nil})
		check("bodyLookup", bodyLookup(buf, s, 9999, 10), struct {
			IdentityPoolId          string
			DeveloperUserIdentifier string
			MaxResults              int
		}{v, "user-9999", 10})
		check("bodyCreatePool", bodyCreatePool(buf, s, s), struct {
			IdentityPoolName               string
			AllowUnauthenticatedIdentities bool
			DeveloperProviderName          string
		}{v, true, v})
		check("bodySetRoles", bodySetRoles(buf, s, s+"a", s+"u"), struct {
			IdentityPoolId string
			Roles          m
		}{v, m{"authenticated": v + "a", "unauthenticated": v + "u"}})
	}
}

func TestBodyBuildingDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 4096)
	pool := "us-east-1:6f0a4ab1-23c5-4e5f-9d3a-4c6e8b1f2a7d"
	token := strings.Repeat("t", 900)
	n := testing.AllocsPerRun(100, func() {
		buf = bodyPool(buf, pool)
		buf = bodyDeveloperToken(buf, pool, DeveloperProvider, 1234)
		buf = bodyGetCredentials(buf, pool, token)
		buf = bodyListIdentities(buf, pool, 60, "next")
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// The roles' trust policies are what idpool enforces: the pool's identities of the right
// kind may assume the role, others may not.
func TestTrustPolicy(t *testing.T) {
	pool := `us-east-1:0b8e6f4c-5a2d-4f1e-8c3b-9a7d6e5f4c3b`
	for _, kind := range []string{"authenticated", "unauthenticated"} {
		p, err := trust.Parse(trustPolicy(pool, kind))
		if err != nil {
			t.Fatal(err)
		}
		req := trust.Request{Action: trust.ActionAssumeRoleWithWebIdentity, Aud: pool, Sub: "us-east-1:x", AMR: []string{kind}}
		if !p.Allows(req) {
			t.Errorf("%s role refuses its own identities", kind)
		}
		other := req
		other.Aud = "us-east-1:00000000-0000-0000-0000-000000000000"
		if p.Allows(other) {
			t.Errorf("%s role allows another pool", kind)
		}
		wrong := req
		wrong.AMR = []string{map[string]string{"authenticated": "unauthenticated", "unauthenticated": "authenticated"}[kind]}
		if p.Allows(wrong) {
			t.Errorf("%s role allows %v", kind, wrong.AMR)
		}
	}
}

func TestClassifyError(t *testing.T) {
	for _, c := range []struct {
		status         int
		header, body   string
		wantTyp, wantM string
	}{
		{400, "ResourceNotFoundException:", `{"__type":"ResourceNotFoundException","message":"gone"}`, "ResourceNotFoundException", "gone"},
		{400, "", `{"__type":"com.amazonaws.cognito.identity.model#NotAuthorizedException","message":"no"}`, "NotAuthorizedException", "no"},
		{400, "", `{"__type":"aws.protocoltests#InvalidParameterException:http://internal.amazon.com/coral/","Message":"big M"}`, "InvalidParameterException", "big M"},
		{400, "TooManyRequestsException:http://internal.amazon.com/coral/com.amazon.coral.service/", `{}`, "TooManyRequestsException", ""},
		{400, "", `{"code":"ValidationException","message":"m"}`, "ValidationException", "m"},
		{500, "", "<!doctype html><title>500 Internal Server Error</title>", "HTTP500", ""},
		{502, "", "", "HTTP502", ""},
		{400, "", `not json {`, "HTTP400", ""},
		{413, "RequestEntityTooLargeException:", `{"__type":"RequestEntityTooLargeException"}`, "RequestEntityTooLargeException", ""},
	} {
		typ, msg := ClassifyError(c.status, c.header, []byte(c.body))
		if typ != c.wantTyp || msg != c.wantM {
			t.Errorf("ClassifyError(%d, %q, %q) = %q, %q; want %q, %q", c.status, c.header, c.body, typ, msg, c.wantTyp, c.wantM)
		}
	}
	for typ, want := range map[string]bool{"UnknownOperationException": true, "HTTP500": true, "InvalidAction": true,
		"ResourceNotFoundException": false, "transport": false, "NotAuthorizedException": false} {
		if unsupported(typ) != want {
			t.Errorf("unsupported(%q) = %v", typ, !want)
		}
	}
}
