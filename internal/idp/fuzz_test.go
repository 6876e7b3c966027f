package idp

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idpool/idpool/internal/awserr"
)

// FuzzVerifyJWT feeds arbitrary tokens to the JWT verifiers (IAM OIDC provider, user pool,
// Google): no panic, and every refusal is an *awserr.Error.
func FuzzVerifyJWT(f *testing.F) {
	e := newEnv(f)
	for _, tok := range []string{
		sign(f, e.keyA, e.oidcClaims(nil)),
		sign(f, e.keyEC, e.oidcClaims(map[string]any{"aud": []string{"x", oidcClient}, "azp": oidcClient, "nbf": testNow.Unix()})),
		sign(f, e.keyA, e.userPoolClaims(nil)),
		sign(f, e.keyA, e.userPoolClaims(map[string]any{"aud": nil, "token_use": "access"})),
		sign(f, signingKey{kid: "rogue", alg: jose.PS384, key: e.keyB.key}, e.oidcClaims(nil)),
		sign(f, e.keyA, map[string]any{"iss": e.google.URL(), "sub": "1", "aud": "google-client-1", "exp": 1e300}),
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
		"a.b.c",
		"",
	} {
		for p := range byte(3) {
			f.Add(p, tok)
		}
	}
	providers := []string{e.oidcName, e.upName, ProviderGoogle}
	f.Fuzz(func(t *testing.T, p byte, token string) {
		l, err := e.verify(providers[int(p)%len(providers)], token)
		checkOutcome(t, l, err)
	})
}

// FuzzVerifySAML feeds arbitrary SAML responses (XML, base64-encoded or not) to the SAML
// verifier: no panic, and every refusal is an *awserr.Error.
func FuzzVerifySAML(f *testing.F) {
	e := newEnv(f)
	seeds := []samlOpts{defaultSAML()}
	o := defaultSAML()
	o.signAssertion, o.signResponse = false, true
	seeds = append(seeds, o)
	o = defaultSAML()
	o.signAssertion = false
	seeds = append(seeds, o)
	for _, o := range seeds {
		raw, err := base64.StdEncoding.DecodeString(buildSAML(f, o))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, true)
	}
	f.Add([]byte("PHNhbWxwOlJlc3BvbnNlLz4="), false)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><Assertion/></samlp:Response>`), true)
	f.Fuzz(func(t *testing.T, doc []byte, encode bool) {
		tok := string(doc)
		if encode {
			tok = base64.StdEncoding.EncodeToString(doc)
		}
		l, err := e.verify(e.samlARN, tok)
		checkOutcome(t, l, err)
	})
}

func checkOutcome(t *testing.T, l *Login, err error) {
	t.Helper()
	if err != nil {
		var ae *awserr.Error
		if !errors.As(err, &ae) {
			t.Fatalf("refusal %v (%T) is not an *awserr.Error", err, err)
		}
		if l != nil {
			t.Fatal("login and error")
		}
		return
	}
	if l == nil || l.Subject == "" || l.Provider == "" {
		t.Fatalf("accepted with login %+v", l)
	}
}

// BenchmarkVerifyOIDC is the steady state of an IAM OIDC provider login: keys cached, one
// registry read, one RS256 verification.
func BenchmarkVerifyOIDC(b *testing.B) {
	e := newEnv(b)
	tok := sign(b, e.keyA, e.oidcClaims(map[string]any{"exp": testNow.Add(24 * time.Hour).Unix()}))
	ctx := context.Background()
	if _, err := e.v.VerifyLogin(ctx, e.pool, e.oidcName, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.VerifyLogin(ctx, e.pool, e.oidcName, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOIDCParallel is BenchmarkVerifyOIDC from every CPU at once: the cache's
// lock must not serialise verifications.
func BenchmarkVerifyOIDCParallel(b *testing.B) {
	e := newEnv(b)
	tok := sign(b, e.keyA, e.oidcClaims(nil))
	ctx := context.Background()
	if _, err := e.v.VerifyLogin(ctx, e.pool, e.oidcName, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.v.VerifyLogin(ctx, e.pool, e.oidcName, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifySAML is a signed-assertion SAML login with its metadata parsed and cached.
func BenchmarkVerifySAML(b *testing.B) {
	e := newEnv(b)
	tok := buildSAML(b, defaultSAML())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.VerifyLogin(ctx, e.pool, e.samlARN, tok); err != nil {
			b.Fatal(err)
		}
	}
}
