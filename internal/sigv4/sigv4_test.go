package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/idpool/idpool/internal/awserr"
)

const (
	testRegion  = "us-east-1"
	testService = "cognito-identity"
	testAKID    = "AKIDEXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testAccount = "123456789012"
	tempAKID    = "ASIATEMPORARY"
	tempSecret  = "temporarySecretKeyForTests0123456789abcd"
	tempToken   = "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"
	cognitoBody = `{"MaxResults":10}`
	cognitoHost = "cognito-identity.us-east-1.amazonaws.com"
)

// t0 is when test requests are signed; Verify runs at t0 unless a case says otherwise.
var t0 = time.Date(2024, 5, 17, 12, 30, 0, 0, time.UTC)

var testCreds = StaticCredentials{
	testAKID: {AccessKeyID: testAKID, SecretAccessKey: testSecret, AccountID: testAccount},
	tempAKID: {AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken, AccountID: testAccount},
}

func newVerifier(now time.Time) *Verifier {
	return &Verifier{Region: testRegion, Credentials: testCreds, Now: func() time.Time { return now }}
}

// cognitoRequest is a request shaped like the ones the Go SDK's Cognito Identity client sends.
func cognitoRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://"+cognitoHost+"/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.0 os/linux lang/go#1.26")
	r.Header.Set("Amz-Sdk-Invocation-Id", "5d8b2a3c-4f1e-4b7a-9c2d-1e2f3a4b5c6d")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	return r
}

func hexSHA256(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// sdkSign signs r with the AWS SDK for Go v2, the oracle for what clients send.
func sdkSign(t testing.TB, r *http.Request, payloadHash string, creds aws.Credentials, service, region string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash, service, region, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

func rewriteAuth(r *http.Request, old, new string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
}

// wantErr checks that err is an *awserr.Error with the code and, unless msg is empty, exactly
// that message.
func wantErr(t *testing.T, err error, code awserr.Code, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want %s", err, err, code.Name())
	}
	if ae.Code != code {
		t.Fatalf("code = %s (%q), want %s", ae.Code.Name(), ae.Message, code.Name())
	}
	if msg != "" && ae.Message != msg {
		t.Fatalf("message =\n  %q\nwant\n  %q", ae.Message, msg)
	}
}

func TestVerifyHeader(t *testing.T) {
	good := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	temp := aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}

	tests := []struct {
		name    string
		creds   aws.Credentials // zero means good
		region  string          // "" means testRegion
		service string          // "" means testService
		payload string          // payload hash to sign; "" means the body's
		before  func(r *http.Request)
		after   func(r *http.Request, body *string)
		now     time.Time // zero means t0
		tweak   func(v *Verifier)

		wantCode awserr.Code
		wantMsg  string
		ok       bool
		wantAKID string // when ok; "" means testAKID
	}{
		{name: "valid cognito request", ok: true},
		{name: "unsigned header changed",
			after: func(r *http.Request, _ *string) {
				r.Header.Set("User-Agent", "something else")
				r.Header.Set("X-Forwarded-For", "10.0.0.1")
			},
			ok: true},
		{name: "wrong secret",
			creds:    aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "unknown access key",
			creds:    aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret},
			wantCode: awserr.UnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "tampered body",
			after:    func(_ *http.Request, body *string) { *body = `{"MaxResults":99}` },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "tampered signed header",
			after: func(r *http.Request, _ *string) {
				r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.DeleteIdentityPool")
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "tampered host",
			after:    func(r *http.Request, _ *string) { r.Host = "evil.example.com" },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "tampered method",
			after:    func(r *http.Request, _ *string) { r.Method = http.MethodPut },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "tampered date",
			after:    func(r *http.Request, _ *string) { r.Header.Set("X-Amz-Date", "20240517T123001Z") },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "signature in upper-case hex",
			after: func(r *http.Request, _ *string) {
				a := r.Header.Get("Authorization")
				i := strings.Index(a, "Signature=") + len("Signature=")
				r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "signature truncated",
			after: func(r *http.Request, _ *string) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-2])
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},

		// Clock.
		{name: "expired", now: t0.Add(5*time.Minute + time.Second),
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Signature expired: 20240517T123000Z is now earlier than 20240517T123001Z (20240517T123501Z - 5 min.)"},
		{name: "not yet current", now: t0.Add(-5*time.Minute - time.Second),
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Signature not yet current: 20240517T123000Z is still later than 20240517T122959Z (20240517T122459Z + 5 min.)"},
		{name: "at the past edge", now: t0.Add(5 * time.Minute), ok: true},
		{name: "at the future edge", now: t0.Add(-5 * time.Minute), ok: true},
		{name: "just past the past edge", now: t0.Add(5*time.Minute + time.Nanosecond),
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Signature expired: 20240517T123000Z is now earlier than 20240517T123000Z (20240517T123500Z - 5 min.)"},
		{name: "custom skew", now: t0.Add(20 * time.Minute), tweak: func(v *Verifier) { v.MaxSkew = 15 * time.Minute },
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Signature expired: 20240517T123000Z is now earlier than 20240517T123500Z (20240517T125000Z - 15 min.)"},
		{name: "custom skew in seconds", now: t0.Add(-2 * time.Minute), tweak: func(v *Verifier) { v.MaxSkew = 90 * time.Second },
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Signature not yet current: 20240517T123000Z is still later than 20240517T122930Z (20240517T122800Z + 90 sec.)"},
		{name: "date not ISO 8601 basic",
			after:    func(r *http.Request, _ *string) { r.Header.Set("X-Amz-Date", "2024-05-17T12:30:00Z") },
			wantCode: awserr.IncompleteSignature,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got '2024-05-17T12:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "date out of range",
			after:    func(r *http.Request, _ *string) { r.Header.Set("X-Amz-Date", "20240231T123000Z") },
			wantCode: awserr.IncompleteSignature},

		// Credential scope.
		{name: "wrong region", region: "eu-west-1",
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{name: "wrong service", service: "sts",
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Credential should be scoped to correct service: 'cognito-identity'. "},
		{name: "wrong terminator",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "/aws4_request,", "/aws5_request,") },
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{name: "scope date mismatch",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "/20240517/", "/20240516/") },
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240516' != '20240517', from '20240517T123000Z'."},
		{name: "all scope errors at once",
			after: func(r *http.Request, _ *string) {
				rewriteAuth(r, "/20240517/us-east-1/cognito-identity/aws4_request", "/20240516/eu-west-1/sts/aws5_request")
			},
			wantCode: awserr.InvalidSignature,
			wantMsg: "Credential should be scoped to a valid region, not 'eu-west-1'. " +
				"Credential should be scoped to correct service: 'cognito-identity'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240516' != '20240517', from '20240517T123000Z'."},
		{name: "scope with four parts",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "/us-east-1/", "/") },
			wantCode: awserr.IncompleteSignature,
			wantMsg:  "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20240517/cognito-identity/aws4_request'"},
		{name: "scope with six parts",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "/us-east-1/", "/us-east-1/x/") },
			wantCode: awserr.IncompleteSignature},
		{name: "scope with trailing slash is accepted",
			after: func(r *http.Request, _ *string) { rewriteAuth(r, "/aws4_request,", "/aws4_request/,") },
			ok:    true},

		// Shape of the Authorization header.
		{name: "no auth",
			after:    func(r *http.Request, _ *string) { r.Header.Del("Authorization") },
			wantCode: awserr.MissingAuthenticationToken, wantMsg: "Missing Authentication Token"},
		{name: "bearer token is no auth",
			after:    func(r *http.Request, _ *string) { r.Header.Set("Authorization", "Bearer eyJhbGciOi") },
			wantCode: awserr.MissingAuthenticationToken, wantMsg: "Missing Authentication Token"},
		{name: "unsupported algorithm",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256") },
			wantCode: awserr.IncompleteSignature,
			wantMsg:  "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "},
		{name: "missing credential",
			after: func(r *http.Request, _ *string) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abcd")
			},
			wantCode: awserr.IncompleteSignature,
			wantMsg:  "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abcd"},
		{name: "missing signature and signed headers",
			after: func(r *http.Request, _ *string) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/cognito-identity/aws4_request")
			},
			wantCode: awserr.IncompleteSignature,
			wantMsg: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/cognito-identity/aws4_request"},
		{name: "missing everything",
			after: func(r *http.Request, _ *string) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256")
				r.Header.Del("X-Amz-Date")
			},
			wantCode: awserr.IncompleteSignature,
			wantMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{name: "missing date",
			after: func(r *http.Request, _ *string) { r.Header.Del("X-Amz-Date") },
			// The message echoes the whole Authorization header, checked by prefix below.
			wantCode: awserr.IncompleteSignature},
		{name: "space after equals sign",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "Credential=", "Credential= ") },
			wantCode: awserr.IncompleteSignature},
		{name: "header listed as signed but absent",
			after:    func(r *http.Request, _ *string) { rewriteAuth(r, "SignedHeaders=", "SignedHeaders=x-absent;") },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "host missing from signed headers",
			after: func(r *http.Request, _ *string) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", strings.Replace(a, ";host;", ";", 1))
			},
			wantCode: awserr.InvalidSignature,
			wantMsg:  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "query auth as well as header auth",
			after: func(r *http.Request, _ *string) {
				r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},

		// Temporary credentials.
		{name: "session token right", creds: temp, ok: true, wantAKID: tempAKID},
		{name: "session token wrong",
			creds:    aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: "forged"},
			wantCode: awserr.UnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "session token missing",
			creds:    aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret},
			wantCode: awserr.UnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "session token removed after signing", creds: temp,
			after:    func(r *http.Request, _ *string) { r.Header.Del("X-Amz-Security-Token") },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "session token on a long-term key",
			creds:    aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: tempToken},
			wantCode: awserr.UnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "session token wrong and signature wrong reports the signature",
			creds:    aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: "wrong", SessionToken: "forged"},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},

		// X-Amz-Content-Sha256.
		{name: "content sha256 matching",
			before: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hexSHA256(cognitoBody)) },
			ok:     true},
		{name: "content sha256 not matching",
			before:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hexSHA256("other")) },
			payload:  hexSHA256("other"),
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "unsigned payload refused by default",
			before:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", unsignedPayload) },
			payload:  unsignedPayload,
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "unsigned payload when allowed",
			before:  func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", unsignedPayload) },
			payload: unsignedPayload,
			tweak:   func(v *Verifier) { v.AllowUnsignedPayload = true },
			ok:      true},

		// Canonicalisation.
		{name: "repeated headers and white space",
			before: func(r *http.Request) {
				r.Header["X-Amz-Meta-List"] = []string{"  a   b  ", "c", " d\te  f "}
				r.Header.Set("X-Amz-Meta-Spaces", "x      y")
			},
			ok: true},
		{name: "repeated header reordered after signing",
			before: func(r *http.Request) { r.Header["X-Amz-Meta-List"] = []string{"a", "b"} },
			after: func(r *http.Request, _ *string) {
				r.Header["X-Amz-Meta-List"] = []string{"b", "a"}
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "query string",
			before: func(r *http.Request) {
				r.URL.RawQuery = "b=2&a=1&a=0&c=x%20y&d=a%2Fb&e=a-b&empty=&flag&t=%E2%9C%93&p=1+2"
			},
			ok: true},
		{name: "query tampered",
			before:   func(r *http.Request) { r.URL.RawQuery = "a=1" },
			after:    func(r *http.Request, _ *string) { r.URL.RawQuery = "a=2" },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "path needing encoding",
			before: func(r *http.Request) {
				u, _ := url.Parse("https://" + cognitoHost + "/some%20path/a+b/%7Euser/caf%C3%A9")
				r.URL = u
			},
			ok: true},
		{name: "path with dot segments signed as sent",
			before: func(r *http.Request) {
				u, _ := url.Parse("https://" + cognitoHost + "/a//b/../c/./d")
				r.URL = u
			},
			ok: true},
		{name: "content-length not signed",
			before: func(r *http.Request) { r.ContentLength = -1 },
			// As botocore: the length is not signed, so the server's length does not matter.
			after: func(r *http.Request, _ *string) { r.ContentLength = int64(len(cognitoBody)) },
			ok:    true},
		{name: "content-length tampered",
			after:    func(r *http.Request, _ *string) { r.ContentLength++ },
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds := tc.creds
			if creds == (aws.Credentials{}) {
				creds = good
			}
			region, service := tc.region, tc.service
			if region == "" {
				region = testRegion
			}
			if service == "" {
				service = testService
			}
			payload := tc.payload
			if payload == "" {
				payload = hexSHA256(cognitoBody)
			}
			r := cognitoRequest(cognitoBody)
			if tc.before != nil {
				tc.before(r)
			}
			sdkSign(t, r, payload, creds, service, region, t0)
			body := cognitoBody
			if tc.after != nil {
				tc.after(r, &body)
			}
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			v := newVerifier(now)
			if tc.tweak != nil {
				tc.tweak(v)
			}

			got, err := v.Verify(context.Background(), r, []byte(body), testService)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
				}
				want := tc.wantAKID
				if want == "" {
					want = testAKID
				}
				if got.AccessKeyID != want || got.AccountID != testAccount {
					t.Fatalf("credential = %v, want %s in %s", got, want, testAccount)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify succeeded, want %s", tc.wantCode.Name())
			}
			wantErr(t, err, tc.wantCode, tc.wantMsg)
			if got != (Credential{}) {
				t.Fatalf("credential %v returned with an error", got)
			}
		})
	}
}

// TestVerifyMessagesEchoHeader covers the messages that quote the whole Authorization header.
func TestVerifyMessagesEchoHeader(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *http.Request)
		want   func(authz string) string
	}{
		{
			name:   "missing date",
			mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			want: func(a string) string {
				return "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + a
			},
		},
		{
			name:   "space after equals sign",
			mutate: func(r *http.Request) { rewriteAuth(r, "Credential=", "Credential= ") },
			want: func(a string) string {
				return "'AKIDEXAMPLE/20240517/us-east-1/cognito-identity/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '" + a + "'."
			},
		},
		{
			name:   "space inside the credential",
			mutate: func(r *http.Request) { rewriteAuth(r, "AKIDEXAMPLE/", "AKIDEXAMPLE /") },
			want: func(a string) string {
				return "'/20240517/us-east-1/cognito-identity/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '" + a + "'."
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cognitoRequest(cognitoBody)
			sdkSign(t, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, testService, testRegion, t0)
			tc.mutate(r)
			_, err := newVerifier(t0).Verify(context.Background(), r, []byte(cognitoBody), testService)
			wantErr(t, err, awserr.IncompleteSignature, tc.want(r.Header.Get("Authorization")))
		})
	}
}

// refSign is an independent, deliberately plain implementation of the signing process in
// AWS's documentation, for requests the SDK cannot produce: a Date header instead of
// X-Amz-Date, and botocore's normalised paths. TestRefSignMatchesSDK checks it against the SDK.
func refSign(r *http.Request, body, secret, akid, amzDate, canonicalURI string, signed []string) string {
	var lines []string
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		lines = append(lines, h+":"+strings.TrimSpace(v)+"\n")
	}
	sum := sha256.Sum256([]byte(body))
	creq := r.Method + "\n" + canonicalURI + "\n" + r.URL.RawQuery + "\n" + strings.Join(lines, "") + "\n" +
		strings.Join(signed, ";") + "\n" + hex.EncodeToString(sum[:])
	crSum := sha256.Sum256([]byte(creq))
	scope := amzDate[:8] + "/" + testRegion + "/" + testService + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	k := mac(mac(mac(mac([]byte("AWS4"+secret), amzDate[:8]), testRegion), testService), "aws4_request")
	return "AWS4-HMAC-SHA256 Credential=" + akid + "/" + scope + ", SignedHeaders=" + strings.Join(signed, ";") +
		", Signature=" + hex.EncodeToString(mac(k, sts))
}

func TestRefSignMatchesSDK(t *testing.T) {
	r := cognitoRequest(cognitoBody)
	sdkSign(t, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, testService, testRegion, t0)
	signed := []string{"amz-sdk-invocation-id", "amz-sdk-request", "content-length", "content-type", "host", "x-amz-date", "x-amz-target"}
	got := refSign(r, cognitoBody, testSecret, testAKID, "20240517T123000Z", "/", signed)
	if want := r.Header.Get("Authorization"); got != want {
		t.Fatalf("refSign =\n  %s\nSDK =\n  %s", got, want)
	}
}

func TestVerifyRefSigned(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		uri     string // canonical URI the client signed
		useDate bool   // Date header instead of X-Amz-Date
		ok      bool
	}{
		{name: "date header", url: "/", uri: "/", useDate: true, ok: true},
		{name: "normalised path as botocore signs it", url: "/a//b/../c/./d", uri: "/a/c/d", ok: true},
		{name: "normalised path keeps a trailing slash", url: "/a/./b/", uri: "/a/b/", ok: true},
		{name: "path signed as sent", url: "/a//b/../c/./d", uri: "/a//b/../c/./d", ok: true},
		{name: "some other path", url: "/a//b", uri: "/x", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cognitoRequest(cognitoBody)
			r.URL.Path = tc.url
			signed := []string{"content-type", "host", "x-amz-date", "x-amz-target"}
			if tc.useDate {
				r.Header.Set("Date", t0.Format(http.TimeFormat))
				signed = []string{"content-type", "date", "host", "x-amz-target"}
			} else {
				r.Header.Set("X-Amz-Date", "20240517T123000Z")
			}
			r.Header.Set("Authorization", refSign(r, cognitoBody, testSecret, testAKID, "20240517T123000Z", tc.uri, signed))
			_, err := newVerifier(t0.Add(time.Minute)).Verify(context.Background(), r, []byte(cognitoBody), testService)
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.ok {
				wantErr(t, err, awserr.InvalidSignature, msgMismatch)
			}
		})
	}

	t.Run("bad date header", func(t *testing.T) {
		r := cognitoRequest(cognitoBody)
		r.Header.Set("Date", "yesterday")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/cognito-identity/aws4_request, SignedHeaders=host, Signature=00")
		_, err := newVerifier(t0).Verify(context.Background(), r, []byte(cognitoBody), testService)
		wantErr(t, err, awserr.IncompleteSignature, "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601")
	})
}

func TestVerifyPresigned(t *testing.T) {
	const stsURL = "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
	good := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	presign := func(t *testing.T, creds aws.Credentials, expires string) *http.Request {
		t.Helper()
		u := stsURL
		if expires != "" {
			u += "&X-Amz-Expires=" + expires
		}
		r := httptest.NewRequest(http.MethodGet, u, nil)
		signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, hexSHA256(""), "sts", testRegion, t0)
		if err != nil {
			t.Fatal(err)
		}
		out := httptest.NewRequest(http.MethodGet, signed, nil)
		for k, vs := range hdr {
			if !strings.EqualFold(k, "host") {
				out.Header[k] = vs
			}
		}
		return out
	}
	tests := []struct {
		name     string
		creds    aws.Credentials
		expires  string
		after    func(r *http.Request)
		now      time.Time
		wantCode awserr.Code
		wantMsg  string
		ok       bool
	}{
		{name: "valid", expires: "900", ok: true},
		{name: "valid without X-Amz-Expires", ok: true},
		{name: "valid with session token",
			creds: aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}, ok: true},
		{name: "wrong session token",
			creds:    aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: "forged"},
			wantCode: awserr.UnrecognizedClient, wantMsg: msgInvalidToken},
		{name: "within X-Amz-Expires", expires: "900", now: t0.Add(15 * time.Minute), ok: true},
		{name: "past X-Amz-Expires", expires: "60", now: t0.Add(61 * time.Second),
			wantCode: awserr.InvalidSignature,
			wantMsg:  "Signature expired: 20240517T123000Z is now earlier than 20240517T123001Z (20240517T123101Z - 1 min.)"},
		{name: "without X-Amz-Expires the skew applies", now: t0.Add(6 * time.Minute),
			wantCode: awserr.InvalidSignature},
		{name: "not yet current", expires: "900", now: t0.Add(-6 * time.Minute),
			wantCode: awserr.InvalidSignature},
		{name: "tampered query",
			after: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "GetCallerIdentity", "GetSessionToken", 1)
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "tampered expiry",
			expires: "60",
			after: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
			},
			wantCode: awserr.InvalidSignature, wantMsg: msgMismatch},
		{name: "missing signature",
			after: func(r *http.Request) {
				q := r.URL.Query()
				q.Del("X-Amz-Signature")
				q.Del("X-Amz-Date")
				r.URL.RawQuery = q.Encode()
			},
			wantCode: awserr.IncompleteSignature,
			wantMsg:  "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{name: "unsupported algorithm",
			after: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", 1)
			},
			wantCode: awserr.IncompleteSignature,
			wantMsg:  "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "},
		{name: "expires not a number", expires: "soon",
			wantCode: awserr.IncompleteSignature, wantMsg: "X-Amz-Expires should be a number"},
		{name: "expires negative", expires: "-1",
			wantCode: awserr.IncompleteSignature, wantMsg: "X-Amz-Expires must be non-negative"},
		{name: "expires a week", expires: "604800", ok: true},
		{name: "expires over a week", expires: "604801",
			wantCode: awserr.IncompleteSignature, wantMsg: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "expires far over a week", expires: "99999999999999999999999",
			wantCode: awserr.IncompleteSignature, wantMsg: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "signature without algorithm is no auth",
			after: func(r *http.Request) {
				q := r.URL.Query()
				q.Del("X-Amz-Algorithm")
				r.URL.RawQuery = q.Encode()
			},
			wantCode: awserr.MissingAuthenticationToken, wantMsg: msgMissingToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds := tc.creds
			if creds == (aws.Credentials{}) {
				creds = good
			}
			r := presign(t, creds, tc.expires)
			if !Signed(r) {
				t.Fatal("Signed = false for a presigned URL")
			}
			if tc.after != nil {
				tc.after(r)
			}
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			_, err := newVerifier(now).Verify(context.Background(), r, nil, "sts")
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v\nURL: %s", err, r.URL)
				}
				return
			}
			wantErr(t, err, tc.wantCode, tc.wantMsg)
		})
	}
}

func TestSigned(t *testing.T) {
	tests := []struct {
		name  string
		authz string
		query string
		want  bool
	}{
		{name: "nothing"},
		{name: "sigv4 header", authz: "AWS4-HMAC-SHA256 Credential=x", want: true},
		{name: "sigv4a header", authz: "AWS4-ECDSA-P256-SHA256 Credential=x", want: true},
		{name: "bearer", authz: "Bearer abc"},
		{name: "sigv2", authz: "AWS AKID:sig"},
		{name: "presigned", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab", want: true},
		{name: "signature only", query: "a=1&X-Amz-Signature=ab", want: true},
		{name: "encoded key", query: "X-Amz%2DAlgorithm=AWS4-HMAC-SHA256", want: true},
		{name: "other query", query: "X-Amz-Date=1&Action=Foo"},
		{name: "key as a value", query: "a=X-Amz-Signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/?"+tc.query, nil)
			if tc.authz != "" {
				r.Header.Set("Authorization", tc.authz)
			}
			if got := Signed(r); got != tc.want {
				t.Fatalf("Signed = %v, want %v", got, tc.want)
			}
		})
	}
}

type failingSource struct{}

var errSourceDown = errors.New("database unavailable")

func (failingSource) LookupAccessKey(context.Context, string, string) (Credential, bool, error) {
	return Credential{}, false, errSourceDown
}

func TestVerifyLookupError(t *testing.T) {
	r := cognitoRequest(cognitoBody)
	sdkSign(t, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, testService, testRegion, t0)
	v := &Verifier{Region: testRegion, Credentials: failingSource{}, Now: func() time.Time { return t0 }}
	_, err := v.Verify(context.Background(), r, []byte(cognitoBody), testService)
	if !errors.Is(err, errSourceDown) {
		t.Fatalf("error = %v, want the source's error", err)
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		t.Fatalf("source failure reported as AWS error %v", ae)
	}
}

func TestCredentialHidesSecret(t *testing.T) {
	c := Credential{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: tempToken, AccountID: testAccount}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.LogValue().String()} {
		if strings.Contains(s, testSecret) || strings.Contains(s, tempToken) {
			t.Fatalf("%q shows a secret", s)
		}
		if !strings.Contains(s, testAKID) {
			t.Fatalf("%q lacks the access key ID", s)
		}
	}
}

func TestHMACKey32(t *testing.T) {
	for i, msg := range []string{"", "a", strings.Repeat("x", 63), strings.Repeat("y", 64), strings.Repeat("z", 1000)} {
		var key [32]byte
		for j := range key {
			key[j] = byte(i*31 + j*7)
		}
		buf := append(make([]byte, hmacBlock), msg...)
		got := hmacKey32(&key, buf)
		h := hmac.New(sha256.New, key[:])
		h.Write([]byte(msg))
		if want := h.Sum(nil); !hmac.Equal(got[:], want) {
			t.Fatalf("len %d: hmacKey32 = %x, want %x", len(msg), got, want)
		}
	}
}

func TestDeriveKey(t *testing.T) {
	// The example in AWS's SigV4 documentation ("Examples of how to derive a signing key").
	got := deriveKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("deriveKey = %x, want %s", got, want)
	}
}

func TestKeyCache(t *testing.T) {
	var c keyCache
	a := c.signingKey("s1", "20240517", "us-east-1", "sts")
	if b := c.signingKey("s1", "20240517", "us-east-1", "sts"); a != b {
		t.Fatal("cached key differs")
	}
	if b := c.signingKey("s2", "20240517", "us-east-1", "sts"); a == b {
		t.Fatal("different secrets share a key")
	}
	for i := range 3 * maxCachedKeys {
		c.signingKey("s"+strconv.Itoa(i), "20240517", "us-east-1", "sts")
	}
	if n := len(c.m); n > maxCachedKeys {
		t.Fatalf("cache holds %d keys, bound is %d", n, maxCachedKeys)
	}
	if got := c.signingKey("s1", "20240517", "us-east-1", "sts"); got != a {
		t.Fatal("key recomputed after eviction differs")
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := newVerifier(t0)
	const workers, perWorker = 8, 50
	reqs := make([][]*http.Request, workers)
	for i := range reqs {
		for j := range perWorker {
			secret, akid := testSecret, testAKID
			if (i+j)%2 == 0 {
				secret, akid = tempSecret, tempAKID
			}
			r := cognitoRequest(cognitoBody)
			sdkSign(t, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: testCreds[akid].SessionToken}, testService, testRegion, t0)
			reqs[i] = append(reqs[i], r)
		}
	}
	done := make(chan error)
	for i := range workers {
		go func() {
			var err error
			for _, r := range reqs[i] {
				if _, e := v.Verify(context.Background(), r, []byte(cognitoBody), testService); e != nil && err == nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestNormalisePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/a/b", "/a/b"},
		{"/a//b", "/a/b"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/../a", "/a"},
		{"/a/b/..", "/a"},
		{"/a/b/", "/a/b/"},
		{"//", "/"},
		{"/a/%2E%2E/b", "/a/%2E%2E/b"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := normalisePath(tc.in); got != tc.want {
				t.Fatalf("normalisePath(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Expired temporary credentials are ExpiredToken, but only for a request whose signature
// holds: anyone else learns nothing about them.
func TestVerifyExpiredCredentials(t *testing.T) {
	expired := Credential{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken, AccountID: testAccount, Expiry: t0}
	v := &Verifier{Region: testRegion, Credentials: StaticCredentials{tempAKID: expired}, Now: func() time.Time { return t0 }}
	sign := func(secret string) *http.Request {
		r := cognitoRequest(cognitoBody)
		sdkSign(t, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: secret, SessionToken: tempToken}, testService, testRegion, t0)
		return r
	}
	_, err := v.Verify(context.Background(), sign(tempSecret), []byte(cognitoBody), testService)
	wantErr(t, err, awserr.ExpiredToken, "The security token included in the request is expired")
	_, err = v.Verify(context.Background(), sign("wrong"), []byte(cognitoBody), testService)
	wantErr(t, err, awserr.InvalidSignature, "")

	valid := expired
	valid.Expiry = t0.Add(time.Second)
	v.Credentials = StaticCredentials{tempAKID: valid}
	if _, err := v.Verify(context.Background(), sign(tempSecret), []byte(cognitoBody), testService); err != nil {
		t.Fatalf("credentials a second before their expiry: %v", err)
	}
}
