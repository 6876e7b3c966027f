package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIssuer is an OpenID Connect provider on loopback: discovery, JWKS and a signer.
type testIssuer struct {
	URL string
	key *rsa.PrivateKey
	kid string
}

func startIssuer(t *testing.T, path string) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{key: key, kid: "test-key-1"}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL + path
	mux.HandleFunc("GET "+path+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "jwks_uri": iss.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"},
			"authorization_endpoint": iss.URL + "/auth", "response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"},
		})
	})
	jwks := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: iss.kid, Algorithm: "RS256", Use: "sig"}}})
	}
	mux.HandleFunc("GET "+path+"/keys", jwks)
	// Where Cognito user pools publish their keys.
	mux.HandleFunc("GET "+path+"/.well-known/jwks.json", jwks)
	return iss
}

// token signs an ID token for sub with audience aud, valid for lifetime from now.
func (i *testIssuer) token(t *testing.T, sub, aud string, lifetime time.Duration, extra map[string]any) string {
	t.Helper()
	return i.tokenAt(t, sub, aud, time.Now(), lifetime, extra)
}

func (i *testIssuer) tokenAt(t *testing.T, sub, aud string, at time.Time, lifetime time.Duration, extra map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: i.key, KeyID: i.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": i.URL, "sub": sub, "aud": aud, "iat": at.Unix(), "exp": at.Add(lifetime).Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
