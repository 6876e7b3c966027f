package oidc

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

func TestKEKEncryptsKeysAtRest(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	i := newTestIssuer(t, store, clock, func(c *Config) { c.KEK = testKEK(1) })
	assertEncrypted(t, i, store)

	tok := mustIssue(t, i, devClaims(clock, time.Hour))
	j := newTestIssuer(t, store, clock, func(c *Config) { c.KEK = testKEK(1) })
	if _, err := j.Verify(t.Context(), tok); err != nil {
		t.Fatalf("second node with the same KEK: %v", err)
	}

	// Rotation keeps the keys encrypted.
	if _, err := i.Rotate(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	assertEncrypted(t, i, store)
}

// assertEncrypted checks that the stored blob is the encrypted format and contains
// neither the private keys' DER nor their private exponents.
func assertEncrypted(t *testing.T, i *Issuer, store *memStore) {
	t.Helper()
	blob := store.snapshot().SigningKey
	if blob[0] != blobAESGCM {
		t.Fatalf("blob format 0x%02x, want encrypted", blob[0])
	}
	signing, next := privateKeys(t, i)
	for _, k := range []any{signing, next} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(blob, der[len(der)/2:len(der)/2+32]) {
			t.Error("stored blob contains plain private key DER")
		}
	}
	for _, d := range [][]byte{signing.D.Bytes(), next.D.Bytes()} {
		if bytes.Contains(blob, d[:32]) {
			t.Error("stored blob contains a private exponent")
		}
	}
}

func TestKEKRefusals(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	newTestIssuer(t, store, clock, func(c *Config) { c.KEK = testKEK(1) })
	tests := []struct {
		name string
		kek  []byte
		is   error
	}{
		{"no KEK", nil, ErrKEKMissing},
		{"wrong KEK", testKEK(2), ErrWrongKEK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(t.Context(), Config{IssuerURL: testIssuer, Keys: store, Now: clock.Now, KEK: tt.kek})
			if !errors.Is(err, tt.is) {
				t.Fatalf("New = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), "key-encryption key") {
				t.Errorf("error does not name the KEK: %v", err)
			}
		})
	}

	t.Run("blob moved to another record", func(t *testing.T) {
		// The signing key ID is bound into the ciphertext: splicing the blob under
		// another ID is detected even with the right KEK.
		k := store.snapshot()
		k.SigningKeyID = k.VerificationKeys[1].KeyID
		other := &memStore{}
		other.set(k)
		_, err := New(t.Context(), Config{IssuerURL: testIssuer, Keys: other, Now: clock.Now, KEK: testKEK(1)})
		if !errors.Is(err, ErrWrongKEK) {
			t.Fatalf("New = %v, want ErrWrongKEK", err)
		}
	})

	t.Run("corrupt blob", func(t *testing.T) {
		for _, blob := range [][]byte{nil, {0x07, 1, 2}, {blobPlain}, {blobPlain, 0x05, 1, 2}, {blobAESGCM, 1}} {
			k := store.snapshot()
			k.SigningKey = blob
			other := &memStore{}
			other.set(k)
			if _, err := New(t.Context(), Config{IssuerURL: testIssuer, Keys: other, Now: clock.Now, KEK: testKEK(1)}); err == nil {
				t.Errorf("New accepted blob %x", blob)
			}
		}
	})
}

// A KEK given to a deployment whose keys are plain encrypts them at startup, keeping
// the same keys; nodes without the KEK can no longer start.
func TestKEKAddedToPlainStore(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	plain := newTestIssuer(t, store, clock, nil)
	if store.snapshot().SigningKey[0] != blobPlain {
		t.Fatal("keys without KEK are not plain")
	}
	tok := mustIssue(t, plain, devClaims(clock, time.Hour))

	enc := newTestIssuer(t, store, clock, func(c *Config) { c.KEK = testKEK(3) })
	assertEncrypted(t, enc, store)
	if got, want := store.snapshot().SigningKeyID, plain.state.Load().signingKID; got != want {
		t.Errorf("signing key changed from %s to %s", want, got)
	}
	if _, err := enc.Verify(t.Context(), tok); err != nil {
		t.Errorf("token of the plain node: %v", err)
	}
	if _, err := New(t.Context(), Config{IssuerURL: testIssuer, Keys: store, Now: clock.Now}); !errors.Is(err, ErrKEKMissing) {
		t.Errorf("node without KEK: %v", err)
	}
	// The plain node keeps serving what it has, and its refresh fails loudly.
	plain.mu.Lock()
	err := plain.refreshLocked(t.Context())
	plain.mu.Unlock()
	if !errors.Is(err, ErrKEKMissing) {
		t.Errorf("refresh without KEK = %v", err)
	}
	if _, err := plain.Verify(t.Context(), tok); err != nil {
		t.Errorf("plain node after encryption: %v", err)
	}
}

func TestParseKEK(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // has + and / in standard base64
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"standard", base64.StdEncoding.EncodeToString(key), true},
		{"standard with newline", base64.StdEncoding.EncodeToString(key) + "\n", true},
		{"url", base64.URLEncoding.EncodeToString(key), true},
		{"raw standard", base64.RawStdEncoding.EncodeToString(key), true},
		{"raw url", base64.RawURLEncoding.EncodeToString(key), true},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(key, 0)), false},
		{"not base64", "this is not base64 at all!!", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKEK(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ParseKEK = %x, %v", got, err)
			}
			if tt.ok && !bytes.Equal(got, key) {
				t.Errorf("ParseKEK = %x", got)
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
}

func TestConfigRefusals(t *testing.T) {
	clock := newClock()
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"no store", func(c *Config) { c.Keys = nil }},
		{"no issuer", func(c *Config) { c.IssuerURL = "" }},
		{"relative issuer", func(c *Config) { c.IssuerURL = "/idpool" }},
		{"ftp issuer", func(c *Config) { c.IssuerURL = "ftp://example.com" }},
		{"trailing slash", func(c *Config) { c.IssuerURL = "http://127.0.0.1:4577/" }},
		{"query", func(c *Config) { c.IssuerURL = "http://127.0.0.1:4577?x=1" }},
		{"fragment", func(c *Config) { c.IssuerURL = "http://127.0.0.1:4577#x" }},
		{"rotation too short", func(c *Config) { c.RotationPeriod = time.Second }},
		{"negative lifetime", func(c *Config) { c.MaxTokenLifetime = -time.Hour }},
		{"1024-bit keys", func(c *Config) { c.KeyBits = 1024 }},
		{"short KEK", func(c *Config) { c.KEK = make([]byte, 16) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{IssuerURL: testIssuer, Keys: &memStore{}, Now: clock.Now}
			tt.mutate(&cfg)
			if _, err := New(context.Background(), cfg); err == nil {
				t.Fatal("New accepted the configuration")
			}
		})
	}
	t.Run("issuer with path", func(t *testing.T) {
		i := newTestIssuer(t, &memStore{}, clock, func(c *Config) { c.IssuerURL = "https://idp.example.com/tenant-a" })
		tok := mustIssue(t, i, devClaims(clock, time.Minute))
		if _, p := segments(t, tok); p["iss"] != "https://idp.example.com/tenant-a" {
			t.Errorf("iss = %v", p["iss"])
		}
	})
}

func TestNewRefusesInconsistentKeys(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	i := newTestIssuer(t, store, clock, nil)
	otherDER, err := marshalPublicKey(&mustKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(k *storage.Keys)
	}{
		{"public key does not match its kid", func(k *storage.Keys) { k.VerificationKeys[1].PublicKey = otherDER }},
		{"public key not DER", func(k *storage.Keys) { k.VerificationKeys[0].PublicKey = []byte("nope") }},
		{"next key not published", func(k *storage.Keys) { k.VerificationKeys = k.VerificationKeys[:1] }},
		{"kid listed twice", func(k *storage.Keys) { k.VerificationKeys = append(k.VerificationKeys, k.VerificationKeys[0]) }},
		{"signing key ID of another key", func(k *storage.Keys) {
			k.VerificationKeys[0], k.VerificationKeys[1] = k.VerificationKeys[1], k.VerificationKeys[0]
			k.SigningKeyID = k.VerificationKeys[0].KeyID
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := store.snapshot()
			tt.mutate(k)
			bad := &memStore{}
			bad.set(k)
			if _, err := New(t.Context(), Config{IssuerURL: testIssuer, Keys: bad, Now: clock.Now}); err == nil {
				t.Fatal("New accepted inconsistent keys")
			}
			// A running node refuses them too and keeps what it has.
			i.mu.Lock()
			err := i.installLocked(k)
			i.mu.Unlock()
			if err == nil {
				t.Fatal("installLocked accepted inconsistent keys")
			}
		})
	}
	if _, err := i.Verify(t.Context(), mustIssue(t, i, devClaims(clock, time.Minute))); err != nil {
		t.Fatal(err)
	}
}
