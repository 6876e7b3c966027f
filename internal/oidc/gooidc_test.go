package oidc

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// serve starts an HTTP server for the issuer's endpoints; its URL is the issuer URL.
func serve(t *testing.T, store *memStore, clock *fakeClock, mutate func(*Config)) (*Issuer, *httptest.Server) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	i := newTestIssuer(t, store, clock, func(c *Config) {
		c.IssuerURL = url
		if mutate != nil {
			mutate(c)
		}
	})
	mux := http.NewServeMux()
	mux.Handle(DiscoveryPath, i.DiscoveryHandler())
	mux.Handle(JWKSPath, i.JWKSHandler())
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return i, srv
}

// fetchJWKS returns the key IDs the JWKS endpoint publishes, in order.
func fetchJWKS(t *testing.T, srv *httptest.Server) []string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids
}

func TestGoOIDCVerifies(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	const rotation = 6 * time.Hour
	i, srv := serve(t, store, clock, func(c *Config) { c.RotationPeriod = rotation })
	ctx := gooidc.ClientContext(t.Context(), srv.Client())

	newVerifier := func() *gooidc.IDTokenVerifier {
		provider, err := gooidc.NewProvider(ctx, srv.URL)
		if err != nil {
			t.Fatalf("NewProvider: %v", err)
		}
		return provider.Verifier(&gooidc.Config{ClientID: testPool, SupportedSigningAlgs: []string{"RS512"}, Now: clock.Now})
	}
	verify := func(v *gooidc.IDTokenVerifier, tok string, c Claims) {
		t.Helper()
		idt, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("go-oidc Verify: %v", err)
		}
		if idt.Issuer != srv.URL || idt.Subject != c.Subject || !slices.Equal(idt.Audience, []string{testPool}) ||
			!idt.Expiry.Equal(c.Expiry.Truncate(time.Second)) {
			t.Errorf("IDToken = %+v", idt)
		}
		var extra struct {
			AMR  []string `json:"amr"`
			ARN  string   `json:"https://cognito-identity.amazonaws.com/identity-pool-arn"`
			Tags struct {
				PrincipalTags map[string][]string `json:"principal_tags"`
			} `json:"https://aws.amazon.com/tags"`
		}
		if err := idt.Claims(&extra); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(extra.AMR, c.AMR) || extra.ARN != c.PoolARN ||
			!reflect.DeepEqual(extra.Tags.PrincipalTags, map[string][]string{"tenant": {"acme"}, "team": {"blue"}}) {
			t.Errorf("claims = %+v", extra)
		}
	}

	verifier := newVerifier()
	first := i.state.Load()
	oldClaims := devClaims(clock, 24*time.Hour) // the longest token there is
	oldTok := mustIssue(t, i, oldClaims)
	verify(verifier, oldTok, oldClaims)
	if got, want := fetchJWKS(t, srv), []string{first.signingKID, first.nextKID}; !slices.Equal(got, want) {
		t.Fatalf("JWKS = %v, want signing then next %v", got, want)
	}

	// Not due yet: nothing happens.
	clock.Add(rotation - time.Second)
	if rotated, err := i.Rotate(t.Context(), false); err != nil || rotated {
		t.Fatalf("Rotate before due = %v, %v", rotated, err)
	}

	// Due: the pre-published next key signs, the old one is retired but still published.
	clock.Add(2 * time.Second)
	if rotated, err := i.Rotate(t.Context(), false); err != nil || !rotated {
		t.Fatalf("Rotate = %v, %v", rotated, err)
	}
	second := i.state.Load()
	if second.signingKID != first.nextKID {
		t.Fatalf("new signing key %s is not the pre-published next key %s", second.signingKID, first.nextKID)
	}
	if got, want := fetchJWKS(t, srv), []string{second.signingKID, second.nextKID, first.signingKID}; !slices.Equal(got, want) {
		t.Fatalf("JWKS after rotation = %v, want %v", got, want)
	}
	newClaims := devClaims(clock, 15*time.Minute)
	newTok := mustIssue(t, i, newClaims)
	if h, _ := segments(t, newTok); h["kid"] != second.signingKID {
		t.Fatalf("new token kid = %v", h["kid"])
	}
	// The verifier that cached the first JWKS already knew the new key; a fresh one
	// still finds the retired key.
	for _, v := range []*gooidc.IDTokenVerifier{verifier, newVerifier()} {
		verify(v, oldTok, oldClaims)
		verify(v, newTok, newClaims)
	}
	for _, tok := range []string{oldTok, newTok} {
		if _, err := i.Verify(t.Context(), tok); err != nil {
			t.Errorf("own Verify: %v", err)
		}
	}

	// The retired key stays until every token it signed has expired, then goes.
	retiredUntil := first.nextRotation.Add(24*time.Hour + retireGrace)
	clock.Add(24 * time.Hour)
	if _, err := i.Rotate(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if kids := fetchJWKS(t, srv); !slices.Contains(kids, first.signingKID) {
		t.Fatalf("retired key gone too early: %v (now %v, retired until %v)", kids, clock.Now(), retiredUntil)
	}
	clock.Add(rotation)
	if _, err := i.Rotate(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if !clock.Now().After(retiredUntil) {
		t.Fatal("test clock arithmetic")
	}
	if kids := fetchJWKS(t, srv); slices.Contains(kids, first.signingKID) {
		t.Fatalf("retired key still published after its tokens expired: %v", kids)
	}
	if _, err := newVerifier().Verify(ctx, oldTok); err == nil {
		t.Fatal("go-oidc verified a token whose key was dropped")
	}
}

func TestDiscoveryDocument(t *testing.T) {
	_, srv := serve(t, &memStore{}, newClock(), nil)
	resp, err := srv.Client().Get(srv.URL + DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                                srv.URL,
		"authorization_endpoint":                srv.URL + "/authorize",
		"jwks_uri":                              srv.URL + "/.well-known/jwks_uri",
		"response_types_supported":              []any{"code", "token", "id_token"},
		"subject_types_supported":               []any{"public"},
		"id_token_signing_alg_values_supported": []any{"RS512"},
		"scopes_supported":                      []any{"openid"},
		"claims_supported": []any{"sub", "aud", "iss", "amr", "exp", "iat",
			"https://cognito-identity.amazonaws.com/identity-pool-arn", "https://aws.amazon.com/tags"},
	}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("discovery = %v\nwant %v", doc, want)
	}
}

func TestJWKSDocument(t *testing.T) {
	i, srv := serve(t, &memStore{}, newClock(), nil)
	get := func(method string, header http.Header) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+JWKSPath, nil)
		maps := req.Header
		for k, v := range header {
			maps[k] = v
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	resp, body := get("GET", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	// Rotation every 6 h in these tests: a quarter is 1.5 h, capped at an hour.
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("Cache-Control = %q", got)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	st := i.state.Load()
	if len(set.Keys) != 2 {
		t.Fatalf("keys = %v", set.Keys)
	}
	signing, next := privateKeys(t, i)
	for n, pk := range []*rsa.PrivateKey{signing, next} {
		k := set.Keys[n]
		members := slices.Sorted(func(yield func(string) bool) {
			for m := range k {
				if !yield(m) {
					return
				}
			}
		})
		if !slices.Equal(members, []string{"alg", "e", "kid", "kty", "n", "use"}) {
			t.Errorf("key %d members %v", n, members)
		}
		if k["kty"] != "RSA" || k["alg"] != "RS512" || k["use"] != "sig" || k["kid"] != []string{st.signingKID, st.nextKID}[n] {
			t.Errorf("key %d = %v", n, k)
		}
		if strings.ContainsAny(k["n"]+k["e"], "=+/") {
			t.Errorf("key %d not base64url without padding: %v", n, k)
		}
		nb, err := base64.RawURLEncoding.DecodeString(k["n"])
		if err != nil || new(big.Int).SetBytes(nb).Cmp(pk.N) != 0 || nb[0] == 0 {
			t.Errorf("key %d n does not match (err %v)", n, err)
		}
		if k["e"] != "AQAB" {
			t.Errorf("key %d e = %q", n, k["e"])
		}
	}

	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if resp, _ := get("GET", http.Header{"If-None-Match": {etag}}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d", resp.StatusCode)
	}
	if resp, body := get("HEAD", nil); resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength <= 0 {
		t.Errorf("HEAD: status %d, %d bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	if resp, _ := get("POST", nil); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d", resp.StatusCode)
	}
	if _, err := i.Rotate(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get("GET", http.Header{"If-None-Match": {etag}}); resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Errorf("after rotation: status %d, etag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
}

func TestJWKSMaxAgeFollowsRotation(t *testing.T) {
	for _, tt := range []struct {
		rotation time.Duration
		want     string
	}{
		{24 * time.Hour, "public, max-age=3600"},
		{time.Hour, "public, max-age=900"},
		{time.Minute, "public, max-age=15"},
	} {
		t.Run(tt.rotation.String(), func(t *testing.T) {
			i := newTestIssuer(t, &memStore{}, newClock(), func(c *Config) { c.RotationPeriod = tt.rotation })
			rec := httptest.NewRecorder()
			i.JWKSHandler().ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), "GET", JWKSPath, nil))
			if got := rec.Header().Get("Cache-Control"); got != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
		})
	}
}
