package sts

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/cognito"
	"github.com/idpool/idpool/internal/logbuf"
	"github.com/idpool/idpool/internal/oidc"
)

func externalRequest(tok string) cognito.CredentialsRequest {
	return cognito.CredentialsRequest{
		AccountID: testAccount, RoleARN: testRole, IdentityID: testID, PoolID: testPool,
		Token: func(context.Context) (string, error) { return tok, nil },
	}
}

func wantAWSError(t *testing.T, what string, err error, code awserr.Code, msgPart string) {
	t.Helper()
	e, ok := errors.AsType[*awserr.Error](err)
	if !ok {
		t.Fatalf("%s: error %v, want %s", what, err, code.Name())
	}
	if e.Code != code || !strings.Contains(e.Message, msgPart) {
		t.Errorf("%s: %s %q, want %s containing %q", what, e.Code.Name(), e.Message, code.Name(), msgPart)
	}
}

func TestExternalBrokerAgainstIdpoolSTS(t *testing.T) {
	e := newEnv(t)
	var logs logbuf.Buffer
	b := &ExternalBroker{Endpoint: e.url, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	tok := e.token(t, oidc.Claims{})
	start := time.Now()
	c, err := b.Credentials(t.Context(), externalRequest(tok))
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	if !accessKeyRE.MatchString(c.AccessKeyID) || !secretRE.MatchString(c.SecretAccessKey) || len(c.SessionToken) < 300 {
		t.Fatalf("Credentials = %+v", c)
	}
	if c.Expiration.Before(start.Add(time.Hour-time.Second)) || c.Expiration.After(time.Now().Add(time.Hour)) {
		t.Errorf("Expiration %v is not an hour from now", c.Expiration)
	}
	s, ok := e.broker.Session(c.AccessKeyID, c.SessionToken)
	if !ok || s.SecretAccessKey != c.SecretAccessKey || s.SessionToken != c.SessionToken ||
		s.IdentityID != testID || s.PoolID != testPool || s.RoleARN != testRole || s.SessionName != DefaultSessionName {
		t.Errorf("session in the token = %+v, %v", s, ok)
	}

	// A custom session name reaches the STS.
	b.SessionName = "custom-session"
	c, err = b.Credentials(t.Context(), externalRequest(e.token(t, oidc.Claims{})))
	if err != nil {
		t.Fatalf("Credentials with a session name: %v", err)
	}
	if s, ok := e.broker.Session(c.AccessKeyID, c.SessionToken); !ok || s.SessionName != "custom-session" {
		t.Errorf("session in the token = %+v, %v", s, ok)
	}
	b.SessionName = ""

	// A token from another account's pool: SameAccountTrust refuses (AccessDenied).
	otherPool := "us-east-1:0f2c7d1e-0000-4000-8000-000000000009"
	foreign := e.token(t, oidc.Claims{Subject: testID, Audience: otherPool,
		PoolARN: "arn:aws:cognito-identity:us-east-1:210987654321:identitypool/" + otherPool,
		AMR:     []string{"authenticated"}, Expiry: time.Now().Add(10 * time.Minute)})
	_, err = b.Credentials(t.Context(), externalRequest(foreign))
	wantAWSError(t, "other account's pool", err, awserr.InvalidIdentityPoolConfiguration, "Check assigned IAM roles for this pool.")

	// A token the STS cannot verify: InvalidIdentityToken.
	_, err = b.Credentials(t.Context(), externalRequest("not-a-token"))
	wantAWSError(t, "invalid token", err, awserr.InvalidIdentityPoolConfiguration, "Invalid identity pool configuration.")

	out := logs.String()
	if !strings.Contains(out, "AccessDenied") || !strings.Contains(out, "InvalidIdentityToken") || !strings.Contains(out, "level=WARN") {
		t.Errorf("logs lack the STS codes:\n%s", out)
	}
	for _, secret := range []string{tok, foreign, "not-a-token", c.SecretAccessKey} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain a token or secret:\n%s", out)
		}
	}
}

func TestExternalBrokerRequest(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			t.Errorf("request %s: %v", r.Method, err)
		}
		got = map[string]string{}
		for k := range r.PostForm {
			got[k] = r.PostForm.Get(k)
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>secret</SecretAccessKey>
      <SessionToken>session</SessionToken>
      <Expiration>2030-01-02T03:04:05.123Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>`))
	}))
	defer srv.Close()
	c, err := (&ExternalBroker{Endpoint: srv.URL}).Credentials(t.Context(), externalRequest("tok.en.here"))
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	want := map[string]string{"Action": "AssumeRoleWithWebIdentity", "Version": Version, "RoleArn": testRole,
		"RoleSessionName": DefaultSessionName, "WebIdentityToken": "tok.en.here", "DurationSeconds": "3600"}
	if len(got) != len(want) {
		t.Errorf("form = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("form %s = %q, want %q", k, got[k], v)
		}
	}
	if c.AccessKeyID != "ASIAEXAMPLE" || c.SecretAccessKey != "secret" || c.SessionToken != "session" ||
		!c.Expiration.Equal(time.Date(2030, 1, 2, 3, 4, 5, 123e6, time.UTC)) {
		t.Errorf("Credentials = %+v", c)
	}
}

func TestExternalBrokerFailures(t *testing.T) {
	serve := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices the client leaving once the body is read
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	_ = l.Close()

	for _, c := range []struct {
		name, endpoint, msg string
		code                awserr.Code
	}{
		{"500", serve(500, `<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>`), "answered with status 500", awserr.ExternalService},
		{"503 empty", serve(503, ""), "answered with status 503", awserr.ExternalService},
		{"timeout", slow.URL, "did not answer in time", awserr.ExternalService},
		{"closed port", closed, "could not be reached", awserr.ExternalService},
		{"malformed XML", serve(200, `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>`), "could not be understood", awserr.ExternalService},
		{"not XML", serve(200, `{"Credentials":{}}`), "could not be understood", awserr.ExternalService},
		{"no credentials", serve(200, `<AssumeRoleWithWebIdentityResponse></AssumeRoleWithWebIdentityResponse>`), "could not be understood", awserr.ExternalService},
		{"too large", serve(200, strings.Repeat("x", maxExternalResponse+1)), "could not be understood", awserr.ExternalService},
		{"4xx not STS", serve(404, "not found"), "answered with status 404", awserr.ExternalService},
		{"4xx STS error", serve(400, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad</Message></Error><RequestId>r</RequestId></ErrorResponse>`),
			"Check assigned IAM roles", awserr.InvalidIdentityPoolConfiguration},
	} {
		start := time.Now()
		_, err := (&ExternalBroker{Endpoint: c.endpoint, Timeout: 200 * time.Millisecond}).Credentials(t.Context(), externalRequest("tok.en.here"))
		wantAWSError(t, c.name, err, c.code, c.msg)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v", c.name, d)
		}
		if c.code == awserr.ExternalService && c.name != "timeout" && !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("%s: message %q does not name the endpoint", c.name, err)
		}
	}

	// A failure to issue the token is passed on, not dressed as an STS error.
	boom := errors.New("keys unavailable")
	_, err = (&ExternalBroker{Endpoint: closed}).Credentials(t.Context(), cognito.CredentialsRequest{RoleARN: testRole,
		Token: func(context.Context) (string, error) { return "", boom }})
	if !errors.Is(err, boom) {
		t.Errorf("token failure: %v", err)
	}
}

func TestRedactedEndpoint(t *testing.T) {
	if got := redactedEndpoint("https://user:pw@sts.example.com/path?X-Key=1"); got != "https://sts.example.com/path" {
		t.Errorf("redactedEndpoint = %q", got)
	}
}
