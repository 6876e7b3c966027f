package iam

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var querySeeds = []string{
	"",
	"Action=ListSAMLProviders&Version=2010-05-08",
	"Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Fa.example.com&ClientIDList.member.1=app&ClientIDList.member.2=b&ThumbprintList=",
	"Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.10.Key=k10&Tags.member.2.Value=only",
	"ClientIDList.member.01=x&ClientIDList.member.-1=y&ClientIDList.member.+1=z&ClientIDList.member.999999999999=w",
	"a=1&a=2&&=&b&c=%zz",
	"a;b=c;d&e=%C3%A9&f=%FF%FE&g=+plus+",
	"%",
	"x=%2",
	"Action=CreateSAMLProvider&Name=n&SAMLMetadataDocument=%3Cmd%3A",
}

// FuzzParams checks the list and tag readers over what the form decoder (fuzzed in
// internal/awsquery) yields: they never panic and return what the parameters hold.
func FuzzParams(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := params{}
		if err := parseQuery(p, s); err != nil {
			return
		}
		for _, name := range []string{"ClientIDList", "ThumbprintList"} {
			vals, present := p.list(name)
			if len(vals) > 0 && !present {
				t.Fatalf("%s: members %q but not present", name, vals)
			}
			_, bare := p[name]
			if present != (bare || len(vals) > 0) {
				t.Fatalf("%s: present=%v with %q", name, present, vals)
			}
			for _, v := range vals {
				found := false
				for k, pv := range p {
					if strings.HasPrefix(k, name+".member.") && pv == v {
						found = true
						break
					}
				}
				if !found {
					t.Fatalf("%s: member %q is in no parameter", name, v)
				}
			}
		}
		for _, tg := range p.tags("Tags") {
			if tg.Key == nil && tg.Value == nil {
				t.Fatalf("tags(%q) returned an empty member", s)
			}
		}
	})
}

// FuzzHandler sends arbitrary bodies through the whole handler, with a real store behind
// it: whatever the request, the answer is never a 500 (which would mean a bug or a leaked
// internal error) and is always well-formed XML in IAM's envelope.
func FuzzHandler(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	doc := metadata("https://idp.example.com", "2030-01-01T00:00:00Z")
	for _, s := range []string{
		form("Action", "CreateOpenIDConnectProvider", "Version", Version, "Url", "http://127.0.0.1:9000/realms/demo", "ClientIDList.member.1", "app"),
		form("Action", "GetOpenIDConnectProvider", "Version", Version, "OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9000/realms/demo"),
		form("Action", "AddClientIDToOpenIDConnectProvider", "Version", Version, "OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9000/realms/demo", "ClientID", "x"),
		form("Action", "UpdateOpenIDConnectProviderThumbprint", "Version", Version, "OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9000/realms/demo", "ThumbprintList.member.1", thumbA),
		form("Action", "CreateSAMLProvider", "Version", Version, "Name", "corp", "SAMLMetadataDocument", doc, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"),
		form("Action", "UpdateSAMLProvider", "Version", Version, "SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/corp", "SAMLMetadataDocument", doc),
		form("Action", "ListSAMLProviders", "Version", Version),
		form("Action", "DeleteSAMLProvider", "Version", Version, "SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/corp"),
	} {
		f.Add(s)
	}
	h := New(Config{Store: openStore(f), Auth: &stubAuth{account: testAccount}, Now: func() time.Time { return testNow }})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q:\n%s", rec.Code, body, rec.Body.String())
		}
		d := xml.NewDecoder(rec.Body)
		var root string
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("response to %q is not XML: %v\n%s", body, err, rec.Body.String())
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if ok := rec.Code == http.StatusOK && strings.HasSuffix(root, "Response"); !ok && root != "ErrorResponse" {
			t.Fatalf("status %d with root element %q for %q", rec.Code, root, body)
		}
	})
}
