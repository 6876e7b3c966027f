package oidc

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// SessionKeySize is the length of a key that seals the built-in STS's session tokens.
const SessionKeySize = 32

// MaxSessionLifetime is STS's longest session (DurationSeconds up to 43200; sts.MaxDuration
// is this): a retired session key keeps opening tokens this long, plus retireGrace, after
// it stopped sealing them.
const MaxSessionLifetime = 12 * time.Hour

// The session keys live in the key set beside the signing keys (storage.Keys.SessionKey)
// because they need what those have: one value shared by every node, created by whichever
// node starts first, encrypted under the KEK when one is configured, and rotated with
// them (Rotate, `idpool keys rotate`), so that a leaked key stops sealing credentials once
// the keys rotate. The current key seals. The next key, generated a rotation ahead like the
// next signing key, already opens tokens: a node that has just rotated seals with it, and
// the other nodes open those tokens before they reload the keys. A retired key only opens
// the tokens it sealed, until they have all expired.
//
// Blob format, as for the signing keys (blobPlain/blobAESGCM), with its own AAD so that
// neither blob can stand in for the other. Payload: one entry per key, the current one,
// then the next one, then the retired ones, each the key (SessionKeySize bytes) and the
// Unix second after which it opens nothing (8 bytes, big-endian; 0 for current and next).
const (
	sessionKeyAAD   = "idpool/oidc/session-key/v1"
	sessionKeyEntry = SessionKeySize + 8
)

// sessionKey is one key of the set; retire is zero for the current key.
type sessionKey struct {
	key    []byte
	retire time.Time
}

// SessionKeys returns the deployment's session keys: the current one first (it seals),
// then the next one and the retired ones that still open tokens. The slices are shared:
// callers must not modify them.
func (i *Issuer) SessionKeys() [][]byte { return i.state.Load().sessionKeys }

// ensureSessionKey makes sure the stored key set has session keys, sealed under the KEK
// if one is configured, and returns the stored key set. Key sets written before session
// keys existed get one here; plain ones are sealed once a KEK is configured. i.mu held.
func (i *Issuer) ensureSessionKey(ctx context.Context) (*storage.Keys, error) {
	var openErr error
	keys, err := i.cfg.Keys.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		if cur == nil {
			return nil, errors.New("oidc: signing keys disappeared from storage")
		}
		var set []sessionKey
		if len(cur.SessionKey) == 0 {
			var err error
			if set, err = newSessionKeys(); err != nil {
				return nil, err
			}
		} else {
			stored, encrypted, err := openSessionKeys(i.aead, cur.SessionKey)
			if openErr = err; err != nil || encrypted || i.aead == nil {
				return nil, nil // already as wanted, or unreadable: reported below
			}
			set = stored
		}
		blob, err := sealSessionKeys(i.aead, set)
		if err != nil {
			return nil, err
		}
		out := cloneKeys(cur)
		out.SessionKey = blob
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("oidc: storing the session keys: %w", err)
	}
	if openErr != nil {
		return nil, fmt.Errorf("oidc: opening the stored session keys: %w", openErr)
	}
	return i.storedKeys(ctx, keys)
}

// rotatedSessionKeys is the blob of cur's session keys after a rotation at now: the next
// key becomes current, a fresh one is next, the old current one is retired, and the
// retired ones still needed stay.
func (i *Issuer) rotatedSessionKeys(blob []byte, now time.Time) ([]byte, error) {
	if len(blob) == 0 { // ensureSessionKey gives every key set some before any rotation
		return nil, errors.New("oidc: no session keys to rotate")
	}
	old, _, err := openSessionKeys(i.aead, blob)
	if err != nil {
		return nil, err
	}
	fresh, err := newSessionKey()
	if err != nil {
		return nil, err
	}
	retired := old[0]
	retired.retire = now.Add(MaxSessionLifetime + retireGrace).Truncate(time.Second)
	return sealSessionKeys(i.aead, appendLive([]sessionKey{old[1], fresh, retired}, old[2:], now))
}

// appendLive appends to set the retired keys that still open tokens at now.
func appendLive(set, retired []sessionKey, now time.Time) []sessionKey {
	for _, k := range retired {
		if k.retire.After(now) {
			set = append(set, k)
		}
	}
	return set
}

// prunedSessionKeys is the blob without the retired keys whose time has passed, or nil
// when none has.
func (i *Issuer) prunedSessionKeys(blob []byte, now time.Time) ([]byte, error) {
	if len(blob) == 0 {
		return nil, nil
	}
	set, _, err := openSessionKeys(i.aead, blob)
	if err != nil {
		return nil, err
	}
	kept := appendLive(set[:2:2], set[2:], now)
	if len(kept) == len(set) {
		return nil, nil
	}
	return sealSessionKeys(i.aead, kept)
}

// loadSessionKeys fills st's session keys from keys. A key set without any (written by a
// node of an older version, which drops the field it does not know) keeps the ones this
// node had, and says so: otherwise the nodes would stop verifying each other's
// credentials with nothing to tell why.
func (i *Issuer) loadSessionKeys(st *keyState, keys *storage.Keys, old *keyState) error {
	if len(keys.SessionKey) == 0 {
		if old != nil && len(old.sessionKeys) > 0 {
			i.log.Error("the stored session keys are missing: this node keeps its own, but credentials may not verify across nodes; " +
				"stop every node of an older version, then restart the nodes")
			st.sessionKeys, st.sessionRetire = old.sessionKeys, old.sessionRetire
		}
		return nil
	}
	set, _, err := openSessionKeys(i.aead, keys.SessionKey)
	if err != nil {
		return fmt.Errorf("oidc: opening the stored session keys: %w", err)
	}
	for _, k := range set {
		st.sessionKeys = append(st.sessionKeys, k.key)
		if !k.retire.IsZero() && (st.sessionRetire.IsZero() || k.retire.Before(st.sessionRetire)) {
			st.sessionRetire = k.retire
		}
	}
	return nil
}

// newSessionKeys is the set of a deployment's start: a current and a next key.
func newSessionKeys() ([]sessionKey, error) {
	current, err := newSessionKey()
	if err != nil {
		return nil, err
	}
	next, err := newSessionKey()
	if err != nil {
		return nil, err
	}
	return []sessionKey{current, next}, nil
}

func newSessionKey() (sessionKey, error) {
	key := make([]byte, SessionKeySize)
	if _, err := rand.Read(key); err != nil {
		return sessionKey{}, fmt.Errorf("oidc: session key: %w", err)
	}
	return sessionKey{key: key}, nil
}

func sealSessionKeys(aead cipher.AEAD, set []sessionKey) ([]byte, error) {
	payload := make([]byte, 0, len(set)*sessionKeyEntry)
	for _, k := range set {
		var retire uint64
		if !k.retire.IsZero() {
			retire = uint64(k.retire.Unix())
		}
		payload = binary.BigEndian.AppendUint64(append(payload, k.key...), retire)
	}
	defer clear(payload)
	return sealBlob(aead, payload, []byte(sessionKeyAAD))
}

// openSessionKeys reverses sealSessionKeys, reporting whether the blob was encrypted. The
// keys returned share no memory with blob.
func openSessionKeys(aead cipher.AEAD, blob []byte) (set []sessionKey, encrypted bool, err error) {
	payload, encrypted, err := openBlob(aead, blob, []byte(sessionKeyAAD), "session keys")
	if err != nil {
		return nil, encrypted, err
	}
	if encrypted {
		defer clear(payload)
	}
	if len(payload) < 2*sessionKeyEntry || len(payload)%sessionKeyEntry != 0 {
		return nil, encrypted, fmt.Errorf("oidc: stored session keys are %d bytes, not entries of %d", len(payload), sessionKeyEntry)
	}
	for n := 0; n < len(payload); n += sessionKeyEntry {
		k := sessionKey{key: append([]byte(nil), payload[n:n+SessionKeySize]...)}
		if retire := binary.BigEndian.Uint64(payload[n+SessionKeySize : n+sessionKeyEntry]); retire != 0 {
			k.retire = time.Unix(int64(retire), 0)
		}
		if (n < 2*sessionKeyEntry) != k.retire.IsZero() {
			return nil, encrypted, errors.New("oidc: stored session keys: the first two, and only they, must be current and next")
		}
		set = append(set, k)
	}
	return set, encrypted, nil
}
