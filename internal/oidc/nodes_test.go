package oidc

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"
)

func TestNodesStartingTogetherAgreeOnOneKey(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	const nodes = 4
	issuers := make([]*Issuer, nodes)
	var wg sync.WaitGroup
	for n := range nodes {
		wg.Go(func() { issuers[n] = newTestIssuer(t, store, clock, nil) })
	}
	wg.Wait()
	want := store.snapshot()
	if want == nil || len(want.VerificationKeys) != 2 {
		t.Fatalf("stored keys = %+v", want)
	}
	if _, _, writes := store.counts(); writes != 1 {
		t.Errorf("%d writes, want 1", writes)
	}
	tok := mustIssue(t, issuers[0], devClaims(clock, time.Hour))
	for n, i := range issuers {
		if got := i.state.Load().signingKID; got != want.SigningKeyID {
			t.Errorf("node %d signs with %s, store says %s", n, got, want.SigningKeyID)
		}
		if _, err := i.Verify(t.Context(), tok); err != nil {
			t.Errorf("node %d: %v", n, err)
		}
		if !bytes.Equal(currentSessionKey(t, i), currentSessionKey(t, issuers[0])) {
			t.Errorf("node %d has another session key", n)
		}
	}
}

func TestRotateRaceRotatesOnce(t *testing.T) {
	for _, force := range []bool{false, true} {
		name := "due"
		if force {
			name = "forced"
		}
		t.Run(name, func(t *testing.T) {
			clock := newClock()
			store := &memStore{}
			a := newTestIssuer(t, store, clock, nil)
			b := newTestIssuer(t, store, clock, nil)
			before := a.state.Load()
			if !force {
				clock.Add(6 * time.Hour)
			}
			var wg sync.WaitGroup
			results := make([]bool, 2)
			for n, i := range []*Issuer{a, b} {
				wg.Go(func() {
					rotated, err := i.Rotate(t.Context(), force)
					if err != nil {
						t.Errorf("node %d: %v", n, err)
					}
					results[n] = rotated
				})
			}
			wg.Wait()
			if results[0] == results[1] {
				t.Fatalf("rotated = %v, want exactly one true", results)
			}
			stored := store.snapshot()
			if stored.SigningKeyID != before.nextKID {
				t.Errorf("store signs with %s, want the old next key %s", stored.SigningKeyID, before.nextKID)
			}
			// current + next + one retired: a single rotation.
			if len(stored.VerificationKeys) != 3 || stored.VerificationKeys[2].KeyID != before.signingKID {
				t.Errorf("stored verification keys = %+v", stored.VerificationKeys)
			}
			for n, i := range []*Issuer{a, b} {
				if got := i.state.Load().signingKID; got != stored.SigningKeyID {
					t.Errorf("node %d signs with %s, store %s", n, got, stored.SigningKeyID)
				}
			}
			// Both nodes now see the rotation as done.
			for n, i := range []*Issuer{a, b} {
				if rotated, err := i.Rotate(t.Context(), false); err != nil || rotated {
					t.Errorf("node %d rotated again: %v, %v", n, rotated, err)
				}
			}
		})
	}
}

func TestSecondNodePicksUpRotationOnUnknownKID(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	a := newTestIssuer(t, store, clock, nil)
	b := newTestIssuer(t, store, clock, nil)

	// Force twice so that the new signing key is one b has never seen, not even as next.
	for range 2 {
		if rotated, err := a.Rotate(t.Context(), true); err != nil || !rotated {
			t.Fatalf("Rotate = %v, %v", rotated, err)
		}
	}
	tok := mustIssue(t, a, devClaims(clock, time.Hour))
	if _, ok := b.state.Load().verify[a.state.Load().signingKID]; ok {
		t.Fatal("test setup: b already knows the key")
	}
	// b started just now: within the reload rate limit, the unknown kid is refused.
	gets, _, _ := store.counts()
	if _, err := b.Verify(t.Context(), tok); err == nil {
		t.Fatal("reload was not rate-limited")
	}
	if g, _, _ := store.counts(); g != gets {
		t.Errorf("rate-limited Verify read the store (%d reads)", g-gets)
	}

	clock.Add(reloadMinInterval)
	if _, err := b.Verify(t.Context(), tok); err != nil {
		t.Fatalf("b.Verify after a's rotation: %v", err)
	}
	if b.state.Load().signingKID != a.state.Load().signingKID {
		t.Error("b did not adopt a's signing key")
	}
	// The reload is rate-limited: more unknown kids do not hit the store.
	gets, _, _ = store.counts()
	forged := signWith(t, "RS512", mustKey(t), map[string]any{"kid": "forged"}, []byte(`{}`))
	for range 10 {
		if _, err := b.Verify(t.Context(), forged); err == nil {
			t.Fatal("forged token accepted")
		}
	}
	if g, _, _ := store.counts(); g != gets {
		t.Errorf("%d store reads for forged kids within the rate limit, want 0", g-gets)
	}
}

func TestSecondNodePicksUpRotationInRun(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	a := newTestIssuer(t, store, clock, nil)
	b := newTestIssuer(t, store, clock, nil)
	b.refreshEvery = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	if _, err := a.Rotate(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	want := a.state.Load()
	waitFor(t, func() bool { return b.state.Load().signingKID == want.signingKID })
	if got := string(b.state.Load().jwks); got != string(want.jwks) {
		t.Errorf("nodes serve different JWKS:\n%s\n%s", got, want.jwks)
	}
}

func TestRunRotatesWhenDue(t *testing.T) {
	clock := newClock()
	store := &memStore{}
	i := newTestIssuer(t, store, clock, nil)
	i.refreshEvery = 5 * time.Millisecond
	before := i.state.Load()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { i.Run(ctx); close(done) }()

	time.Sleep(20 * time.Millisecond)
	if i.state.Load().signingKID != before.signingKID {
		t.Fatal("rotated before due")
	}
	clock.Add(6 * time.Hour)
	waitFor(t, func() bool { return i.state.Load().signingKID == before.nextKID })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
