package iam

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/idpool/idpool/internal/awsquery"
	"github.com/idpool/idpool/internal/logbuf"
	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlite"
)

const (
	testAccount  = "123456789012"
	otherAccount = "210987654321"
	testRegion   = "us-east-1"
)

// testNow is the clock of every test server: CreateDate must come from Config.Now.
var testNow = time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

// stubAuth accepts every request for the account it is set to (SigV4 is tested in
// internal/sigv4), or fails them all with err. It records what it saw of the last request,
// so tests can check that the SDK signed it for IAM.
type stubAuth struct {
	mu        sync.Mutex
	account   string
	err       error
	lastAuthz string
	lastBody  string
}

func (a *stubAuth) Authenticate(_ context.Context, r *http.Request, body []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastAuthz = r.Header.Get("Authorization")
	a.lastBody = string(body)
	return a.account, a.err
}

func (a *stubAuth) set(account string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.account, a.err = account, err
}

func (a *stubAuth) last() (authz, body string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastAuthz, a.lastBody
}

type testServer struct {
	URL   string
	Store storage.ProviderStore
	Auth  *stubAuth
	Log   *logbuf.Buffer // the handler's log, text format
	IAM   *sdkiam.Client
}

// openStore opens a fresh SQLite store; durability is irrelevant to these tests.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "idpool.db"), sqlite.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newServer serves New over httptest with store (a fresh SQLite store when nil) and an
// SDK client pointed at it.
func newServer(t *testing.T, store storage.ProviderStore, mutate ...func(*Config)) *testServer {
	t.Helper()
	if store == nil {
		store = openStore(t)
	}
	auth := &stubAuth{account: testAccount}
	logBuf := &logbuf.Buffer{}
	cfg := Config{
		Store:  store,
		Auth:   auth,
		Now:    func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	client := sdkiam.New(sdkiam.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
	})
	return &testServer{URL: srv.URL, Store: store, Auth: auth, Log: logBuf, IAM: client}
}

// wantAPIError asserts that err is the IAM error code with HTTP status (0: any) and, when
// msg is not empty, exactly that message.
func wantAPIError(t *testing.T, what string, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code {
		t.Errorf("%s: got code %s (%s), want %s", what, ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Errorf("%s: %s message:\n got  %s\n want %s", what, code, ae.ErrorMessage(), msg)
	}
	if status != 0 {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) {
			t.Errorf("%s: no HTTP response in %v", what, err)
		} else if re.HTTPStatusCode() != status {
			t.Errorf("%s: HTTP status %d, want %d", what, re.HTTPStatusCode(), status)
		}
	}
}

type rawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// post sends a form-encoded query-protocol request without the SDK, for what the SDK
// cannot send (missing required members, unknown actions, malformed bodies).
func (s *testServer) post(t *testing.T, body string) rawResponse {
	t.Helper()
	return s.do(t, http.MethodPost, "/", "application/x-www-form-urlencoded; charset=utf-8", body)
}

func (s *testServer) do(t *testing.T, method, target, contentType, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// form encodes alternating names and values in order, as the query protocol expects.
func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// wantRawError asserts a raw response is IAM's error envelope with code and status.
func wantRawError(t *testing.T, what string, r rawResponse, status int, code string) {
	t.Helper()
	reqID := r.Header.Get("X-Amzn-Requestid")
	if r.Status != status || reqID == "" || r.Header.Get("Content-Type") != ContentType {
		t.Errorf("%s: status %d, request ID %q, Content-Type %q; want %d, an ID, %s\n%s", what, r.Status, reqID, r.Header.Get("Content-Type"), status, ContentType, r.Body)
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	wantPrefix := `<ErrorResponse xmlns="` + Namespace + `"><Error><Type>` + typ + `</Type><Code>` + code + `</Code><Message>`
	if code == "InvalidAction" {
		wantPrefix = strings.Replace(wantPrefix, Namespace, faultNamespace, 1)
	}
	wantSuffix := `</Message></Error><RequestId>` + reqID + `</RequestId></ErrorResponse>`
	if !strings.HasPrefix(r.Body, wantPrefix) || !strings.HasSuffix(r.Body, wantSuffix) {
		t.Errorf("%s: body\n %s\nwant %s...%s", what, r.Body, wantPrefix, wantSuffix)
	}
}

// errorMessage decodes the Message of an error response.
func errorMessage(t *testing.T, r rawResponse) string {
	t.Helper()
	var e struct {
		Message string `xml:"Error>Message"`
	}
	if err := xml.Unmarshal([]byte(r.Body), &e); err != nil {
		t.Errorf("error body %q: %v", r.Body, err)
	}
	return e.Message
}

// metadata returns a SAML metadata document of at least 1000 characters (IAM's minimum)
// for entityID, with validUntil when it is not empty. It carries characters that XML must
// escape and line breaks that it must keep, to test that GetSAMLProvider returns the
// document exactly.
func metadata(entityID, validUntil string) string {
	attr := ""
	if validUntil != "" {
		attr = ` validUntil="` + validUntil + `"`
	}
	cert := strings.Repeat("MIIDBTCCAe2gAwIBAgIQN33ROaIJ6bJBWDCxtmJEbjANBgkqhkiG9w0BAQsFADAt\r\n", 16)
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + entityID + `"` + attr + `>
	<!-- a comment with <angle brackets> & "quotes" -->
	<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
		<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + cert + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
		<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso?a=1&amp;b=2"/>
	</md:IDPSSODescriptor>
	<md:Organization><md:OrganizationName xml:lang="en">Ünïcødé &amp; Co. ☃</md:OrganizationName></md:Organization>
</md:EntityDescriptor>
`
}

// parseQuery decodes s into p, as the Handler decodes a request.
func parseQuery(p params, s string) error {
	return awsquery.ParseQuery(awsquery.Params(p), s)
}
