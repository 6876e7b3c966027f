package oidc

import (
	"bytes"
	"errors"
	"github.com/idpool/idpool/internal/logbuf"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func currentSessionKey(t *testing.T, i *Issuer) []byte {
	t.Helper()
	keys := i.SessionKeys()
	if len(keys) == 0 || len(keys[0]) != SessionKeySize || bytes.Equal(keys[0], make([]byte, SessionKeySize)) {
		t.Fatalf("session keys = %x", keys)
	}
	return keys[0]
}

// A rotation makes the next session key current and brings a fresh next one; the old
// current one keeps opening tokens until every session it sealed has expired, then is
// pruned. Other nodes follow through storage, and open the rotated node's tokens before
// they do: its new current key was their next one.
func TestSessionKeyRotation(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	// No scheduled rotation within the test: only the forced one below.
	long := func(c *Config) { c.RotationPeriod = 30 * 24 * time.Hour }
	a := newTestIssuer(t, store, clock, long)
	b := newTestIssuer(t, store, clock, long)
	start := a.SessionKeys()
	if len(start) != 2 || bytes.Equal(start[0], start[1]) {
		t.Fatalf("a new deployment's session keys: %x, want a current and a next", start)
	}
	if got := b.SessionKeys(); len(got) != 2 || !bytes.Equal(got[0], start[0]) || !bytes.Equal(got[1], start[1]) {
		t.Fatalf("two nodes of a new deployment disagree: %x and %x", start, got)
	}
	if _, err := a.Rotate(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	rotated := a.SessionKeys()
	if len(rotated) != 3 || !bytes.Equal(rotated[0], start[1]) || !bytes.Equal(rotated[2], start[0]) ||
		bytes.Equal(rotated[1], start[0]) || bytes.Equal(rotated[1], start[1]) {
		t.Fatalf("after a rotation: %x, want next, a fresh key, the old current", rotated)
	}
	if got := b.SessionKeys(); !bytes.Equal(got[1], rotated[0]) {
		t.Fatal("a node that has not reloaded does not know the key the rotated node seals with")
	}
	b.tick(t.Context())
	if got := b.SessionKeys(); len(got) != 3 || !bytes.Equal(got[0], rotated[0]) || !bytes.Equal(got[1], rotated[1]) {
		t.Fatalf("the other node after a refresh: %x", got)
	}

	// The old key lives exactly as long as the longest session it may have sealed.
	clock.Add(MaxSessionLifetime + retireGrace - time.Second)
	a.tick(t.Context())
	if len(a.SessionKeys()) != 3 {
		t.Fatal("the retired session key is dropped while sessions it sealed may be alive")
	}
	clock.Add(2 * time.Second)
	a.tick(t.Context())
	b.tick(t.Context())
	for n, i := range []*Issuer{a, b} {
		if got := i.SessionKeys(); len(got) != 2 || !bytes.Equal(got[0], rotated[0]) || !bytes.Equal(got[1], rotated[1]) {
			t.Errorf("node %d after the retired key's time: %x", n, got)
		}
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
	if !bytes.Equal(currentSessionKey(t, a), currentSessionKey(t, b)) {
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
	key := currentSessionKey(t, plain)
	if !bytes.Equal(currentSessionKey(t, sealed), key) {
		t.Error("the session key changed when a KEK was configured")
	}
	blob := store.snapshot().SessionKey
	if blob[0] != blobAESGCM || bytes.Contains(blob, key) {
		t.Errorf("session key not sealed under the KEK: %x", blob)
	}
	// Rotation keeps them sealed.
	if _, err := sealed.Rotate(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	blob = store.snapshot().SessionKey
	if blob[0] != blobAESGCM || bytes.Contains(blob, key) || bytes.Contains(blob, currentSessionKey(t, sealed)) {
		t.Errorf("rotated session keys not sealed under the KEK: %x", blob)
	}

	for name, kek := range map[string][]byte{"no KEK": nil, "wrong KEK": testKEK(2)} {
		_, err := New(t.Context(), Config{IssuerURL: "http://127.0.0.1:4577", Keys: store, Now: clock.Now, KEK: kek})
		if !errors.Is(err, ErrKEKMissing) && !errors.Is(err, ErrWrongKEK) {
			t.Errorf("%s: New = %v, want a KEK error", name, err)
		}
	}
}

// A reloaded key set without session keys (what a node of an older version writes when
// it rotates) is reported, and the node keeps sealing with the key it had: otherwise
// credentials would stop verifying across nodes with nothing to say why.
func TestSessionKeyDroppedIsReported(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	var logs logbuf.Buffer
	i := newTestIssuer(t, store, clock, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	key := currentSessionKey(t, i)
	i.tick(t.Context())
	if strings.Contains(logs.String(), "session keys") {
		t.Fatalf("reported with the keys in place:\n%s", logs.String())
	}
	old := store.snapshot()
	old.SessionKey = nil
	store.set(old)
	i.tick(t.Context())
	if !strings.Contains(logs.String(), "stored session keys are missing") {
		t.Errorf("dropped session keys are not reported:\n%s", logs.String())
	}
	if !bytes.Equal(currentSessionKey(t, i), key) {
		t.Error("the node lost its session key")
	}
}

func TestSessionKeysBlobRefusals(t *testing.T) {
	aead, err := newAEAD(testKEK(1))
	if err != nil {
		t.Fatal(err)
	}
	k := make([]byte, SessionKeySize)
	at := time.Unix(1_900_000_000, 0)
	for name, set := range map[string][]sessionKey{
		"one key":         {{key: k}},
		"retired first":   {{key: k, retire: at}, {key: k}},
		"retired next":    {{key: k}, {key: k, retire: at}},
		"current retired": {{key: k}, {key: k}, {key: k}},
	} {
		blob, err := sealSessionKeys(aead, set)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := openSessionKeys(aead, blob); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	blob, err := sealSessionKeys(nil, []sessionKey{{key: k}, {key: k}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := openSessionKeys(nil, blob[:len(blob)-1]); err == nil {
		t.Error("a truncated blob opened")
	}
}

// A node starting on a complete key set reads it and writes nothing.
func TestStartOnCompleteKeySetUpdatesNothing(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	newTestIssuer(t, store, clock, nil)
	_, before, _ := store.counts()
	newTestIssuer(t, store, clock, nil)
	if _, after, _ := store.counts(); after != before {
		t.Errorf("a second node's start ran %d key updates, want none", after-before)
	}
}
