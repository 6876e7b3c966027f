package sigv4

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/idpool/idpool/internal/awserr"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers to the parser and to Verify:
// neither may panic, a parsed header's fields must be slices of it, and every rejection must
// be an AWS error.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/cognito-identity/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/, SignedHeaders=;;;, Signature=",
		"AWS4-HMAC-SHA256 Credential= AKID/x",
		"AWS4-HMAC-SHA256\tCredential=x,,,, Signature=y",
		"AWS4-HMAC-SHA256",
		"AWS4-",
		"AWS4-HMAC-SHA256 =,=,==",
		"AWS4-HMAC-SHA256 SignedHeaders=Host;:authority;Content-Length;X-\xff",
		"Bearer x",
		"",
	} {
		f.Add(s)
	}
	v := newVerifier(t0)
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err == nil {
			for _, s := range []string{a.credential, a.signedHeaders, a.signature} {
				if !strings.Contains(h, s) {
					t.Fatalf("field %q is not part of %q", s, h)
				}
			}
		}

		r := cognitoRequest(cognitoBody)
		r.Header.Set("X-Amz-Date", "20240517T123000Z")
		r.Header["Authorization"] = []string{h}
		if _, err := v.Verify(context.Background(), r, []byte(cognitoBody), testService); err != nil {
			var ae *awserr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Verify(%q) = %v, not an AWS error", h, err)
			}
		} else if !strings.Contains(h, testAKID) {
			t.Fatalf("Verify(%q) succeeded", h)
		}
	})
}

// BenchmarkVerify measures the hot path: a Cognito-shaped request signed by the Go SDK,
// verified again and again with a warm key cache.
func BenchmarkVerify(b *testing.B) {
	b.Run("header", func(b *testing.B) {
		r := cognitoRequest(cognitoBody)
		sdkSign(b, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, testService, testRegion, t0)
		benchVerify(b, r, []byte(cognitoBody), testService)
	})
	b.Run("header session token", func(b *testing.B) {
		r := cognitoRequest(cognitoBody)
		sdkSign(b, r, hexSHA256(cognitoBody), aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}, testService, testRegion, t0)
		benchVerify(b, r, []byte(cognitoBody), testService)
	})
	b.Run("header 4KiB body", func(b *testing.B) {
		body := `{"IdentityPoolName":"` + strings.Repeat("x", 4096) + `"}`
		r := cognitoRequest(body)
		sdkSign(b, r, hexSHA256(body), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, testService, testRegion, t0)
		benchVerify(b, r, []byte(body), testService)
	})
}

func benchVerify(b *testing.B, r *http.Request, body []byte, service string) {
	v := newVerifier(t0)
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, body, service); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body, service); err != nil {
			b.Fatal(err)
		}
	}
}
