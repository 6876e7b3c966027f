package oidc

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idpool/idpool/internal/storage"
)

// memStore is an in-memory storage.KeyStore with the contract's compare-and-swap: the
// updater runs under the lock. Stored times go through a round trip like a database's
// (UTC, microseconds), so the issuer must not depend on time.Time identity.
type memStore struct {
	mu      sync.Mutex
	keys    *storage.Keys
	gets    int
	updates int // UpdateKeys calls
	writes  int // UpdateKeys calls that changed the keys
}

func (m *memStore) GetKeys(ctx context.Context) (*storage.Keys, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.keys == nil {
		return nil, storage.ErrNotFound
	}
	return dbCopy(m.keys), nil
}

func (m *memStore) UpdateKeys(ctx context.Context, fn func(*storage.Keys) (*storage.Keys, error)) (*storage.Keys, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updates++
	out, err := fn(dbCopy(m.keys))
	if err != nil {
		return nil, err
	}
	if out != nil {
		m.keys = dbCopy(out)
		m.writes++
	}
	return dbCopy(m.keys), nil
}

// snapshot returns the stored keys as they are now.
func (m *memStore) snapshot() *storage.Keys {
	m.mu.Lock()
	defer m.mu.Unlock()
	return dbCopy(m.keys)
}

func (m *memStore) counts() (gets, updates, writes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets, m.updates, m.writes
}

// set replaces the stored keys (simulating another writer or an operator).
func (m *memStore) set(k *storage.Keys) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = dbCopy(k)
}

func dbCopy(k *storage.Keys) *storage.Keys {
	if k == nil {
		return nil
	}
	out := cloneKeys(k)
	out.NextRotation = dbTime(out.NextRotation)
	for n := range out.VerificationKeys {
		out.VerificationKeys[n].Expiry = dbTime(out.VerificationKeys[n].Expiry)
	}
	return out
}

func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	testIssuer = "http://127.0.0.1:4577"
	testPool   = "us-east-1:0f2c7d1e-0000-4000-8000-000000000001"
	testID     = "us-east-1:9a8b7c6d-0000-4000-8000-000000000002"
	testARN    = "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:0f2c7d1e-0000-4000-8000-000000000001"
)

func testKEK(b byte) []byte { return bytes.Repeat([]byte{b}, KEKSize) }

// newTestIssuer starts an issuer on store with the fake clock; mutate adjusts the
// configuration.
func newTestIssuer(t testing.TB, store storage.KeyStore, clock *fakeClock, mutate func(*Config)) *Issuer {
	t.Helper()
	cfg := Config{
		IssuerURL:        testIssuer,
		Keys:             store,
		Now:              clock.Now,
		RotationPeriod:   6 * time.Hour,
		MaxTokenLifetime: 24 * time.Hour,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	i, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return i
}

// devClaims are developer-identity claims at the clock's time, valid for lifetime.
func devClaims(clock *fakeClock, lifetime time.Duration) Claims {
	now := clock.Now()
	return Claims{
		Subject:  testID,
		Audience: testPool,
		AMR: []string{"authenticated", "login.provider",
			"login.provider:us-east-1:0f2c7d1e-0000-4000-8000-000000000001:user-1"},
		PoolARN:       testARN,
		PrincipalTags: map[string]string{"tenant": "acme", "team": "blue"},
		IssuedAt:      now,
		Expiry:        now.Add(lifetime),
	}
}

func mustIssue(t testing.TB, i *Issuer, c Claims) string {
	t.Helper()
	tok, err := i.Issue(context.Background(), c)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// privateKeys returns the issuer's current signing and next private keys, read from its
// snapshot.
func privateKeys(t testing.TB, i *Issuer) (signing, next *rsa.PrivateKey) {
	t.Helper()
	st := i.state.Load()
	keys, _, err := openKeys(i.aead, st.stored.SigningKeyID, st.stored.SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	return keys[0], keys[1]
}

// signWith signs payload with an arbitrary algorithm and key, adding headers.
func signWith(t testing.TB, alg jose.SignatureAlgorithm, key any, headers map[string]any, payload []byte) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range headers {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// segments decodes the header and payload of a compact JWS as JSON objects.
func segments(t testing.TB, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for n, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[n])
		if err != nil {
			t.Fatalf("segment %d: %v", n, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("segment %d: %v", n, err)
		}
	}
	return header, payload
}

// claimsJSON is a payload signed by hand for the refusal tests.
func claimsJSON(t testing.TB, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustKey generates a throwaway RSA key that is not the issuer's.
func mustKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := generateKey(2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
