package sts

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdksts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage/sqlite"
)

const (
	testRegion  = "us-east-1"
	adminKey    = "AKIDEXAMPLE"
	adminSec    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testPool    = "us-east-1:0f2c7d1e-0000-4000-8000-000000000001"
	testID      = "us-east-1:9a8b7c6d-0000-4000-8000-000000000002"
	testPoolARN = "arn:aws:cognito-identity:us-east-1:" + testAccount + ":identitypool/" + testPool
)

// verifierAuth is the server's authenticator in miniature: a real SigV4 verifier over the
// admin key chained with the broker's sessions.
type verifierAuth struct{ v *sigv4.Verifier }

func (a verifierAuth) Authenticate(ctx context.Context, r *http.Request, body []byte) (sigv4.Credential, error) {
	if !sigv4.Signed(r) {
		return sigv4.Credential{}, awserr.New(awserr.MissingAuthenticationToken, "Missing Authentication Token")
	}
	return a.v.Verify(ctx, r, body, "sts")
}

type env struct {
	broker *Broker
	issuer *oidc.Issuer
	url    string
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "idpool.db"), sqlite.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newEnv(t *testing.T) *env { return newEnvClock(t, nil) }

func newEnvClock(t *testing.T, now func() time.Time) *env {
	t.Helper()
	store := openStore(t)
	issuer, err := oidc.New(t.Context(), oidc.Config{IssuerURL: "http://127.0.0.1:4577", Keys: store})
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	b := NewBroker(issuer, now)
	creds := ChainCredentials(sigv4.StaticCredentials{adminKey: {AccessKeyID: adminKey, SecretAccessKey: adminSec, AccountID: testAccount}}, b)
	h := New(Config{Broker: b, Auth: verifierAuth{&sigv4.Verifier{Region: testRegion, Credentials: creds}}, Tokens: issuer})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{broker: b, issuer: issuer, url: srv.URL}
}

func (e *env) client(key, secret, token string) *sdksts.Client {
	opts := sdksts.Options{Region: testRegion, BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1}
	if key != "" {
		opts.Credentials = credentials.NewStaticCredentialsProvider(key, secret, token)
	}
	return sdksts.New(opts)
}

func (e *env) token(t *testing.T, c oidc.Claims) string {
	t.Helper()
	if c.Subject == "" {
		c.Subject, c.Audience, c.PoolARN = testID, testPool, testPoolARN
		c.AMR = []string{"authenticated", "login.example.com"}
	}
	if c.Expiry.IsZero() {
		c.Expiry = time.Now().Add(10 * time.Minute)
	}
	tok, err := e.issuer.Issue(t.Context(), c)
	if err != nil {
		t.Fatalf("Issue token: %v", err)
	}
	return tok
}

func wantAPIError(t *testing.T, what string, err error, code, msgPart string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v, want API error %s", what, err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msgPart) {
		t.Errorf("%s: %s %q, want %s containing %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msgPart)
	}
}

func TestGetCallerIdentityAdmin(t *testing.T) {
	e := newEnv(t)
	out, err := e.client(adminKey, adminSec, "").GetCallerIdentity(t.Context(), &sdksts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Arn) != "arn:aws:iam::"+testAccount+":root" || aws.ToString(out.Account) != testAccount || aws.ToString(out.UserId) != testAccount {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId))
	}
}

func TestAssumeRoleWithWebIdentityThenGetCallerIdentity(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t, oidc.Claims{Subject: testID, Audience: testPool, PoolARN: testPoolARN,
		AMR: []string{"authenticated"}, PrincipalTags: map[string]string{"team": "identity"}, Expiry: time.Now().Add(time.Hour)})
	start := time.Now()
	out, err := e.client("", "", "").AssumeRoleWithWebIdentity(t.Context(), &sdksts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(testRole), RoleSessionName: aws.String("app-session"), WebIdentityToken: aws.String(tok),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	c := out.Credentials
	if c == nil || !accessKeyRE.MatchString(aws.ToString(c.AccessKeyId)) || !secretRE.MatchString(aws.ToString(c.SecretAccessKey)) || len(aws.ToString(c.SessionToken)) < 300 {
		t.Fatalf("Credentials = %+v", c)
	}
	if exp := aws.ToTime(c.Expiration); exp.Before(start.Add(899*time.Second)) || exp.After(time.Now().Add(900*time.Second)) {
		t.Errorf("Expiration %v is not 900 s from now", exp)
	}
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/Cognito_demoAuth_Role/app-session"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || aws.ToString(out.AssumedRoleUser.AssumedRoleId) != RoleID(testRole)+":app-session" {
		t.Errorf("AssumedRoleUser = %s %s", aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != testID || aws.ToString(out.Audience) != testPool || aws.ToString(out.Provider) != DefaultProvider {
		t.Errorf("Subject %q Audience %q Provider %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider))
	}
	s, ok := e.broker.Session(aws.ToString(c.AccessKeyId), aws.ToString(c.SessionToken))
	if !ok || s.IdentityID != testID || s.PoolID != testPool || s.Tags["team"] != "identity" || s.SessionName != "app-session" {
		t.Errorf("session in the token = %+v, %v", s, ok)
	}

	// The minted credentials sign requests.
	who, err := e.client(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		GetCallerIdentity(t.Context(), &sdksts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with session credentials: %v", err)
	}
	if aws.ToString(who.Arn) != wantARN || aws.ToString(who.Account) != testAccount || aws.ToString(who.UserId) != RoleID(testRole)+":app-session" {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
	}

	// Without the session token, or with another, the key is refused.
	_, err = e.client(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), "").GetCallerIdentity(t.Context(), &sdksts.GetCallerIdentityInput{})
	wantAPIError(t, "session key without its token", err, "InvalidClientTokenId", "security token included in the request is invalid")
	_, err = e.client(aws.ToString(c.AccessKeyId), "wrong"+aws.ToString(c.SecretAccessKey)[5:], aws.ToString(c.SessionToken)).GetCallerIdentity(t.Context(), &sdksts.GetCallerIdentityInput{})
	wantAPIError(t, "wrong secret", err, "SignatureDoesNotMatch", "signature")
}

func TestAssumeRoleWithWebIdentityDefaults(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	out, err := e.client("", "", "").AssumeRoleWithWebIdentity(t.Context(), &sdksts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(testRole), RoleSessionName: aws.String(DefaultSessionName), WebIdentityToken: aws.String(e.token(t, oidc.Claims{})),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if exp := aws.ToTime(out.Credentials.Expiration); exp.Before(start.Add(time.Hour-time.Second)) || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("Expiration %v is not an hour from now", exp)
	}
}

func TestAssumeRoleWithWebIdentityRefusals(t *testing.T) {
	e := newEnv(t)
	good := e.token(t, oidc.Claims{})
	other, err := oidc.New(t.Context(), oidc.Config{IssuerURL: "http://127.0.0.1:4577", Keys: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Issue(t.Context(), oidc.Claims{Subject: testID, Audience: testPool, Expiry: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	expired := e.token(t, oidc.Claims{Subject: testID, Audience: testPool, IssuedAt: time.Now().Add(-2 * time.Hour), Expiry: time.Now().Add(-time.Hour)})

	for _, c := range []struct {
		name               string
		role, session, tok string
		duration           int32
		code, msg          string
	}{
		{"not a JWT", testRole, "s1", "not-a-token", 0, "InvalidIdentityToken", "not a valid JWT"},
		{"another issuer's key", testRole, "s1", foreign, 0, "InvalidIdentityToken", "verification key"},
		{"expired", testRole, "s1", expired, 0, "ExpiredTokenException", "Token expired: current date/time"},
		{"role of another account", "arn:aws:iam::210987654321:role/r", "s1", good, 0, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"not a role", "arn:aws:iam::" + testAccount + ":user/alice", "s1", good, 0, "ValidationError", "Request ARN is invalid"},
		{"duration too short", testRole, "s1", good, 899, "ValidationError", "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration too long", testRole, "s1", good, 43201, "ValidationError", "less than or equal to 43200"},
		{"session name pattern", testRole, "a b", good, 0, "ValidationError", "Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"session name short", testRole, "a", good, 0, "ValidationError", "'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
	} {
		in := &sdksts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(c.role), RoleSessionName: aws.String(c.session), WebIdentityToken: aws.String(c.tok)}
		if c.duration != 0 {
			in.DurationSeconds = aws.Int32(c.duration)
		}
		_, err := e.client("", "", "").AssumeRoleWithWebIdentity(t.Context(), in)
		wantAPIError(t, c.name, err, c.code, c.msg)
	}
}

// raw posts a form and returns the status and body.
func raw(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	return resp.StatusCode, string(b)
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"missing params", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {Version}}, 400,
			`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>3 validation errors detected: Value null at &#39;roleArn&#39; failed to satisfy constraint: Member must not be null; `},
		{"unsigned GetCallerIdentity", url.Values{"Action": {"GetCallerIdentity"}, "Version": {Version}}, 403,
			`<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message>`},
		{"unsigned unknown action", url.Values{"Action": {"AssumeRole"}, "Version": {Version}}, 403, `<Code>MissingAuthenticationToken</Code>`},
		{"other version", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2010-05-08"}}, 400,
			`<Code>InvalidAction</Code><Message>Could not find operation AssumeRoleWithWebIdentity for version 2010-05-08</Message>`},
		{"no action", url.Values{"Version": {Version}}, 400, `<Code>MissingAction</Code>`},
	} {
		status, body := raw(t, e.url, c.form)
		if status != c.status || !strings.Contains(body, c.want) || !strings.Contains(body, "<RequestId>") {
			t.Errorf("%s: %d %s\nwant %d containing %s", c.name, status, body, c.status, c.want)
		}
	}
	// An action STS has but idpool does not serve, signed: InvalidAction.
	in := &sdksts.GetSessionTokenInput{}
	_, err := e.client(adminKey, adminSec, "").GetSessionToken(t.Context(), in)
	wantAPIError(t, "GetSessionToken", err, "InvalidAction", "Could not find operation GetSessionToken")
}

type brokenVerifier struct{}

func (brokenVerifier) Verify(context.Context, string) (*oidc.Claims, error) {
	return nil, errors.New("disk on fire")
}

func TestInternalErrorsHidden(t *testing.T) {
	h := New(Config{Broker: newBroker(t, nil), Auth: verifierAuth{}, Tokens: brokenVerifier{}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	status, body := raw(t, srv.URL, url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {testRole},
		"RoleSessionName": {"s1"}, "WebIdentityToken": {"abcd"}})
	if status != 500 || !strings.Contains(body, "<Type>Receiver</Type><Code>InternalFailure</Code>") || strings.Contains(body, "fire") {
		t.Errorf("%d %s", status, body)
	}
}

func TestExpiredSessionRefused(t *testing.T) {
	c := newClock(time.Now().Add(-time.Hour))
	e := newEnvClock(t, c.Now)
	s, err := e.broker.Issue(Request{RoleARN: testRole, Duration: MinDuration})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	_, err = e.client(s.AccessKeyID, s.SecretAccessKey, s.SessionToken).GetCallerIdentity(t.Context(), &sdksts.GetCallerIdentityInput{})
	wantAPIError(t, "expired session", err, "ExpiredToken", "The security token included in the request is expired")
}
