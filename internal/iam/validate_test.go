package iam

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestListMembersInIndexOrder(t *testing.T) {
	p := params{}
	if err := parseQuery(p, "L.member.10=ten&L.member.2=two&L.member.1=one&L.member.01=bad&L.member.x=bad&L.memberx.3=bad&M=&T.member.2.Key=k2&T.member.2.Value=v2&T.member.1.Value=v1"); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.list("L"); !ok || !slices.Equal(got, []string{"one", "two", "ten"}) {
		t.Errorf("list(L) = %q, %v; want [one two ten] (numeric order, malformed indexes ignored)", got, ok)
	}
	if got, ok := p.list("M"); !ok || got == nil || len(got) != 0 {
		t.Errorf(`list(M) for "M=" = %#v, %v; want present and empty`, got, ok)
	}
	if got, ok := p.list("N"); ok || got != nil {
		t.Errorf("list(N) = %#v, %v; want absent", got, ok)
	}
	ts := p.tags("T")
	if len(ts) != 2 || ts[0].Key != nil || *ts[0].Value != "v1" || *ts[1].Key != "k2" || *ts[1].Value != "v2" {
		t.Errorf("tags(T) = %+v", ts)
	}
}

func TestSAMLMetadataValidUntil(t *testing.T) {
	for until, want := range map[string]time.Time{
		"":                          {},
		"2030-01-02T03:04:05Z":      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		"2030-01-02T03:04:05.123Z":  time.Date(2030, 1, 2, 3, 4, 5, 123e6, time.UTC),
		"2030-01-02T05:04:05+02:00": time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		"2030-01-02T03:04:05":       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), // no zone: UTC
		" 2030-01-02T03:04:05Z ":    time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		got, err := samlMetadata(metadata("https://idp.example.com", until))
		if err != nil || !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("validUntil %q: %v, %v; want %v", until, got, err, want)
		}
	}
	// The default namespace works as well as a prefix.
	doc := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"><IDPSSODescriptor/></EntityDescriptor>`
	if _, err := samlMetadata(doc); err != nil {
		t.Errorf("default namespace: %v", err)
	}
	for name, doc := range map[string]string{
		"undeclared prefix": `<md:EntityDescriptor entityID="e"/>`,
		"undefined entity":  `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>`,
		"text after root":   `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"/>trailing`,
		"empty":             ``,
		"blank entityID":    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID=" "/>`,
	} {
		if _, err := samlMetadata(doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestOIDCURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://a.example.com":       "https://a.example.com",
		"https://a.example.com///":    "https://a.example.com",
		"https://a.example.com/x/y/":  "https://a.example.com/x/y",
		"https://A.Example.COM/Path":  "https://A.Example.COM/Path",
		"http://127.0.0.1/":           "http://127.0.0.1",
		"http://[::1]/realms/x":       "http://[::1]/realms/x",
		"https://10.0.0.1:8443/realm": "https://10.0.0.1:8443/realm",
	} {
		got, name, err := oidcURL(raw)
		if err != nil || got != want || name != strings.TrimPrefix(strings.TrimPrefix(want, "https://"), "http://") {
			t.Errorf("oidcURL(%q) = %q, %q, %v; want %q", raw, got, name, err, want)
		}
	}
	for _, raw := range []string{
		"http://10.0.0.1", "http://[::2]", "http://localhost.example.com", "http://127.0.0.1@evil.example.com",
		"https://a.example.com/\x00", "https://a.example.com/ü", "https://-a.example.com", "HTTPS://a.example.com",
		"https://a.example.com?", "https://a.example.com:99999", "https://a.example.com:", "https://a.example.com:0", "https://a.example.com:08443",
	} {
		if _, _, err := oidcURL(raw); err == nil {
			t.Errorf("oidcURL(%q) accepted", raw)
		}
	}
}
