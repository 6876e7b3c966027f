package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/idpool/idpool/internal/config"
)

const (
	benchKeyID  = "AKIAIDPOOLBENCH00001"
	benchSecret = "idpool-bench-secret-000000000000"
)

func benchServer(b *testing.B) *Server {
	b.Helper()
	cfg, err := config.ParseServe([]string{"--data-dir", b.TempDir(), "--access-key-id", benchKeyID, "--secret-access-key", benchSecret},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(b.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

// signedRequest builds a request as the Go SDK sends it, signed now.
func signedRequest(b *testing.B, op string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4577/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+op)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret},
		req, hex.EncodeToString(sum[:]), "cognito-identity", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return req
}

func serve(b *testing.B, h http.Handler, req *http.Request, body []byte) *httptest.ResponseRecorder {
	req.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// BenchmarkRequestPath measures one signed developer request through every phase:
// body read, SigV4 verification, decode, model validation, the operation (a SQLite read)
// and encoding. The signed request is reused; the verifier does not remember signatures.
func BenchmarkRequestPath(b *testing.B) {
	srv := benchServer(b)
	h := srv.Handler()
	createBody := []byte(`{"IdentityPoolName":"bench","AllowUnauthenticatedIdentities":true,"DeveloperProviderName":"login.bench","IdentityPoolTags":{"team":"bench"}}`)
	w := serve(b, h, signedRequest(b, "CreateIdentityPool", createBody), createBody)
	var pool struct{ IdentityPoolId string }
	if err := json.Unmarshal(w.Body.Bytes(), &pool); err != nil || w.Code != 200 {
		b.Fatalf("create: %d %s", w.Code, w.Body)
	}

	rolesBody := []byte(`{"IdentityPoolId":"` + pool.IdentityPoolId + `","Roles":{"unauthenticated":"arn:aws:iam::000000000000:role/Guest"}}`)
	if w := serve(b, h, signedRequest(b, "SetIdentityPoolRoles", rolesBody), rolesBody); w.Code != 200 {
		b.Fatalf("roles: %d %s", w.Code, w.Body)
	}
	idBody := []byte(`{"IdentityPoolId":"` + pool.IdentityPoolId + `"}`)
	w = serve(b, h, signedRequest(b, "GetId", idBody), idBody)
	var identity struct{ IdentityId string }
	if err := json.Unmarshal(w.Body.Bytes(), &identity); err != nil || w.Code != 200 {
		b.Fatalf("get id: %d %s", w.Code, w.Body)
	}

	cases := []struct {
		name, op string
		body     []byte
		status   int
	}{
		{"DescribeIdentityPool", "DescribeIdentityPool", []byte(`{"IdentityPoolId":"` + pool.IdentityPoolId + `"}`), 200},
		{"ListIdentityPools", "ListIdentityPools", []byte(`{"MaxResults":60}`), 200},
		{"ValidationError", "DescribeIdentityPool", []byte(`{"IdentityPoolId":"us-east-2:mock"}`), 400},
		// GetId without logins creates an identity: a durable write each time.
		{"GetIdUnauthenticated", "GetId", []byte(`{"IdentityPoolId":"` + pool.IdentityPoolId + `"}`), 200},
		// A known developer user: a read and a token signature.
		// The enhanced flow for an unauthenticated identity: reads, role choice, and a new
		// session written durably by the built-in STS.
		{"GetCredentialsForIdentity", "GetCredentialsForIdentity", []byte(`{"IdentityId":"` + identity.IdentityId + `"}`), 200},
		{"GetOpenIdTokenForDeveloperIdentity", "GetOpenIdTokenForDeveloperIdentity", []byte(`{"IdentityPoolId":"` + pool.IdentityPoolId + `","Logins":{"login.bench":"user-1"}}`), 200},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			req := signedRequest(b, tc.op, tc.body)
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(b, h, req, tc.body); w.Code != tc.status {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
