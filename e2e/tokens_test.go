package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// Tokens verify with go-oidc against the served discovery document and JWKS, before and
// after a key rotation.
func TestTokensVerifyWithGoOIDC(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)

	provider, err := gooidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&gooidc.Config{ClientID: pool, SupportedSigningAlgs: []string{"RS512"}, Now: srv.Clock.Now})

	before := devToken(t, c, pool, "alice", nil, nil)
	idt, err := verifier.Verify(ctx, aws.ToString(before.Token))
	if err != nil {
		t.Fatal(err)
	}
	if idt.Subject != aws.ToString(before.IdentityId) || idt.Issuer != srv.URL {
		t.Fatalf("token %+v", idt)
	}

	if err := srv.Server.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	after := devToken(t, c, pool, "alice", nil, nil)
	if strings.Split(aws.ToString(after.Token), ".")[0] == strings.Split(aws.ToString(before.Token), ".")[0] {
		t.Fatal("the key did not change")
	}
	// A fresh verifier (as another service would be) fetches the JWKS anew: both keys are there.
	provider, err = gooidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	verifier = provider.Verifier(&gooidc.Config{ClientID: pool, SupportedSigningAlgs: []string{"RS512"}, Now: srv.Clock.Now})
	for _, tok := range []string{aws.ToString(before.Token), aws.ToString(after.Token)} {
		if _, err := verifier.Verify(ctx, tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	// The token issued before the rotation still works as a login.
	if _, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: before.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(before.Token)}}); err != nil {
		t.Fatal(err)
	}
	// Another pool's verifier refuses it: the audience is the pool.
	other := provider.Verifier(&gooidc.Config{ClientID: "us-east-1:00000000-0000-4000-8000-000000000000", SupportedSigningAlgs: []string{"RS512"}, Now: srv.Clock.Now})
	if _, err := other.Verify(ctx, aws.ToString(after.Token)); err == nil {
		t.Fatal("token accepted for another audience")
	}
}

func TestExpiredTokenRefused(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)
	tok := devToken(t, c, pool, "alice", nil, nil)
	srv.Clock.Advance(16 * time.Minute)
	_, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: tok.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(tok.Token)}})
	wantAPIError(t, err, "NotAuthorizedException", "")
	if msg := err.Error(); !strings.Contains(msg, "Invalid login token. Token expired: ") {
		t.Fatalf("message %q", msg)
	}
	// A token of another pool is not a login of this one.
	other := createDevPool(t, c, true)
	foreign := devToken(t, c, other, "alice", nil, nil)
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: tok.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(foreign.Token)}})
	wantAPIError(t, err, "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
}

func TestDiscoveryDocument(t *testing.T) {
	srv := startServer(t)
	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	getJSON(t, srv.URL+"/.well-known/openid-configuration", &doc)
	if doc.Issuer != srv.URL || doc.JWKSURI != srv.URL+"/.well-known/jwks_uri" || len(doc.Algs) != 1 || doc.Algs[0] != "RS512" {
		t.Fatalf("discovery %+v", doc)
	}
	var jwks struct {
		Keys []struct{ Kty, Kid, Use, Alg, N, E string } `json:"keys"`
	}
	getJSON(t, doc.JWKSURI, &jwks)
	if len(jwks.Keys) == 0 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Alg != "RS512" || jwks.Keys[0].Use != "sig" || jwks.Keys[0].Kid == "" || strings.ContainsAny(jwks.Keys[0].N, "+/=") {
		t.Fatalf("jwks %+v", jwks)
	}
}
