package oidc

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestSessionKeyKeptAcrossRotationAndNodes(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	a := newTestIssuer(t, store, clock, nil)
	key := a.SessionKey()
	if len(key) != SessionKeySize || bytes.Equal(key, make([]byte, SessionKeySize)) {
		t.Fatalf("session key = %x", key)
	}
	if _, err := a.Rotate(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	b := newTestIssuer(t, store, clock, nil)
	if !bytes.Equal(b.SessionKey(), key) {
		t.Error("the session key changed with a rotation")
	}
	key[0] ^= 1
	if bytes.Equal(a.SessionKey(), key) {
		t.Error("SessionKey hands out the issuer's own slice")
	}
}

// A key set written before session keys existed gets one when a node starts, once.
func TestSessionKeyAddedToOlderKeySet(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	newTestIssuer(t, store, clock, nil)
	old := store.snapshot()
	old.SessionKey = nil
	store.set(old)

	a := newTestIssuer(t, store, clock, nil)
	b := newTestIssuer(t, store, clock, nil)
	if len(a.SessionKey()) != SessionKeySize || !bytes.Equal(a.SessionKey(), b.SessionKey()) {
		t.Error("nodes disagree on the added session key")
	}
	if got := store.snapshot(); got.SigningKeyID != old.SigningKeyID || len(got.SessionKey) == 0 {
		t.Errorf("stored keys after the upgrade: %+v", got)
	}
}

func TestSessionKeyUnderKEK(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	plain := newTestIssuer(t, store, clock, nil)
	if blob := store.snapshot().SessionKey; blob[0] != blobPlain {
		t.Fatalf("session key blob format 0x%02x without a KEK", blob[0])
	}

	// Configuring a KEK seals the existing session key without changing it.
	sealed := newTestIssuer(t, store, clock, func(c *Config) { c.KEK = testKEK(1) })
	if !bytes.Equal(sealed.SessionKey(), plain.SessionKey()) {
		t.Error("the session key changed when a KEK was configured")
	}
	blob := store.snapshot().SessionKey
	if blob[0] != blobAESGCM || bytes.Contains(blob, plain.SessionKey()) {
		t.Errorf("session key not sealed under the KEK: %x", blob)
	}

	for name, kek := range map[string][]byte{"no KEK": nil, "wrong KEK": testKEK(2)} {
		_, err := New(t.Context(), Config{IssuerURL: "http://127.0.0.1:4577", Keys: store, Now: clock.Now, KEK: kek})
		if !errors.Is(err, ErrKEKMissing) && !errors.Is(err, ErrWrongKEK) {
			t.Errorf("%s: New = %v, want a KEK error", name, err)
		}
	}
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A reloaded key set without this node's session key (what a node of an older version
// writes when it rotates) is reported: otherwise credentials would stop verifying across
// nodes with nothing to say why.
func TestSessionKeyDroppedIsReported(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	var logs logBuffer
	i := newTestIssuer(t, store, clock, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	i.tick(t.Context())
	if strings.Contains(logs.String(), "session key") {
		t.Fatalf("reported with the key in place:\n%s", logs.String())
	}
	old := store.snapshot()
	old.SessionKey = nil
	store.set(old)
	i.tick(t.Context())
	if !strings.Contains(logs.String(), "stored session key is missing") {
		t.Errorf("a dropped session key is not reported:\n%s", logs.String())
	}
}
