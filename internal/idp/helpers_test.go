package idp

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

// testNow is the fixed instant of every test: after the fixture certificates' NotBefore.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeProviders is an in-memory IAM registry.
type fakeProviders struct {
	mu sync.Mutex
	m  map[string]*storage.IAMProvider
}

func (f *fakeProviders) put(p *storage.IAMProvider) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*storage.IAMProvider{}
	}
	f.m[p.AccountID+" "+p.ARN] = p
}

func (f *fakeProviders) GetProvider(_ context.Context, accountID, arn string) (*storage.IAMProvider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.m[accountID+" "+arn]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *p
	return &cp, nil
}

// readKey loads a PEM private key of testdata.
func readKey(tb testing.TB, name string) crypto.Signer {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		tb.Fatalf("%s: no PEM", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return k.(crypto.Signer)
}

func readFile(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func readTLSCert(tb testing.TB, name string) tls.Certificate {
	tb.Helper()
	c, err := tls.LoadX509KeyPair(filepath.Join("testdata", name+".crt"), filepath.Join("testdata", name+".key"))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// signingKey is a private key with the key ID and algorithm its JWKS entry announces.
type signingKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (k signingKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign returns a compact JWS of claims under k.
func sign(tb testing.TB, k signingKey, claims map[string]any) string {
	tb.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// fakeIssuer is an OpenID provider: for every path prefix P it serves
// P/.well-known/openid-configuration (issuer URL+P) and P/.well-known/jwks.json.
type fakeIssuer struct {
	srv              *httptest.Server
	mu               sync.Mutex
	keys             []signingKey
	jwksFetches      atomic.Int32
	discoveryFetches atomic.Int32
	status           atomic.Int32  // when non-zero, every answer has this status
	block            chan struct{} // when non-nil, JWKS answers wait for it to close
	fetchStarted     chan struct{} // when non-nil, receives a value as each JWKS request starts
}

func newFakeIssuer(tb testing.TB, keys ...signingKey) *fakeIssuer {
	f := &fakeIssuer{keys: keys}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) URL() string { return f.srv.URL }

func (f *fakeIssuer) setKeys(keys ...signingKey) {
	f.mu.Lock()
	f.keys = keys
	f.mu.Unlock()
}

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	if s := f.status.Load(); s != 0 {
		http.Error(w, "unavailable", int(s))
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		f.discoveryFetches.Add(1)
		prefix := strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":   f.srv.URL + prefix,
			"jwks_uri": f.srv.URL + prefix + "/.well-known/jwks.json",
		})
	case strings.HasSuffix(r.URL.Path, "/.well-known/jwks.json"):
		f.jwksFetches.Add(1)
		if f.fetchStarted != nil {
			f.fetchStarted <- struct{}{}
		}
		if f.block != nil {
			select {
			case <-f.block:
			case <-r.Context().Done():
				return
			}
		}
		f.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range f.keys {
			set.Keys = append(set.Keys, k.public())
		}
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	default:
		http.NotFound(w, r)
	}
}

// wantAWSErr fails unless err is an *awserr.Error with code and (when msg is not empty) a
// message containing msg.
func wantAWSErr(tb testing.TB, err error, code awserr.Code, msg string) {
	tb.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		tb.Fatalf("error %v (%T), want %s", err, err, code.Name())
	}
	if ae.Code != code || (msg != "" && !strings.Contains(ae.Message, msg)) {
		tb.Fatalf("error %s %q, want %s containing %q", ae.Code.Name(), ae.Message, code.Name(), msg)
	}
}
