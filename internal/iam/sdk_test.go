package iam

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const (
	thumbA = "990F4193972F2BECF12DDEDA5237F9C952F20D9E" // sent in upper case, stored in lower
	thumbB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
)

func tagsOf(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagPairs(ts []types.Tag) []string {
	var out []string
	for _, t := range ts {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

func TestOIDCLifecycle(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()

	created, err := c.CreateOpenIDConnectProvider(ctx, &sdkiam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://server.example.com/realms/demo/"),
		ClientIDList:   []string{"app-1", "app-2", "app-1"},
		ThumbprintList: []string{thumbA},
		Tags:           tagsOf("team", "identity", "Env", "prod"),
	})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/server.example.com/realms/demo"
	if got := aws.ToString(created.OpenIDConnectProviderArn); got != arn {
		t.Errorf("ARN = %q, want %q (no scheme, no trailing slash)", got, arn)
	}
	if got := tagPairs(created.Tags); !slices.Equal(got, []string{"Env=prod", "team=identity"}) {
		t.Errorf("create Tags = %q, want them sorted by key", got)
	}
	if authz, body := s.Auth.last(); !strings.HasPrefix(authz, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") ||
		!strings.Contains(authz, "/"+testRegion+"/iam/aws4_request") || !strings.Contains(body, "Version=2010-05-08") {
		t.Errorf("the SDK's request was not signed for iam as expected: Authorization %q, body %q", authz, body)
	}

	got, err := c.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetOpenIDConnectProvider: %v", err)
	}
	if u := aws.ToString(got.Url); u != "server.example.com/realms/demo" {
		t.Errorf("Url = %q, want it without the scheme, as IAM returns it", u)
	}
	if !slices.Equal(got.ClientIDList, []string{"app-1", "app-2"}) {
		t.Errorf("ClientIDList = %q, want the given IDs once each, in order", got.ClientIDList)
	}
	if !slices.Equal(got.ThumbprintList, []string{strings.ToLower(thumbA)}) {
		t.Errorf("ThumbprintList = %q, want it in lower case", got.ThumbprintList)
	}
	if want := testNow.Truncate(time.Second); got.CreateDate == nil || !got.CreateDate.Equal(want) {
		t.Errorf("CreateDate = %v, want %v", got.CreateDate, want)
	}
	if p := tagPairs(got.Tags); !slices.Equal(p, []string{"Env=prod", "team=identity"}) {
		t.Errorf("Tags = %q", p)
	}

	list, err := c.ListOpenIDConnectProviders(ctx, &sdkiam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		t.Fatalf("ListOpenIDConnectProviders: %v", err)
	}
	if len(list.OpenIDConnectProviderList) != 1 || aws.ToString(list.OpenIDConnectProviderList[0].Arn) != arn {
		t.Errorf("ListOpenIDConnectProviders = %+v, want [%s]", list.OpenIDConnectProviderList, arn)
	}

	// Client IDs: adding one that is there and removing one that is not both succeed.
	for _, id := range []string{"app-3", "app-1"} {
		if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &sdkiam.AddClientIDToOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(id)}); err != nil {
			t.Errorf("AddClientIDToOpenIDConnectProvider(%s): %v", id, err)
		}
	}
	for _, id := range []string{"app-2", "never-added"} {
		if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &sdkiam.RemoveClientIDFromOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(id)}); err != nil {
			t.Errorf("RemoveClientIDFromOpenIDConnectProvider(%s): %v", id, err)
		}
	}
	if _, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &sdkiam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{thumbB, thumbA}}); err != nil {
		t.Errorf("UpdateOpenIDConnectProviderThumbprint: %v", err)
	}
	got, err = c.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetOpenIDConnectProvider: %v", err)
	}
	if !slices.Equal(got.ClientIDList, []string{"app-1", "app-3"}) {
		t.Errorf("ClientIDList after add and remove = %q, want [app-1 app-3]", got.ClientIDList)
	}
	if !slices.Equal(got.ThumbprintList, []string{thumbB, strings.ToLower(thumbA)}) {
		t.Errorf("ThumbprintList after update = %q, want the new list whole", got.ThumbprintList)
	}

	if _, err := c.DeleteOpenIDConnectProvider(ctx, &sdkiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteOpenIDConnectProvider: %v", err)
	}
	notFound := "OpenIDConnect Provider not found for arn " + arn
	_, err = c.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantAPIError(t, "GetOpenIDConnectProvider after delete", err, "NoSuchEntity", 404, notFound)
	_, err = c.DeleteOpenIDConnectProvider(ctx, &sdkiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantAPIError(t, "second DeleteOpenIDConnectProvider", err, "NoSuchEntity", 404, notFound)
	list, err = c.ListOpenIDConnectProviders(ctx, &sdkiam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 0 {
		t.Errorf("ListOpenIDConnectProviders after delete = %+v, %v; want none", list, err)
	}
}

func TestOIDCWithoutOptionalMembers(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	out, err := c.CreateOpenIDConnectProvider(ctx, &sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://accounts.example.com")})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider with only Url (ThumbprintList is optional): %v", err)
	}
	if len(out.Tags) != 0 {
		t.Errorf("Tags = %v, want none", out.Tags)
	}
	got, err := c.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Url) != "accounts.example.com" || len(got.ClientIDList) != 0 || len(got.ThumbprintList) != 0 || len(got.Tags) != 0 {
		t.Errorf("GetOpenIDConnectProvider = %+v", got)
	}
}

func TestOIDCLoopbackHTTP(t *testing.T) {
	s := newServer(t, nil)
	for url, name := range map[string]string{
		"http://127.0.0.1:9000/realms/demo": "127.0.0.1:9000/realms/demo",
		"http://127.1.2.3":                  "127.1.2.3",
		"http://localhost:8080/":            "localhost:8080",
		"http://LOCALHOST/x":                "LOCALHOST/x",
		"http://[::1]:8443/issuer":          "[::1]:8443/issuer",
		"https://idp.example.com:8443/x":    "idp.example.com:8443/x",
	} {
		out, err := s.IAM.CreateOpenIDConnectProvider(t.Context(), &sdkiam.CreateOpenIDConnectProviderInput{
			Url: aws.String(url), ClientIDList: []string{"app"}})
		if err != nil {
			t.Errorf("CreateOpenIDConnectProvider(%s): %v", url, err)
			continue
		}
		if want := "arn:aws:iam::" + testAccount + ":oidc-provider/" + name; aws.ToString(out.OpenIDConnectProviderArn) != want {
			t.Errorf("%s: ARN %s, want %s", url, aws.ToString(out.OpenIDConnectProviderArn), want)
		}
	}
}

func TestOIDCCreateErrors(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	if _, err := c.CreateOpenIDConnectProvider(ctx, &sdkiam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://taken.example.com"), ThumbprintList: []string{thumbA}}); err != nil {
		t.Fatal(err)
	}
	many := func(n int, f func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	const badURL = "Invalid Open ID Connect Provider URL."
	for _, tc := range []struct {
		name   string
		in     sdkiam.CreateOpenIDConnectProviderInput
		code   string
		status int
		msg    string
	}{
		{"duplicate", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://taken.example.com")},
			"EntityAlreadyExists", 409, "Provider with url https://taken.example.com already exists."},
		{"duplicate with trailing slash", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://taken.example.com/")},
			"EntityAlreadyExists", 409, "Provider with url https://taken.example.com/ already exists."},
		{"http to a non-loopback host", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("http://server.example.com")},
			"InvalidInput", 400, "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{"http to a host that merely starts with 127", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("http://127.0.0.1.example.com")},
			"InvalidInput", 400, "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{"other scheme", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("ftp://server.example.com")},
			"InvalidInput", 400, ""},
		{"no scheme", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("server.example.com")},
			"ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"no host", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://")},
			"ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"query", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://server.example.com?x=1")}, "InvalidInput", 400, badURL},
		{"fragment", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://server.example.com#x")}, "InvalidInput", 400, badURL},
		{"user info", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://u:p@server.example.com")}, "InvalidInput", 400, badURL},
		{"bad host", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://exa_mple.com")}, "InvalidInput", 400, badURL},
		{"space", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://server.example.com/a b")}, "InvalidInput", 400, badURL},
		{"URL too long", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://" + strings.Repeat("a", 250) + ".com")},
			"ValidationError", 400, "1 validation error detected: Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"thumbprint not hex", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ThumbprintList: []string{strings.Repeat("z", 40)}},
			"InvalidInput", 400, "Thumbprint must be a hex-encoded SHA-1 fingerprint of 40 characters."},
		{"thumbprint too short", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ThumbprintList: []string{thumbA[:39]}},
			"InvalidInput", 400, "Thumbprint must be exactly 40 characters."},
		{"six thumbprints", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"),
			ThumbprintList: many(6, func(i int) string { return strings.Repeat(fmt.Sprint(i), 40) })},
			"InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries."},
		{"101 client IDs", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"),
			ClientIDList: many(101, func(i int) string { return fmt.Sprint("client-", i) })},
			"LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"},
		{"client ID too long", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ClientIDList: []string{"ok", strings.Repeat("c", 256)}},
			"ValidationError", 400, "1 validation error detected: Value at 'clientIDList.2.member' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"empty client ID and long URL", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://" + strings.Repeat("a", 250)), ClientIDList: []string{""}},
			"ValidationError", 400, "2 validation errors detected: Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255; " +
				"Value at 'clientIDList.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"duplicate tag keys", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), Tags: tagsOf("key", "1", "KEY", "2")},
			"InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"bad tag key", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), Tags: tagsOf("a*b", "1")},
			"ValidationError", 400, `1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"51 tags", sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"),
			Tags: tagsOf(many(102, func(i int) string { return fmt.Sprint("k", i/2) })...)},
			"ValidationError", 400, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
	} {
		_, err := c.CreateOpenIDConnectProvider(ctx, &tc.in)
		wantAPIError(t, tc.name, err, tc.code, tc.status, tc.msg)
	}
	list, err := c.ListOpenIDConnectProviders(ctx, &sdkiam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 1 {
		t.Errorf("after the failed creates: ListOpenIDConnectProviders = %+v, %v; want only the first provider", list, err)
	}
}

func TestOIDCUpdateErrors(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	out, err := c.CreateOpenIDConnectProvider(ctx, &sdkiam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://a.example.com"), ClientIDList: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.OpenIDConnectProviderArn
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &sdkiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{}})
	wantAPIError(t, "UpdateOpenIDConnectProviderThumbprint with none", err, "InvalidInput", 400, "Thumbprint list must contain at least one entry.")
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &sdkiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{"nope"}})
	wantAPIError(t, "UpdateOpenIDConnectProviderThumbprint with a bad one", err, "InvalidInput", 400, "")
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &sdkiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("")})
	wantAPIError(t, "AddClientIDToOpenIDConnectProvider with an empty ID", err, "ValidationError", 400,
		"1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length greater than or equal to 1")

	// The 100 client IDs quota holds for additions too.
	for i := 1; i < maxClientIDs; i++ {
		if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &sdkiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(fmt.Sprint("c", i))}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &sdkiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("one too many")})
	wantAPIError(t, "101st client ID", err, "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &sdkiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("app")}); err != nil {
		t.Errorf("adding a client ID that is there, at the quota: %v", err)
	}
}

// TestNoSuchEntity checks every operation that names a provider against one that does
// not exist, one of another account, one of the other kind, and ARNs that are not ARNs.
func TestNoSuchEntity(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	oidc, err := c.CreateOpenIDConnectProvider(ctx, &sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://mine.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	saml, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String("mine"), SAMLMetadataDocument: aws.String(metadata("https://idp.example.com", ""))})
	if err != nil {
		t.Fatal(err)
	}

	oidcOps := map[string]func(arn string) error{
		"GetOpenIDConnectProvider": func(a string) error {
			_, err := c.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &a})
			return err
		},
		"DeleteOpenIDConnectProvider": func(a string) error {
			_, err := c.DeleteOpenIDConnectProvider(ctx, &sdkiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &a})
			return err
		},
		"AddClientIDToOpenIDConnectProvider": func(a string) error {
			_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &sdkiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &a, ClientID: aws.String("x")})
			return err
		},
		"RemoveClientIDFromOpenIDConnectProvider": func(a string) error {
			_, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &sdkiam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &a, ClientID: aws.String("x")})
			return err
		},
		"UpdateOpenIDConnectProviderThumbprint": func(a string) error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &sdkiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &a, ThumbprintList: []string{thumbB}})
			return err
		},
	}
	samlOps := map[string]func(arn string) error{
		"GetSAMLProvider": func(a string) error {
			_, err := c.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: &a})
			return err
		},
		"UpdateSAMLProvider": func(a string) error {
			_, err := c.UpdateSAMLProvider(ctx, &sdkiam.UpdateSAMLProviderInput{SAMLProviderArn: &a, SAMLMetadataDocument: aws.String(metadata("https://x.example.com", ""))})
			return err
		},
		"DeleteSAMLProvider": func(a string) error {
			_, err := c.DeleteSAMLProvider(ctx, &sdkiam.DeleteSAMLProviderInput{SAMLProviderArn: &a})
			return err
		},
	}
	missingOIDC := "arn:aws:iam::" + testAccount + ":oidc-provider/missing.example.com"
	missingSAML := "arn:aws:iam::" + testAccount + ":saml-provider/missing"
	for name, op := range oidcOps {
		for _, a := range []string{missingOIDC, aws.ToString(saml.SAMLProviderArn)} {
			wantAPIError(t, name+" "+a, op(a), "NoSuchEntity", 404, "OpenIDConnect Provider not found for arn "+a)
		}
		wantAPIError(t, name+" with a short ARN", op("arn:aws:iam::1:x"), "ValidationError", 400,
			"1 validation error detected: Value at 'openIDConnectProviderArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
		wantAPIError(t, name+" with a malformed ARN", op("not an ARN at all, really"), "ValidationError", 400, "Invalid ARN: not an ARN at all, really")
	}
	for name, op := range samlOps {
		for _, a := range []string{missingSAML, aws.ToString(oidc.OpenIDConnectProviderArn)} {
			wantAPIError(t, name+" "+a, op(a), "NoSuchEntity", 404, "Manifest not found for arn "+a)
		}
		wantAPIError(t, name+" with a short ARN", op("arn:aws:iam::1:x"), "ValidationError", 400,
			"1 validation error detected: Value at 'sAMLProviderArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
	}

	// Another account sees neither provider, even with their exact ARNs, and lists none.
	s.Auth.set(otherAccount, nil)
	for name, op := range oidcOps {
		a := aws.ToString(oidc.OpenIDConnectProviderArn)
		wantAPIError(t, "other account: "+name, op(a), "NoSuchEntity", 404, "OpenIDConnect Provider not found for arn "+a)
	}
	for name, op := range samlOps {
		a := aws.ToString(saml.SAMLProviderArn)
		wantAPIError(t, "other account: "+name, op(a), "NoSuchEntity", 404, "Manifest not found for arn "+a)
	}
	if l, err := c.ListOpenIDConnectProviders(ctx, &sdkiam.ListOpenIDConnectProvidersInput{}); err != nil || len(l.OpenIDConnectProviderList) != 0 {
		t.Errorf("other account: ListOpenIDConnectProviders = %+v, %v", l, err)
	}
	if l, err := c.ListSAMLProviders(ctx, &sdkiam.ListSAMLProvidersInput{}); err != nil || len(l.SAMLProviderList) != 0 {
		t.Errorf("other account: ListSAMLProviders = %+v, %v", l, err)
	}
	// ... and may register the same URL and name in its own account.
	if _, err := c.CreateOpenIDConnectProvider(ctx, &sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://mine.example.com")}); err != nil {
		t.Errorf("other account: CreateOpenIDConnectProvider of the same URL: %v", err)
	}

	// The owner still has both, untouched.
	s.Auth.set(testAccount, nil)
	if _, err := c.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc.OpenIDConnectProviderArn}); err != nil {
		t.Errorf("owner: GetOpenIDConnectProvider: %v", err)
	}
	if got, err := c.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: saml.SAMLProviderArn}); err != nil ||
		aws.ToString(got.SAMLMetadataDocument) != metadata("https://idp.example.com", "") {
		t.Errorf("owner: GetSAMLProvider: %v", err)
	}
}

func TestSAMLLifecycle(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	doc := metadata("https://idp.example.com/saml", "2030-01-02T03:04:05.678Z")

	created, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{
		Name: aws.String("Corp_IdP-1.prod"), SAMLMetadataDocument: aws.String(doc), Tags: tagsOf("b", "2", "a", "")})
	if err != nil {
		t.Fatalf("CreateSAMLProvider: %v", err)
	}
	arn := "arn:aws:iam::" + testAccount + ":saml-provider/Corp_IdP-1.prod"
	if aws.ToString(created.SAMLProviderArn) != arn {
		t.Errorf("SAMLProviderArn = %q, want %q", aws.ToString(created.SAMLProviderArn), arn)
	}
	if p := tagPairs(created.Tags); !slices.Equal(p, []string{"a=", "b=2"}) {
		t.Errorf("create Tags = %q", p)
	}

	got, err := c.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetSAMLProvider: %v", err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != doc {
		t.Errorf("SAMLMetadataDocument came back changed:\n got  %q\n want %q", aws.ToString(got.SAMLMetadataDocument), doc)
	}
	if want := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC); got.ValidUntil == nil || !got.ValidUntil.Equal(want) {
		t.Errorf("ValidUntil = %v, want %v (from the document, to the second)", got.ValidUntil, want)
	}
	if got.CreateDate == nil || !got.CreateDate.Equal(testNow.Truncate(time.Second)) {
		t.Errorf("CreateDate = %v", got.CreateDate)
	}
	if p := tagPairs(got.Tags); !slices.Equal(p, []string{"a=", "b=2"}) {
		t.Errorf("Tags = %q", p)
	}

	// A second provider without validUntil, to see both in the listing.
	other, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String("another"), SAMLMetadataDocument: aws.String(metadata("https://other.example.com", ""))})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSAMLProviders(ctx, &sdkiam.ListSAMLProvidersInput{})
	if err != nil {
		t.Fatalf("ListSAMLProviders: %v", err)
	}
	if len(list.SAMLProviderList) != 2 {
		t.Fatalf("ListSAMLProviders = %+v, want 2", list.SAMLProviderList)
	}
	for _, e := range list.SAMLProviderList {
		switch aws.ToString(e.Arn) {
		case arn:
			if e.ValidUntil == nil || e.ValidUntil.Year() != 2030 {
				t.Errorf("%s: ValidUntil %v", arn, e.ValidUntil)
			}
		case aws.ToString(other.SAMLProviderArn):
			if e.ValidUntil != nil {
				t.Errorf("%s: ValidUntil %v, want none", aws.ToString(e.Arn), e.ValidUntil)
			}
		default:
			t.Errorf("unexpected entry %s", aws.ToString(e.Arn))
		}
		if e.CreateDate == nil || !e.CreateDate.Equal(testNow.Truncate(time.Second)) {
			t.Errorf("%s: CreateDate %v", aws.ToString(e.Arn), e.CreateDate)
		}
	}

	newDoc := metadata("https://idp.example.com/saml-v2", "")
	upd, err := c.UpdateSAMLProvider(ctx, &sdkiam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(newDoc)})
	if err != nil {
		t.Fatalf("UpdateSAMLProvider: %v", err)
	}
	if aws.ToString(upd.SAMLProviderArn) != arn {
		t.Errorf("UpdateSAMLProvider returned %q", aws.ToString(upd.SAMLProviderArn))
	}
	got, err = c.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != newDoc || got.ValidUntil != nil {
		t.Errorf("after UpdateSAMLProvider: document changed %v, ValidUntil %v (want the new document, no ValidUntil)",
			aws.ToString(got.SAMLMetadataDocument) != newDoc, got.ValidUntil)
	}

	if _, err := c.DeleteSAMLProvider(ctx, &sdkiam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteSAMLProvider: %v", err)
	}
	_, err = c.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	wantAPIError(t, "GetSAMLProvider after delete", err, "NoSuchEntity", 404, "Manifest not found for arn "+arn)
	_, err = c.DeleteSAMLProvider(ctx, &sdkiam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	wantAPIError(t, "second DeleteSAMLProvider", err, "NoSuchEntity", 404, "Manifest not found for arn "+arn)
}

func TestSAMLErrors(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	good := metadata("https://idp.example.com", "")
	if _, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String("taken"), SAMLMetadataDocument: aws.String(good)}); err != nil {
		t.Fatal(err)
	}
	pad := func(doc string) string { // past the 1000 character minimum, to reach the parser
		return doc + strings.Repeat(" ", max(0, 1000-len(doc)))
	}
	const bad = "Could not parse metadata"
	for _, tc := range []struct {
		name, provider, doc string
		code                string
		status              int
		msg                 string
	}{
		{"duplicate name", "taken", good, "EntityAlreadyExists", 409, "Provider with name taken already exists."},
		{"not XML", "p", pad("this is not XML at all"), "InvalidInput", 400, bad},
		{"unclosed", "p", strings.Replace(good, "</md:EntityDescriptor>", "", 1), "InvalidInput", 400, bad},
		{"mismatched tags", "p", strings.Replace(good, "</md:Organization>", "</md:Org>", 1), "InvalidInput", 400, bad},
		{"wrong root", "p", pad(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`), "InvalidInput", 400, bad},
		{"wrong namespace", "p", strings.Replace(good, "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example", 1), "InvalidInput", 400, bad},
		{"no entityID", "p", strings.Replace(good, `entityID="https://idp.example.com"`, "", 1), "InvalidInput", 400, bad},
		{"bad validUntil", "p", metadata("https://idp.example.com", "next tuesday"), "InvalidInput", 400, bad},
		{"DOCTYPE", "p", strings.Replace(good, "<md:EntityDescriptor", `<!DOCTYPE x [<!ENTITY e "boom">]><md:EntityDescriptor`, 1), "InvalidInput", 400, bad},
		{"two roots", "p", good + "<md:EntityDescriptor/>", "InvalidInput", 400, bad},
		{"too short", "p", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`, "ValidationError", 400,
			"1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000"},
		{"name with a space", "has space", good, "ValidationError", 400,
			`1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w._-]+`},
		{"name too long", strings.Repeat("n", 129), good, "ValidationError", 400,
			"1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 128"},
	} {
		_, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String(tc.provider), SAMLMetadataDocument: aws.String(tc.doc)})
		wantAPIError(t, tc.name, err, tc.code, tc.status, tc.msg)
	}
	_, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String("enc"), SAMLMetadataDocument: aws.String(good), AddPrivateKey: aws.String("-----BEGIN PRIVATE KEY-----")})
	wantAPIError(t, "AddPrivateKey", err, "InvalidInput", 400, "AddPrivateKey is not supported by idpool: it does not decrypt SAML assertions.")
	_, err = c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String("enc"), SAMLMetadataDocument: aws.String(good), AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired})
	wantAPIError(t, "AssertionEncryptionMode Required", err, "InvalidInput", 400, "")
	if _, err := c.CreateSAMLProvider(ctx, &sdkiam.CreateSAMLProviderInput{Name: aws.String("allowed"), SAMLMetadataDocument: aws.String(good), AssertionEncryptionMode: types.AssertionEncryptionModeTypeAllowed}); err != nil {
		t.Errorf("AssertionEncryptionMode Allowed: %v", err)
	}

	arn := aws.String("arn:aws:iam::" + testAccount + ":saml-provider/taken")
	_, err = c.UpdateSAMLProvider(ctx, &sdkiam.UpdateSAMLProviderInput{SAMLProviderArn: arn, SAMLMetadataDocument: aws.String(pad("<nope/>"))})
	wantAPIError(t, "UpdateSAMLProvider with a bad document", err, "InvalidInput", 400, bad)
	if got, err := c.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: arn}); err != nil || aws.ToString(got.SAMLMetadataDocument) != good {
		t.Errorf("the document after a failed update changed: %v", err)
	}
	list, err := c.ListSAMLProviders(ctx, &sdkiam.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 2 {
		t.Errorf("ListSAMLProviders after the failed creates = %+v, %v; want taken and allowed", list, err)
	}
}
