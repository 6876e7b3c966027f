package idp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

const testAccount = "123456789012"

// env is a pool trusting one provider of every kind, each played by a local fake.
type env struct {
	clock     *fakeClock
	v         *Verifier
	pool      *storage.Pool
	providers *fakeProviders

	keyA, keyB, keyEC signingKey

	oidc     *fakeIssuer // the IAM OIDC provider, issuer oidc.URL()+"/oidc"
	oidcName string      // its Logins key
	oidcARN  string
	up       *fakeIssuer // the user pool, issuer up.URL()+"/us-east-1_TestPool"
	upName   string
	google   *fakeIssuer
	apple    *fakeIssuer
	social   *fakeSocial
	samlARN  string
}

const (
	userPoolID = "us-east-1_TestPool"
	oidcClient = "oidc-client"
)

func newEnv(tb testing.TB, opts ...func(*Config)) *env {
	tb.Helper()
	e := &env{clock: newClock(testNow), providers: &fakeProviders{}}
	e.keyA = signingKey{kid: "a", alg: jose.RS256, key: readKey(tb, "rsa-a.pem")}
	e.keyB = signingKey{kid: "b", alg: jose.RS256, key: readKey(tb, "rsa-b.pem")}
	e.keyEC = signingKey{kid: "ec", alg: jose.ES256, key: readKey(tb, "ec-p256.pem")}

	e.oidc = newFakeIssuer(tb, e.keyA, e.keyEC)
	u, _ := url.Parse(e.oidc.URL())
	e.oidcName = u.Host + "/oidc"
	e.oidcARN = "arn:aws:iam::" + testAccount + ":oidc-provider/" + e.oidcName
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.oidcARN, Kind: storage.ProviderOIDC,
		URL: e.oidc.URL() + "/oidc", ClientIDs: []string{oidcClient, "oidc-client-2"}})

	e.up = newFakeIssuer(tb, e.keyA)
	e.upName = "cognito-idp.us-east-1.amazonaws.com/" + userPoolID
	e.google = newFakeIssuer(tb, e.keyA)
	e.apple = newFakeIssuer(tb, e.keyEC)
	e.social = newFakeSocial(tb)

	e.samlARN = "arn:aws:iam::" + testAccount + ":saml-provider/Corp"
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.samlARN, Kind: storage.ProviderSAML,
		SAMLMetadata: readFile(tb, "saml-metadata.xml")})

	e.pool = &storage.Pool{
		AccountID: testAccount, Region: "us-east-1", ID: "us-east-1:11111111-2222-3333-4444-555555555555",
		SupportedLoginProviders: map[string]string{
			ProviderGoogle:   "google-client-1, google-client-2",
			ProviderApple:    "com.example.app",
			ProviderFacebook: "fb-app",
			ProviderAmazon:   "amzn1.application.test",
			ProviderTwitter:  "consumer-key;consumer-secret",
			ProviderDigits:   "x;y",
		},
		OpenIDConnectProviderARNs: []string{e.oidcARN},
		CognitoIdentityProviders: []storage.CognitoProvider{
			{ProviderName: e.upName, ClientID: "client-1"},
			{ProviderName: e.upName, ClientID: "client-2", ServerSideTokenCheck: true},
		},
		SAMLProviderARNs: []string{e.samlARN},
	}
	cfg := Config{
		Providers:        e.providers,
		Now:              e.clock.Now,
		Region:           "us-east-1",
		UserPoolIssuer:   func(region, id string) string { return e.up.URL() + "/" + id },
		GoogleIssuer:     e.google.URL(),
		AppleIssuer:      e.apple.URL(),
		FacebookGraphURL: e.social.srv.URL + "/facebook",
		AmazonProfileURL: e.social.srv.URL + "/amazon",
		TwitterAPIURL:    e.social.srv.URL + "/twitter",
		FetchTimeout:     2 * time.Second,
	}
	if os.Getenv("IDP_TEST_LOG") != "" { // see why refusals happen
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.v = New(cfg)
	return e
}

func (e *env) verify(provider, token string) (*Login, error) {
	return e.v.VerifyLogin(context.Background(), e.pool, provider, token)
}

// oidcClaims are valid claims of the IAM OIDC provider; extra entries replace them (a nil
// value deletes the claim).
func (e *env) oidcClaims(extra map[string]any) map[string]any {
	c := map[string]any{
		"iss": e.oidc.URL() + "/oidc",
		"sub": "oidc-user",
		"aud": oidcClient,
		"iat": testNow.Unix(),
		"exp": testNow.Add(time.Hour).Unix(),
	}
	return merge(c, extra)
}

func (e *env) userPoolClaims(extra map[string]any) map[string]any {
	c := map[string]any{
		"iss":              e.up.URL() + "/" + userPoolID,
		"sub":              "8f1c7f7e-0000-4000-8000-000000000001",
		"aud":              "client-1",
		"token_use":        "id",
		"cognito:username": "alice",
		"cognito:roles":    []string{"arn:aws:iam::123456789012:role/A"},
		"iat":              testNow.Unix(),
		"exp":              testNow.Add(time.Hour).Unix(),
	}
	return merge(c, extra)
}

func merge(c, extra map[string]any) map[string]any {
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestUserPool(t *testing.T) {
	e := newEnv(t)
	l, err := e.verify(e.upName, sign(t, e.keyA, e.userPoolClaims(nil)))
	if err != nil {
		t.Fatal(err)
	}
	sub := "8f1c7f7e-0000-4000-8000-000000000001"
	if l.Provider != e.upName || l.Subject != sub || l.AMRDetail != e.upName+":CognitoSignIn:"+sub {
		t.Fatalf("login %+v", l)
	}
	if l.Claims["cognito:username"] != "alice" || l.Claims["aud"] != "client-1" {
		t.Fatalf("claims %v", l.Claims)
	}
	// The second app client, configured with ServerSideTokenCheck (which changes nothing).
	if _, err := e.verify(e.upName, sign(t, e.keyA, e.userPoolClaims(map[string]any{"aud": "client-2"}))); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		claims map[string]any
		code   awserr.Code
		msg    string
	}{
		{"access token", map[string]any{"aud": nil, "token_use": "access", "client_id": "client-1", "scope": "aws.cognito.signin.user.admin"},
			awserr.NotAuthorized, "Invalid login token. Missing a required claim: aud"},
		{"other app client", map[string]any{"aud": "client-3"}, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool."},
		{"token_use access with aud", map[string]any{"token_use": "access"}, awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"no token_use", map[string]any{"token_use": nil}, awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"other user pool", map[string]any{"iss": e.up.URL() + "/us-east-1_Other"}, awserr.NotAuthorized, "Invalid login token. Issuer doesn't match providerName"},
		{"real AWS issuer", map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/" + userPoolID}, awserr.NotAuthorized, "Issuer doesn't match providerName"},
		{"no sub", map[string]any{"sub": nil}, awserr.NotAuthorized, "Missing a required claim: sub"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.verify(e.upName, sign(t, e.keyA, e.userPoolClaims(tc.claims)))
			wantAWSErr(t, err, tc.code, tc.msg)
		})
	}

	// A user pool the identity pool does not trust.
	_, err = e.verify("cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", sign(t, e.keyA, e.userPoolClaims(nil)))
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")
	if n := e.up.jwksFetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1 (keys cached)", n)
	}
	if n := e.up.discoveryFetches.Load(); n != 0 {
		t.Fatalf("%d discovery fetches for a user pool, want 0", n)
	}
}

func TestOIDCProvider(t *testing.T) {
	e := newEnv(t)
	for name, extra := range map[string]map[string]any{
		"aud string":          nil,
		"aud array":           {"aud": []string{"someone-else", "oidc-client-2"}},
		"azp allowed":         {"aud": []string{"someone-else"}, "azp": oidcClient},
		"ES256":               nil,
		"fractional exp":      {"exp": float64(testNow.Unix()) + 0.5 + 3600},
		"within skew":         {"exp": testNow.Add(-4 * time.Minute).Unix()},
		"nbf within skew":     {"nbf": testNow.Add(4 * time.Minute).Unix()},
		"iss trailing slash":  {"iss": e.oidc.URL() + "/oidc/"},
		"custom claims kept":  {"groups": []string{"a", "b"}, "tenant": "t1"},
		"kid-less token fine": nil,
	} {
		t.Run(name, func(t *testing.T) {
			k := e.keyA
			if name == "ES256" {
				k = e.keyEC
			}
			if name == "kid-less token fine" {
				k.kid = ""
			}
			l, err := e.verify(e.oidcName, sign(t, k, e.oidcClaims(extra)))
			if err != nil {
				t.Fatal(err)
			}
			if l.Provider != e.oidcName || l.Subject != "oidc-user" || l.AMRDetail != e.oidcName+":oidc-user" {
				t.Fatalf("login %+v", l)
			}
			if name == "custom claims kept" && l.Claims["tenant"] != "t1" {
				t.Fatalf("claims %v", l.Claims)
			}
			if exp, ok := l.Claims["exp"].(json.Number); !ok || exp == "" {
				t.Fatalf("exp claim %#v, want a json.Number", l.Claims["exp"])
			}
		})
	}
	if n := e.oidc.jwksFetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1", n)
	}
	if n := e.oidc.discoveryFetches.Load(); n != 1 {
		t.Fatalf("%d discovery fetches, want 1", n)
	}
}

func TestOIDCProviderRegistry(t *testing.T) {
	e := newEnv(t)
	tok := sign(t, e.keyA, e.oidcClaims(nil))

	// A client ID added through IAM applies at once.
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.oidcARN, Kind: storage.ProviderOIDC,
		URL: e.oidc.URL() + "/oidc", ClientIDs: []string{"other"}})
	_, err := e.verify(e.oidcName, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")

	// A provider deleted from IAM but still named by the pool.
	e.providers.mu.Lock()
	delete(e.providers.m, testAccount+" "+e.oidcARN)
	e.providers.mu.Unlock()
	_, err = e.verify(e.oidcName, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")

	// Another account's provider of the same name is invisible.
	e.providers.put(&storage.IAMProvider{AccountID: "999999999999", ARN: e.oidcARN, Kind: storage.ProviderOIDC,
		URL: e.oidc.URL() + "/oidc", ClientIDs: []string{oidcClient}})
	_, err = e.verify(e.oidcName, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider")

	// Plain http is for loopback hosts only.
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.oidcARN, Kind: storage.ProviderOIDC,
		URL: "http://idp.example.com/oidc", ClientIDs: []string{oidcClient}})
	_, err = e.verify(e.oidcName, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider")

	// Not a provider of the pool at all.
	_, err = e.verify("idp.example.com", tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")
}

func TestGoogleAndApple(t *testing.T) {
	e := newEnv(t)
	google := func(extra map[string]any) map[string]any {
		return merge(map[string]any{"iss": e.google.URL(), "sub": "1234567890", "aud": "google-client-2",
			"azp": "android-client", "email": "a@example.com", "iat": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix()}, extra)
	}
	l, err := e.verify(ProviderGoogle, sign(t, e.keyA, google(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "1234567890" || l.AMRDetail != "accounts.google.com:1234567890" || l.Claims["email"] != "a@example.com" {
		t.Fatalf("login %+v", l)
	}
	_, err = e.verify(ProviderGoogle, sign(t, e.keyA, google(map[string]any{"aud": "google-client-3"})))
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")
	_, err = e.verify(ProviderGoogle, sign(t, e.keyA, google(map[string]any{"iss": e.apple.URL()})))
	wantAWSErr(t, err, awserr.NotAuthorized, "Issuer doesn't match providerName")

	apple := map[string]any{"iss": e.apple.URL(), "sub": "001234.abcdef", "aud": "com.example.app",
		"iat": testNow.Unix(), "exp": testNow.Add(10 * time.Minute).Unix()}
	l, err = e.verify(ProviderApple, sign(t, e.keyEC, apple))
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "001234.abcdef" || l.AMRDetail != "appleid.apple.com:001234.abcdef" {
		t.Fatalf("login %+v", l)
	}
	// Apple's keys do not verify a token signed by Google's.
	_, err = e.verify(ProviderApple, sign(t, signingKey{kid: "ec", alg: jose.RS256, key: e.keyA.key}, apple))
	wantAWSErr(t, err, awserr.NotAuthorized, "Couldn't verify signed token.")

	// The default Google issuer accepts Google's scheme-less iss too.
	v := New(Config{})
	if v.googleIssuer != "https://accounts.google.com" || v.appleIssuer != "https://appleid.apple.com" {
		t.Fatalf("defaults %q %q", v.googleIssuer, v.appleIssuer)
	}

	_, err = e.verify(ProviderDigits, "whatever")
	wantAWSErr(t, err, awserr.NotAuthorized, "Digits")
}

// TestJWTAttacks throws hostile tokens at the IAM OIDC provider.
func TestJWTAttacks(t *testing.T) {
	e := newEnv(t)
	valid := sign(t, e.keyA, e.oidcClaims(nil))
	if _, err := e.verify(e.oidcName, valid); err != nil { // warm the cache
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	b64 := func(v any) string {
		j, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(j)
	}

	pubDER, _ := x509.MarshalPKIXPublicKey(e.keyA.key.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hmacWith := func(secret []byte) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: secret, KeyID: "a"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(e.oidcClaims(nil))
		obj, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := obj.CompactSerialize()
		return tok
	}
	jwkJSON, _ := json.Marshal(e.keyA.public())
	psWithRSKey := signingKey{kid: "a", alg: jose.PS256, key: e.keyA.key}

	expired := e.oidcClaims(map[string]any{"exp": testNow.Add(-time.Hour).Unix()})
	cases := []struct {
		name  string
		token string
		code  awserr.Code
		msg   string
	}{
		{"alg none", b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + parts[1] + ".", awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"alg none with signature", b64(map[string]string{"alg": "none", "kid": "a"}) + "." + parts[1] + "." + parts[2], awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"HS256 keyed with the public key PEM", hmacWith(pubPEM), awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"HS256 keyed with the public JWK", hmacWith(jwkJSON), awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"alg header rewritten to HS256", b64(map[string]string{"alg": "HS256", "kid": "a"}) + "." + parts[1] + "." + parts[2], awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"PS256 under a key announced for RS256", sign(t, psWithRSKey, e.oidcClaims(nil)), awserr.NotAuthorized, "Couldn't verify signed token."},
		{"tampered payload", parts[0] + "." + b64(e.oidcClaims(map[string]any{"sub": "admin"})) + "." + parts[2], awserr.NotAuthorized, "Couldn't verify signed token."},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(sign(t, e.keyA, e.oidcClaims(map[string]any{"sub": "x"})), ".")[2], awserr.NotAuthorized, "Couldn't verify signed token."},
		{"expired", sign(t, e.keyA, expired), awserr.NotAuthorized, fmt.Sprintf("Invalid login token. Token expired: %d >= %d", testNow.Unix(), testNow.Add(-time.Hour).Unix())},
		{"expired just past the skew", sign(t, e.keyA, e.oidcClaims(map[string]any{"exp": testNow.Add(-ClockSkew).Unix()})), awserr.NotAuthorized, "Token expired"},
		{"no exp", sign(t, e.keyA, e.oidcClaims(map[string]any{"exp": nil})), awserr.NotAuthorized, "Missing a required claim: exp"},
		{"exp a string", sign(t, e.keyA, e.oidcClaims(map[string]any{"exp": "2030"})), awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"not yet valid", sign(t, e.keyA, e.oidcClaims(map[string]any{"nbf": testNow.Add(10 * time.Minute).Unix()})), awserr.NotAuthorized, "not valid before"},
		{"issued in the future", sign(t, e.keyA, e.oidcClaims(map[string]any{"iat": testNow.Add(10 * time.Minute).Unix()})), awserr.NotAuthorized, "issued in the future"},
		{"wrong issuer", sign(t, e.keyA, e.oidcClaims(map[string]any{"iss": "https://evil.example.com/oidc"})), awserr.NotAuthorized, "Invalid login token. Issuer doesn't match providerName"},
		{"issuer without scheme", sign(t, e.keyA, e.oidcClaims(map[string]any{"iss": e.oidcName})), awserr.NotAuthorized, "Issuer doesn't match providerName"},
		{"no issuer", sign(t, e.keyA, e.oidcClaims(map[string]any{"iss": nil})), awserr.NotAuthorized, "Issuer doesn't match providerName"},
		{"wrong audience", sign(t, e.keyA, e.oidcClaims(map[string]any{"aud": "someone-else"})), awserr.NotAuthorized, "Token is not from a supported provider of this identity pool."},
		{"no audience", sign(t, e.keyA, e.oidcClaims(map[string]any{"aud": nil})), awserr.NotAuthorized, "Token is not from a supported provider of this identity pool."},
		{"azp not allowed, aud allowed", sign(t, e.keyA, e.oidcClaims(map[string]any{"azp": "someone-else"})), awserr.NotAuthorized, "Token is not from a supported provider of this identity pool."},
		{"aud of numbers", sign(t, e.keyA, e.oidcClaims(map[string]any{"aud": []int{1}})), awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"oversized", sign(t, e.keyA, e.oidcClaims(map[string]any{"pad": strings.Repeat("x", MaxJWTSize)})), awserr.NotAuthorized, "larger than 16384 bytes"},
		{"empty", "", awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"garbage", "not a token", awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"payload not JSON", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("hello")) + "." + parts[2], awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"payload an array", parts[0] + "." + b64([]int{1}) + "." + parts[2], awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
		{"four parts", valid + ".x", awserr.NotAuthorized, "Not a valid OpenId Connect identity token."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := e.verify(e.oidcName, tc.token)
			if err == nil {
				t.Fatalf("accepted: %+v", l)
			}
			t.Log(err)
			wantAWSErr(t, err, tc.code, tc.msg)
		})
	}
	if n := e.oidc.jwksFetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1: no attack may cause a fetch", n)
	}
}

// TestUnknownKid: a key ID the cache does not know causes one refetch, then a refusal;
// further tokens with unknown key IDs cause no fetch until MinRefetchInterval has passed.
func TestUnknownKid(t *testing.T) {
	e := newEnv(t)
	if _, err := e.verify(e.oidcName, sign(t, e.keyA, e.oidcClaims(nil))); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(MinRefetchInterval)
	rogue := signingKey{kid: "rogue", alg: jose.RS256, key: e.keyB.key}
	for i := range 5 {
		_, err := e.verify(e.oidcName, sign(t, rogue, e.oidcClaims(map[string]any{"jti": i})))
		wantAWSErr(t, err, awserr.NotAuthorized, "Invalid login token. Couldn't verify signed token.")
	}
	if n := e.oidc.jwksFetches.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (initial and one refetch)", n)
	}
	// A key the attacker names with a known kid does not verify either, and costs nothing.
	_, err := e.verify(e.oidcName, sign(t, signingKey{kid: "a", alg: jose.RS256, key: e.keyB.key}, e.oidcClaims(nil)))
	wantAWSErr(t, err, awserr.NotAuthorized, "Couldn't verify signed token.")

	// The provider rotates to key b. Within the interval the new key is not fetched yet...
	e.oidc.setKeys(e.keyA, e.keyB)
	rotated := sign(t, e.keyB, e.oidcClaims(nil))
	_, err = e.verify(e.oidcName, rotated)
	wantAWSErr(t, err, awserr.NotAuthorized, "Couldn't verify signed token.")
	// ...and after it, the first token naming it fetches it.
	e.clock.Advance(MinRefetchInterval)
	if _, err := e.verify(e.oidcName, rotated); err != nil {
		t.Fatal(err)
	}
	if n := e.oidc.jwksFetches.Load(); n != 3 {
		t.Fatalf("%d JWKS fetches, want 3", n)
	}
}

// TestKeysTTL: keys are refreshed after KeysTTL, so a withdrawn key stops verifying; a
// refresh that fails keeps the old keys.
func TestKeysTTL(t *testing.T) {
	e := newEnv(t)
	claims := func() map[string]any {
		return e.oidcClaims(map[string]any{"iat": e.clock.Now().Unix(), "exp": e.clock.Now().Add(time.Hour).Unix()})
	}
	if _, err := e.verify(e.oidcName, sign(t, e.keyA, claims())); err != nil {
		t.Fatal(err)
	}
	// Provider down at refresh time: the cached keys still verify.
	e.clock.Advance(KeysTTL)
	e.oidc.status.Store(503)
	if _, err := e.verify(e.oidcName, sign(t, e.keyA, claims())); err != nil {
		t.Fatalf("stale keys not used while the provider is down: %v", err)
	}
	// Provider back, key a withdrawn: after the next refresh it no longer verifies.
	e.oidc.status.Store(0)
	e.oidc.setKeys(e.keyEC)
	e.clock.Advance(KeysTTL)
	_, err := e.verify(e.oidcName, sign(t, e.keyA, claims()))
	wantAWSErr(t, err, awserr.NotAuthorized, "Couldn't verify signed token.")
	if _, err := e.verify(e.oidcName, sign(t, e.keyEC, claims())); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	t.Run("5xx", func(t *testing.T) {
		e := newEnv(t)
		e.oidc.status.Store(503)
		_, err := e.verify(e.oidcName, sign(t, e.keyA, e.oidcClaims(nil)))
		wantAWSErr(t, err, awserr.ExternalService, "")
		// Within the interval the failure is remembered, the provider not asked again.
		_, err = e.verify(e.oidcName, sign(t, e.keyA, e.oidcClaims(nil)))
		wantAWSErr(t, err, awserr.ExternalService, "")
		if n := e.oidc.discoveryFetches.Load() + e.oidc.jwksFetches.Load(); n != 0 {
			t.Fatalf("%d successful fetches while failing", n)
		}
		e.oidc.status.Store(0)
		e.clock.Advance(MinRefetchInterval)
		if _, err := e.verify(e.oidcName, sign(t, e.keyA, e.oidcClaims(nil))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("down", func(t *testing.T) {
		e := newEnv(t)
		e.up.srv.Close()
		_, err := e.verify(e.upName, sign(t, e.keyA, e.userPoolClaims(nil)))
		wantAWSErr(t, err, awserr.ExternalService, "")
	})
	t.Run("slow", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.FetchTimeout = 150 * time.Millisecond })
		e.up.block = make(chan struct{})
		defer close(e.up.block)
		start := time.Now()
		_, err := e.verify(e.upName, sign(t, e.keyA, e.userPoolClaims(nil)))
		wantAWSErr(t, err, awserr.ExternalService, "")
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v, want about the fetch timeout", d)
		}
	})
	t.Run("caller gives up", func(t *testing.T) {
		e := newEnv(t)
		e.up.block = make(chan struct{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := e.v.VerifyLogin(ctx, e.pool, e.upName, sign(t, e.keyA, e.userPoolClaims(nil)))
		wantAWSErr(t, err, awserr.ExternalService, "")
		close(e.up.block)
	})
	t.Run("discovery names another issuer", func(t *testing.T) {
		e := newEnv(t)
		liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": "https://evil.example.com", "jwks_uri": e.oidc.URL() + "/oidc/.well-known/jwks.json"})
		}))
		defer liar.Close()
		e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.oidcARN, Kind: storage.ProviderOIDC,
			URL: liar.URL, ClientIDs: []string{oidcClient}})
		_, err := e.verify(e.oidcName, sign(t, e.keyA, e.oidcClaims(map[string]any{"iss": liar.URL})))
		wantAWSErr(t, err, awserr.ExternalService, "")
		if n := e.oidc.jwksFetches.Load(); n != 0 {
			t.Fatalf("JWKS of a lying discovery document fetched %d times", n)
		}
	})
}

// TestConcurrentRefetch: 50 verifications of a token whose key ID the cache does not know
// share one JWKS fetch, and all succeed with its result.
func TestConcurrentRefetch(t *testing.T) {
	e := newEnv(t)
	if _, err := e.verify(e.oidcName, sign(t, e.keyA, e.oidcClaims(nil))); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(MinRefetchInterval)
	e.oidc.setKeys(e.keyA, e.keyB)
	e.oidc.block = make(chan struct{})
	e.oidc.fetchStarted = make(chan struct{}, 10)
	tok := sign(t, e.keyB, e.oidcClaims(nil))

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := e.verify(e.oidcName, tok)
			errs <- err
		})
	}
	<-e.oidc.fetchStarted
	time.Sleep(100 * time.Millisecond) // let every caller reach the shared fetch
	close(e.oidc.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.oidc.jwksFetches.Load(); got != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (warm-up and one shared refetch)", got)
	}
}

func TestUnconfigured(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"", "cognito-identity.amazonaws.com", "login.example.com", "arn:aws:iam::123456789012:saml-provider/Other", "cognito-idp.us-east-1.amazonaws.com/"} {
		_, err := e.verify(p, "x")
		wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")
	}
	if _, err := e.v.VerifyLogin(context.Background(), nil, e.oidcName, "x"); err == nil {
		t.Fatal("nil pool accepted")
	}
	// Without a registry an OIDC login is an internal error, not a refusal.
	v := New(Config{Now: e.clock.Now})
	_, err := v.VerifyLogin(context.Background(), e.pool, e.oidcName, sign(t, e.keyA, e.oidcClaims(nil)))
	if err == nil {
		t.Fatal("verified without a registry")
	}
	if ServerSideTokenCheckBehavior == "" {
		t.Fatal("undocumented")
	}
}

func TestAllowedURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://idp.example.com":          true,
		"https://idp.example.com/tenant/1": true,
		"http://127.0.0.1:8080/x":          true,
		"http://localhost:9000":            true,
		"http://[::1]:9000":                true,
		"http://idp.example.com":           false,
		"http://127.0.0.1.nip.io":          false,
		"ftp://idp.example.com":            false,
		"https://user@idp.example.com":     false,
		"https://idp.example.com?x=1":      false,
		"idp.example.com":                  false,
		"":                                 false,
	} {
		if got := allowedURL(u); got != want {
			t.Errorf("allowedURL(%q) = %v", u, got)
		}
	}
	if !allowedFetchURL("https://tenant.b2clogin.com/tenant/discovery/v2.0/keys?p=b2c_1_signin") || allowedFetchURL("http://idp.example.com/keys") {
		t.Error("allowedFetchURL")
	}
	req := func(u string) *http.Request { r, _ := http.NewRequest("GET", u, nil); return r }
	if checkRedirect(req("https://cdn.example.com/jwks"), nil) != nil || checkRedirect(req("http://cdn.example.com/jwks"), nil) == nil ||
		checkRedirect(req("https://a.example.com"), make([]*http.Request, 5)) == nil {
		t.Error("checkRedirect")
	}
}
