package iam

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

// TestResponseEnvelope pins the exact bytes of a success response: the envelope, the
// namespace, the Result element, the RequestId matching the header, and the media type.
func TestResponseEnvelope(t *testing.T) {
	s := newServer(t, nil)
	r := s.post(t, form("Action", "CreateOpenIDConnectProvider", "Version", Version,
		"Url", "https://server.example.com", "ClientIDList.member.1", "app", "ThumbprintList.member.1", thumbB,
		"Tags.member.1.Key", "k", "Tags.member.1.Value", "a b/c=d+e@f"))
	reqID := r.Header.Get("X-Amzn-Requestid")
	want := `<CreateOpenIDConnectProviderResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` +
		`<CreateOpenIDConnectProviderResult>` +
		`<OpenIDConnectProviderArn>arn:aws:iam::123456789012:oidc-provider/server.example.com</OpenIDConnectProviderArn>` +
		`<Tags><member><Key>k</Key><Value>a b/c=d+e@f</Value></member></Tags>` +
		`</CreateOpenIDConnectProviderResult>` +
		`<ResponseMetadata><RequestId>` + reqID + `</RequestId></ResponseMetadata>` +
		`</CreateOpenIDConnectProviderResponse>`
	if r.Status != http.StatusOK || r.Body != want || r.Header.Get("Content-Type") != "text/xml" || len(reqID) != 36 {
		t.Errorf("status %d, Content-Type %q, request ID %q, body\n %s\nwant\n %s", r.Status, r.Header.Get("Content-Type"), reqID, r.Body, want)
	}

	// Get renders its lists even when empty, and escapes what XML needs escaped.
	r = s.post(t, form("Action", "CreateOpenIDConnectProvider", "Version", Version, "Url", "https://bare.example.com", "ThumbprintList", "",
		"ClientIDList.member.2", "b", "ClientIDList.member.1", `<&"'>`))
	if r.Status != http.StatusOK {
		t.Fatalf("create with an empty ClientIDList: %d %s", r.Status, r.Body)
	}
	r = s.post(t, form("Action", "GetOpenIDConnectProvider", "Version", Version,
		"OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/bare.example.com"))
	if !strings.Contains(r.Body, `<GetOpenIDConnectProviderResult><Url>bare.example.com</Url><ClientIDList><member>&lt;&amp;&#34;&#39;&gt;</member><member>b</member></ClientIDList><ThumbprintList></ThumbprintList><CreateDate>2025-03-04T05:06:07Z</CreateDate></GetOpenIDConnectProviderResult>`) {
		t.Errorf("GetOpenIDConnectProvider body: %s", r.Body)
	}

	// Actions without a result answer with the metadata alone.
	r = s.post(t, form("Action", "DeleteOpenIDConnectProvider", "Version", Version,
		"OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/bare.example.com"))
	reqID = r.Header.Get("X-Amzn-Requestid")
	if want := `<DeleteOpenIDConnectProviderResponse xmlns="` + Namespace + `"><ResponseMetadata><RequestId>` + reqID +
		`</RequestId></ResponseMetadata></DeleteOpenIDConnectProviderResponse>`; r.Body != want {
		t.Errorf("DeleteOpenIDConnectProvider body\n %s\nwant\n %s", r.Body, want)
	}
}

func TestGETAndQueryString(t *testing.T) {
	s := newServer(t, nil)
	if _, err := s.IAM.CreateOpenIDConnectProvider(t.Context(), &sdkiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com")}); err != nil {
		t.Fatal(err)
	}
	r := s.do(t, http.MethodGet, "/?"+form("Action", "ListOpenIDConnectProviders", "Version", Version), "", "")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "<OpenIDConnectProviderList><member><Arn>arn:aws:iam::123456789012:oidc-provider/a.example.com</Arn></member></OpenIDConnectProviderList>") {
		t.Errorf("GET ListOpenIDConnectProviders: %d %s", r.Status, r.Body)
	}
	// A POST may carry Action in its query string and the members in its body.
	r = s.do(t, http.MethodPost, "/?Action=GetOpenIDConnectProvider&Version="+Version, "application/x-www-form-urlencoded",
		form("OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/a.example.com"))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "<Url>a.example.com</Url>") {
		t.Errorf("POST with Action in the query: %d %s", r.Status, r.Body)
	}
	// A body that is not a form is not read for parameters.
	r = s.do(t, http.MethodPost, "/", "application/json", `{"Action":"ListOpenIDConnectProviders"}`)
	wantRawError(t, "JSON body", r, http.StatusBadRequest, "MissingAction")
}

func TestProtocolErrors(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		name   string
		method string
		target string
		body   string
		status int
		code   string
		msg    string
	}{
		{"unknown action", "POST", "/", form("Action", "CreateUser", "Version", Version), 400, "InvalidAction", "Could not find operation CreateUser for version 2010-05-08"},
		{"other version", "POST", "/", form("Action", "ListSAMLProviders", "Version", "2011-06-15"), 400, "InvalidAction", "Could not find operation ListSAMLProviders for version 2011-06-15"},
		{"no action", "POST", "/", form("Version", Version), 400, "MissingAction", "Missing Action"},
		{"empty body", "POST", "/", "", 400, "MissingAction", ""},
		{"bad escape", "POST", "/", "Action=ListSAMLProviders&Version=" + Version + "&x=%zz", 404, "MalformedQueryString", ""},
		{"bad escape in the query", "GET", "/?Action=%", "", 404, "MalformedQueryString", ""},
		{"PUT", "PUT", "/", form("Action", "ListSAMLProviders"), 405, "MethodNotAllowed", ""},
		{"missing Url", "POST", "/", form("Action", "CreateOpenIDConnectProvider", "Version", Version), 400, "ValidationError",
			"1 validation error detected: Value at 'url' failed to satisfy constraint: Member must not be null"},
		{"missing Name and document", "POST", "/", form("Action", "CreateSAMLProvider", "Version", Version), 400, "ValidationError",
			"2 validation errors detected: Value at 'name' failed to satisfy constraint: Member must not be null; Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must not be null"},
		{"missing ARN", "POST", "/", form("Action", "GetOpenIDConnectProvider", "Version", Version), 400, "ValidationError",
			"1 validation error detected: Value at 'openIDConnectProviderArn' failed to satisfy constraint: Member must not be null"},
		{"missing ThumbprintList", "POST", "/", form("Action", "UpdateOpenIDConnectProviderThumbprint", "Version", Version,
			"OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/a.example.com"), 400, "ValidationError",
			"1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must not be null"},
		{"tag without value", "POST", "/", form("Action", "CreateOpenIDConnectProvider", "Version", Version, "Url", "https://a.example.com",
			"Tags.member.1.Key", "k"), 400, "ValidationError",
			"1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
	} {
		var ct string
		if tc.body != "" {
			ct = "application/x-www-form-urlencoded"
		}
		r := s.do(t, tc.method, tc.target, ct, tc.body)
		wantRawError(t, tc.name, r, tc.status, tc.code)
		if msg := errorMessage(t, r); tc.msg != "" && msg != tc.msg {
			t.Errorf("%s: message\n got  %s\n want %s", tc.name, msg, tc.msg)
		}
	}
}

// TestAuthErrors checks that the authenticator's failures reach the client under IAM's
// names and statuses, and that it runs before anything else.
func TestAuthErrors(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	for _, tc := range []struct {
		err    error
		code   string
		status int
		msg    string
	}{
		{awserr.New(awserr.MissingAuthenticationToken, "Missing Authentication Token"), "MissingAuthenticationToken", 403, "Request is missing Authentication Token"},
		{awserr.New(awserr.UnrecognizedClient, "The security token included in the request is invalid."), "InvalidClientTokenId", 403, "The security token included in the request is invalid."},
		{awserr.New(awserr.InvalidSignature, "Signature expired: 20250101T000000Z is now earlier than ..."), "SignatureDoesNotMatch", 403, "Signature expired: 20250101T000000Z is now earlier than ..."},
		{awserr.New(awserr.IncompleteSignature, "Authorization header requires 'Signature' parameter."), "IncompleteSignature", 400, "Authorization header requires 'Signature' parameter."},
		{awserr.New(awserr.AccessDenied, "not allowed"), "AccessDenied", 403, "not allowed"},
		{awserr.New(awserr.InternalError, "credential store down: secret detail"), "ServiceFailure", 500, msgServiceFailure},
		{errors.New("lookup failed: secret detail"), "ServiceFailure", 500, msgServiceFailure},
	} {
		s.Auth.set("", tc.err)
		_, err := c.ListOpenIDConnectProviders(ctx, &sdkiam.ListOpenIDConnectProvidersInput{})
		wantAPIError(t, tc.code, err, tc.code, tc.status, tc.msg)
		// Even an unknown action gets the authentication failure, not InvalidAction.
		r := s.post(t, form("Action", "NoSuchAction", "Version", Version))
		wantRawError(t, tc.code+" for an unknown action", r, tc.status, tc.code)
	}
	if !strings.Contains(s.Log.String(), "secret detail") {
		t.Errorf("internal authentication failures were not logged:\n%s", s.Log.String())
	}
}

// failingStore fails every call, with text that must never reach a client.
type failingStore struct{ storage.ProviderStore }

var errDisk = errors.New("disk on fire at /var/lib/idpool/secret.db")

func (failingStore) CreateProvider(context.Context, *storage.IAMProvider) error { return errDisk }
func (failingStore) GetProvider(context.Context, string, string) (*storage.IAMProvider, error) {
	return nil, errDisk
}
func (failingStore) ListProviders(context.Context, string, string) ([]*storage.IAMProvider, error) {
	return nil, errDisk
}
func (failingStore) UpdateProvider(context.Context, string, string, func(*storage.IAMProvider) error) (*storage.IAMProvider, error) {
	return nil, errDisk
}
func (failingStore) DeleteProvider(context.Context, string, string) error { return errDisk }

func TestInternalErrorsDoNotLeak(t *testing.T) {
	s := newServer(t, failingStore{})
	oidcARN := "arn:aws:iam::" + testAccount + ":oidc-provider/a.example.com"
	samlARN := "arn:aws:iam::" + testAccount + ":saml-provider/p"
	doc := metadata("https://idp.example.com", "")
	for _, body := range []string{
		form("Action", "CreateOpenIDConnectProvider", "Url", "https://a.example.com"),
		form("Action", "GetOpenIDConnectProvider", "OpenIDConnectProviderArn", oidcARN),
		form("Action", "ListOpenIDConnectProviders"),
		form("Action", "DeleteOpenIDConnectProvider", "OpenIDConnectProviderArn", oidcARN),
		form("Action", "AddClientIDToOpenIDConnectProvider", "OpenIDConnectProviderArn", oidcARN, "ClientID", "x"),
		form("Action", "RemoveClientIDFromOpenIDConnectProvider", "OpenIDConnectProviderArn", oidcARN, "ClientID", "x"),
		form("Action", "UpdateOpenIDConnectProviderThumbprint", "OpenIDConnectProviderArn", oidcARN, "ThumbprintList.member.1", thumbB),
		form("Action", "CreateSAMLProvider", "Name", "p", "SAMLMetadataDocument", doc),
		form("Action", "GetSAMLProvider", "SAMLProviderArn", samlARN),
		form("Action", "ListSAMLProviders"),
		form("Action", "UpdateSAMLProvider", "SAMLProviderArn", samlARN, "SAMLMetadataDocument", doc),
		form("Action", "DeleteSAMLProvider", "SAMLProviderArn", samlARN),
	} {
		r := s.post(t, body+"&Version="+Version)
		action, _ := url.ParseQuery(body)
		wantRawError(t, action.Get("Action"), r, http.StatusInternalServerError, "ServiceFailure")
		if strings.Contains(r.Body, "fire") || !strings.Contains(r.Body, msgServiceFailure) {
			t.Errorf("%s: body %s", action.Get("Action"), r.Body)
		}
	}
	if n := strings.Count(s.Log.String(), "disk on fire"); n != 12 {
		t.Errorf("%d internal errors logged, want 12:\n%s", n, s.Log.String())
	}
}

func TestBodyLimit(t *testing.T) {
	s := newServer(t, nil, func(c *Config) { c.MaxBodyBytes = 1024 })
	r := s.post(t, form("Action", "ListSAMLProviders", "Version", Version, "Padding", strings.Repeat("x", 2000)))
	wantRawError(t, "oversized body", r, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge")
	if r := s.post(t, form("Action", "ListSAMLProviders", "Version", Version)); r.Status != http.StatusOK {
		t.Errorf("a small request after an oversized one: %d %s", r.Status, r.Body)
	}
}

// TestLargeMetadata sends a document near IAM's 10,000,000 character limit through the
// default body limit, and one just over the limit.
func TestLargeMetadata(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 30 MB")
	}
	s := newServer(t, nil)
	base := metadata("https://idp.example.com", "")
	comment := "<!--" + strings.Repeat("&<>x", (maxSAMLMetadataLen-len(base)-7)/4) + "-->"
	doc := strings.Replace(base, "<md:Organization>", comment+"<md:Organization>", 1)
	if _, err := s.IAM.CreateSAMLProvider(t.Context(), &sdkiam.CreateSAMLProviderInput{Name: aws.String("big"), SAMLMetadataDocument: aws.String(doc)}); err != nil {
		t.Fatalf("CreateSAMLProvider with %d characters: %v", len(doc), err)
	}
	got, err := s.IAM.GetSAMLProvider(t.Context(), &sdkiam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::" + testAccount + ":saml-provider/big")})
	if err != nil || aws.ToString(got.SAMLMetadataDocument) != doc {
		t.Errorf("GetSAMLProvider of the big document: %v", err)
	}
	_, err = s.IAM.CreateSAMLProvider(t.Context(), &sdkiam.CreateSAMLProviderInput{Name: aws.String("bigger"), SAMLMetadataDocument: aws.String(doc + strings.Repeat(" ", 10))})
	wantAPIError(t, "document over the limit", err, "ValidationError", 400, "")
}
