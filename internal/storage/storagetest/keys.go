package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

func mustGetKeys(t *testing.T, s storage.Store) *storage.Keys {
	t.Helper()
	k, err := s.GetKeys(t.Context())
	if err != nil {
		t.Fatalf("GetKeys: %v", err)
	}
	return k
}

func mustSetKeys(t *testing.T, s storage.Store, k *storage.Keys) *storage.Keys {
	t.Helper()
	got, err := s.UpdateKeys(t.Context(), func(*storage.Keys) (*storage.Keys, error) { return k, nil })
	if err != nil {
		t.Fatalf("UpdateKeys: %v", err)
	}
	return got
}

func testKeysCreate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	_, err := s.GetKeys(ctx)
	wantErr(t, "GetKeys before the first UpdateKeys", err, storage.ErrNotFound)

	k := fullKeys()
	want := cloneKeys(k)
	calls := 0
	got, err := s.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		calls++
		if cur != nil {
			t.Errorf("UpdateKeys on a new store passed %+v, want nil", cur)
		}
		return k, nil
	})
	if err != nil {
		t.Fatalf("UpdateKeys: %v", err)
	}
	if calls == 0 {
		t.Fatal("UpdateKeys did not call fn")
	}
	requireEqual(t, "UpdateKeys result", got, want)
	requireEqual(t, "UpdateKeys argument after the call", k, want)
	requireEqual(t, "GetKeys", mustGetKeys(t, s), want)
	if sh := sharedRefs(got, k); len(sh) > 0 {
		t.Errorf("UpdateKeys result shares %v with fn's keys", sh)
	}
}

func testKeysRoundTrip(t *testing.T, s storage.Store) {
	full := fullKeys()
	if unset := unsetFields(full); len(unset) > 0 {
		t.Fatalf("storagetest: fullKeys leaves %v unset", unset)
	}
	emptyCollections := &storage.Keys{SigningKeyID: "empty", SigningKey: []byte{}, VerificationKeys: []storage.VerificationKey{
		{KeyID: "no public key bytes", PublicKey: []byte{}},
	}}
	noVerification := &storage.Keys{SigningKeyID: "none", SigningKey: []byte("k"), VerificationKeys: []storage.VerificationKey{}, NextRotation: time.Now()}
	for _, c := range []struct {
		name string
		keys *storage.Keys
	}{
		{"full", full},
		{"all zero", &storage.Keys{}},
		{"empty collections", emptyCollections},
		{"no verification keys", noVerification},
		{"full again", fullKeys()},
	} {
		want := cloneKeys(c.keys)
		var seen *storage.Keys
		prev, _ := s.GetKeys(t.Context())
		got, err := s.UpdateKeys(t.Context(), func(cur *storage.Keys) (*storage.Keys, error) {
			seen = cur
			return c.keys, nil
		})
		if err != nil {
			t.Fatalf("%s: UpdateKeys: %v", c.name, err)
		}
		if prev != nil {
			requireEqual(t, c.name+": keys passed to fn", seen, prev)
		}
		requireEqual(t, c.name+": UpdateKeys result", got, want)
		stored := mustGetKeys(t, s)
		requireEqual(t, c.name+": GetKeys", stored, want)
		if loc := stored.NextRotation.Location(); loc != time.UTC {
			t.Errorf("%s: NextRotation in %v, want UTC", c.name, loc)
		}
		for i, v := range stored.VerificationKeys {
			if want.VerificationKeys[i].Expiry.IsZero() != v.Expiry.IsZero() {
				t.Errorf("%s: VerificationKeys[%d].Expiry = %v, want %v", c.name, i, v.Expiry, want.VerificationKeys[i].Expiry)
			}
		}
		if want.NextRotation.IsZero() && !stored.NextRotation.IsZero() {
			t.Errorf("%s: zero NextRotation came back as %v", c.name, stored.NextRotation)
		}

		// Results are the caller's to change.
		if len(stored.SigningKey) > 0 {
			stored.SigningKey[0] ^= 0xff
		}
		if len(stored.SessionKey) > 0 {
			stored.SessionKey[0] ^= 0xff
		}
		if len(stored.VerificationKeys) > 0 {
			stored.VerificationKeys[0].KeyID = "mutated"
		}
		again := mustGetKeys(t, s)
		requireEqual(t, c.name+": GetKeys after mutating an earlier result", again, want)
		if sh := sharedRefs(again, stored); len(sh) > 0 {
			t.Errorf("%s: two GetKeys results share %v", c.name, sh)
		}
	}
}

func testKeysUnchangedAndAbort(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := cloneKeys(fullKeys())
	mustSetKeys(t, s, fullKeys())

	// (nil, nil) keeps the keys, even when fn changed the ones it was given.
	got, err := s.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		requireEqual(t, "keys passed to fn", cur, want)
		cur.SigningKeyID = "changed but not returned"
		cur.VerificationKeys = nil
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateKeys returning (nil, nil): %v", err)
	}
	requireEqual(t, "UpdateKeys result when fn returned (nil, nil)", got, want)
	requireEqual(t, "GetKeys after fn returned (nil, nil)", mustGetKeys(t, s), want)

	fnErr := fmt.Errorf("wrapped by fn: %w", errFromFn)
	got, err = s.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		next := cloneKeys(cur)
		next.SigningKeyID = "must not persist"
		return next, fnErr
	})
	if err != fnErr {
		t.Errorf("UpdateKeys: got error %v, want fn's error as is", err)
	}
	if got != nil {
		t.Errorf("UpdateKeys returned %+v with an error", got)
	}
	requireEqual(t, "GetKeys after an aborted update", mustGetKeys(t, s), want)

	// An update sees the previous one.
	got, err = s.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		cur.NextRotation = cur.NextRotation.Add(time.Hour)
		cur.VerificationKeys = cur.VerificationKeys[:1]
		return cur, nil
	})
	if err != nil {
		t.Fatalf("UpdateKeys: %v", err)
	}
	want.NextRotation = want.NextRotation.Add(time.Hour)
	want.VerificationKeys = want.VerificationKeys[:1]
	requireEqual(t, "UpdateKeys result", got, want)
	requireEqual(t, "GetKeys", mustGetKeys(t, s), want)
}

// testKeysSessionKey follows the session key through the life of a key set that was
// written before session keys existed: it has none until the issuer adds one, and keeps
// it through later updates that do not touch it.
func testKeysSessionKey(t *testing.T, s storage.Store) {
	old := fullKeys()
	old.SessionKey = nil
	mustSetKeys(t, s, old)
	if got := mustGetKeys(t, s).SessionKey; len(got) != 0 {
		t.Fatalf("keys stored without a session key have SessionKey %x", got)
	}

	sessionKey := []byte{0x00, 0xff, 0x80, '"', '\\', 'k'}
	got, err := s.UpdateKeys(t.Context(), func(cur *storage.Keys) (*storage.Keys, error) {
		cur.SessionKey = slices.Clone(sessionKey)
		return cur, nil
	})
	if err != nil {
		t.Fatalf("UpdateKeys adding a session key: %v", err)
	}
	want := cloneKeys(old)
	want.SessionKey = sessionKey
	requireEqual(t, "UpdateKeys result after adding a session key", got, want)
	requireEqual(t, "GetKeys after adding a session key", mustGetKeys(t, s), want)

	// A rotation changes the signing key only.
	got, err = s.UpdateKeys(t.Context(), func(cur *storage.Keys) (*storage.Keys, error) {
		cur.SigningKeyID, cur.SigningKey = "rotated", []byte("rotated")
		return cur, nil
	})
	if err != nil {
		t.Fatalf("UpdateKeys rotating the signing key: %v", err)
	}
	want.SigningKeyID, want.SigningKey = "rotated", []byte("rotated")
	requireEqual(t, "UpdateKeys result after a rotation", got, want)
	requireEqual(t, "GetKeys after a rotation", mustGetKeys(t, s), want)
}

// testKeysConcurrentRotation has nodes race to rotate keys that are due: each rotates only
// when the keys it is given are still due, so exactly one must rotate and every other must
// see its result.
func testKeysConcurrentRotation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	due := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	initial := fullKeys()
	initial.NextRotation = due.Add(-time.Hour)
	mustSetKeys(t, s, initial)

	const n = 10
	start := make(chan struct{})
	rotated := make([]bool, n)
	results := make([]*storage.Keys, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			var did bool // fn may run more than once: only the last run counts
			got, err := s.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
				did = false
				if cur == nil {
					return nil, errors.New("no keys")
				}
				if !cur.NextRotation.Before(due) {
					return nil, nil
				}
				id := fmt.Sprintf("rotated-by-%d", i)
				cur.SigningKeyID = id
				cur.SigningKey = []byte(id)
				cur.VerificationKeys = append(cur.VerificationKeys, storage.VerificationKey{KeyID: id, PublicKey: []byte("pub " + id)})
				cur.NextRotation = due.Add(24 * time.Hour)
				did = true
				return cur, nil
			})
			if err != nil {
				t.Errorf("UpdateKeys %d: %v", i, err)
				return
			}
			rotated[i], results[i] = did, got
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}

	final := mustGetKeys(t, s)
	count := 0
	for i, did := range rotated {
		if did {
			count++
			if want := fmt.Sprintf("rotated-by-%d", i); final.SigningKeyID != want {
				t.Errorf("caller %d rotated but the signing key is %q", i, final.SigningKeyID)
			}
		}
		requireEqual(t, fmt.Sprintf("caller %d's result", i), results[i], final)
	}
	if count != 1 {
		t.Errorf("%d callers rotated the keys, want exactly 1", count)
	}
	if len(final.VerificationKeys) != len(initial.VerificationKeys)+1 {
		t.Errorf("%d verification keys after the race, want %d (one rotation)", len(final.VerificationKeys), len(initial.VerificationKeys)+1)
	}
}
