package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

type rawResponse struct {
	Status int
	Header http.Header
	Type   string
	Msg    string
	Body   []byte
}

// signOpts say how a raw request is signed; a nil *signOpts sends it unsigned.
type signOpts struct {
	keyID, secret, region, service string
	at                             time.Time
}

func adminSign() *signOpts {
	return &signOpts{keyID: testKeyID, secret: testSecret, region: testRegion, service: "cognito-identity", at: time.Now()}
}

func (s *testServer) raw(t *testing.T, target string, body []byte, sign *signOpts) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if sign != nil {
		sum := sha256.Sum256(body)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: sign.keyID, SecretAccessKey: sign.secret},
			req, hex.EncodeToString(sum[:]), sign.service, sign.region, sign.at)
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
	var env struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &env) == nil {
		r.Type, r.Msg = env.Type, env.Message
	}
	return r
}

const target = "AWSCognitoIdentityService."

func TestWireErrors(t *testing.T) {
	srv := startServer(t)
	cases := []struct {
		name   string
		target string
		body   string
		sign   bool
		status int
		typ    string
		msg    string
	}{
		{"unknown operation", target + "NoSuchThing", `{}`, true, 400, "UnknownOperationException", ""},
		{"missing target", "", `{}`, true, 400, "UnknownOperationException", ""},
		{"not json", target + "ListIdentityPools", `{"MaxResults": `, true, 400, "SerializationException", ""},
		{"array body", target + "ListIdentityPools", `[1,2]`, true, 400, "SerializationException", ""},
		{"wrong member type", target + "ListIdentityPools", `{"MaxResults":"ten"}`, true, 400, "SerializationException", ""},
		{"missing required", target + "ListIdentityPools", `{}`, true, 400, "ValidationException",
			"1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null"},
		{"empty body means no input", target + "ListIdentityPools", ``, true, 400, "ValidationException",
			"1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null"},
		{"unsigned developer op", target + "ListIdentityPools", `{"MaxResults":1}`, false, 400, "MissingAuthenticationTokenException", "Missing Authentication Token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var so *signOpts
			if tc.sign {
				so = adminSign()
			}
			r := srv.raw(t, tc.target, []byte(tc.body), so)
			if r.Status != tc.status || r.Type != tc.typ || (tc.msg != "" && r.Msg != tc.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", r.Status, r.Type, r.Msg, tc.status, tc.typ, tc.msg)
			}
			if got := r.Header.Get("x-amzn-ErrorType"); got != tc.typ+":" {
				t.Fatalf("x-amzn-ErrorType %q", got)
			}
			if r.Header.Get("x-amzn-RequestId") == "" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Fatalf("headers %v", r.Header)
			}
		})
	}
}

func TestSuccessHeaders(t *testing.T) {
	srv := startServer(t)
	r := srv.raw(t, target+"ListIdentityPools", []byte(`{"MaxResults":5}`), adminSign())
	if r.Status != 200 || r.Header.Get("x-amzn-RequestId") == "" || strings.TrimSpace(string(r.Body)) != `{"IdentityPools":[]}` {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	created := srv.raw(t, target+"CreateIdentityPool", []byte(`{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":false}`), adminSign())
	var pool map[string]any
	if err := json.Unmarshal(created.Body, &pool); err != nil || pool["AllowUnauthenticatedIdentities"] != false {
		t.Fatalf("create: %s", created.Body)
	}
	if _, ok := pool["AllowClassicFlow"]; ok {
		t.Fatalf("AllowClassicFlow present though never set: %s", created.Body)
	}
}

func TestBodyTooLarge(t *testing.T) {
	srv := startServer(t)
	big := `{"MaxResults":1,"NextToken":"` + strings.Repeat("a", 2<<20) + `"}`
	r := srv.raw(t, target+"ListIdentityPools", []byte(big), nil)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d %s", r.Status, r.Body)
	}
}

func TestSignatureMatrix(t *testing.T) {
	srv := startServer(t)
	body := []byte(`{"MaxResults":1}`)
	cases := []struct {
		name string
		sign *signOpts
		typ  string
		msg  string
	}{
		{"valid", adminSign(), "", ""},
		{"unknown key", &signOpts{keyID: "AKIAUNKNOWNKEY000000", secret: testSecret, region: testRegion, service: "cognito-identity", at: time.Now()},
			"UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong secret", &signOpts{keyID: testKeyID, secret: "wrong-secret-wrong-secret", region: testRegion, service: "cognito-identity", at: time.Now()},
			"InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"expired", &signOpts{keyID: testKeyID, secret: testSecret, region: testRegion, service: "cognito-identity", at: time.Now().Add(-6 * time.Minute)},
			"InvalidSignatureException", ""},
		{"future", &signOpts{keyID: testKeyID, secret: testSecret, region: testRegion, service: "cognito-identity", at: time.Now().Add(6 * time.Minute)},
			"InvalidSignatureException", ""},
		{"within skew", &signOpts{keyID: testKeyID, secret: testSecret, region: testRegion, service: "cognito-identity", at: time.Now().Add(-4 * time.Minute)}, "", ""},
		{"wrong region", &signOpts{keyID: testKeyID, secret: testSecret, region: "eu-west-1", service: "cognito-identity", at: time.Now()}, "InvalidSignatureException", ""},
		{"wrong service", &signOpts{keyID: testKeyID, secret: testSecret, region: testRegion, service: "cognito-idp", at: time.Now()}, "InvalidSignatureException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.raw(t, target+"ListIdentityPools", body, tc.sign)
			if tc.typ == "" {
				if r.Status != 200 {
					t.Fatalf("got %d %s %s", r.Status, r.Type, r.Msg)
				}
				return
			}
			if r.Type != tc.typ || (tc.msg != "" && r.Msg != tc.msg) {
				t.Fatalf("got %s %q, want %s %q", r.Type, r.Msg, tc.typ, tc.msg)
			}
			if tc.name == "expired" && !strings.HasPrefix(r.Msg, "Signature expired: ") {
				t.Fatalf("message %q", r.Msg)
			}
		})
	}

	// Public operations pass authentication unsigned: the answer is about the input,
	// never MissingAuthenticationToken.
	r := srv.raw(t, target+"GetId", []byte(`{"IdentityPoolId":"us-east-1:00000000-0000-4000-8000-000000000000"}`), nil)
	if r.Type == "MissingAuthenticationTokenException" || r.Status == 200 && len(r.Body) == 0 {
		t.Fatalf("public op unsigned: %d %s %s", r.Status, r.Type, r.Msg)
	}
	// A wrongly signed public call is still refused.
	bad := adminSign()
	bad.secret = "wrong-secret-wrong-secret"
	if r := srv.raw(t, target+"GetId", []byte(`{"IdentityPoolId":"us-east-1:00000000-0000-4000-8000-000000000000"}`), bad); r.Type != "InvalidSignatureException" {
		t.Fatalf("public op wrongly signed: %s", r.Type)
	}
}

func TestAuthNone(t *testing.T) {
	srv := startServer(t, "--auth", "none")
	r := srv.raw(t, target+"ListIdentityPools", []byte(`{"MaxResults":1}`), nil)
	if r.Status != 200 {
		t.Fatalf("unsigned under --auth=none: %d %s", r.Status, r.Type)
	}
	c := srv.client(t, credentials.NewStaticCredentialsProvider("AKIAWHATEVER00000000", "whatever-secret-000000", ""))
	if _, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: true}); err != nil {
		t.Fatal(err)
	}
}

func TestAccountsAreIsolated(t *testing.T) {
	dir := t.TempDir()
	credsFile := dir + "/creds.json"
	writeFile(t, credsFile, `{"credentials":[{"access_key_id":"AKIAOTHERACCOUNT0001","secret_access_key":"other-secret-other-secret","account_id":"210987654321"}]}`)
	srv := startServerIn(t, dir+"/data", "--credentials-file", credsFile)
	admin := srv.client(t)
	other := srv.client(t, credentials.NewStaticCredentialsProvider("AKIAOTHERACCOUNT0001", "other-secret-other-secret", ""))
	id := createPool(t, admin, "mine").IdentityPoolId
	_, err := other.DescribeIdentityPool(t.Context(), &ci.DescribeIdentityPoolInput{IdentityPoolId: id})
	wantAPIError(t, err, "ResourceNotFoundException", "")
	out, err := other.ListIdentityPools(t.Context(), &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	if err != nil || len(out.IdentityPools) != 0 {
		t.Fatalf("other account sees %v %v", out, err)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	createPool(t, c, "p")
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ok", "/metrics": `idpool_requests_total{operation="CreateIdentityPool",outcome="success"} 1`} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
}

func TestCORS(t *testing.T) {
	srv := startServer(t)
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "x-amz-target") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}
