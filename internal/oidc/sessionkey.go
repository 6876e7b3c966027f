package oidc

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
)

// SessionKeySize is the length of the key that seals the built-in STS's session tokens.
const SessionKeySize = 32

// The session key lives in the key set beside the signing keys (storage.Keys.SessionKey)
// because it needs what they have: one value shared by every node, created once by
// whichever node starts first, and encrypted under the KEK when one is configured. Unlike
// the signing keys it is never rotated: a token sealed with it must open until it expires,
// and nothing is published that a rotation would keep fresh.
//
// Blob format, as for the signing keys (blobPlain/blobAESGCM), with its own AAD so that
// neither blob can stand in for the other.
const sessionKeyAAD = "idpool/oidc/session-key/v1"

// SessionKey returns the deployment's session-token key (SessionKeySize bytes). The
// caller gets its own copy.
func (i *Issuer) SessionKey() []byte { return bytes.Clone(i.sessionKey) }

// ensureSessionKey makes sure the stored key set has a session key, sealed under the KEK
// if one is configured, and returns the key. Key sets written before session keys existed
// get one here; a plain one is sealed once a KEK is configured. Called with i.mu held.
func (i *Issuer) ensureSessionKey(ctx context.Context) ([]byte, error) {
	keys, err := i.cfg.Keys.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		if cur == nil {
			return nil, errors.New("oidc: signing keys disappeared from storage")
		}
		var blob []byte
		if len(cur.SessionKey) == 0 {
			var err error
			if blob, err = newSessionKey(i.aead); err != nil {
				return nil, err
			}
		} else {
			stored, encrypted, err := openSessionKey(i.aead, cur.SessionKey)
			if err != nil || encrypted || i.aead == nil {
				return nil, nil // already as wanted, or unreadable: reported below
			}
			blob, err = sealSessionKey(i.aead, stored)
			clear(stored)
			if err != nil {
				return nil, err
			}
		}
		out := cloneKeys(cur)
		out.SessionKey = blob
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("oidc: storing the session key: %w", err)
	}
	if keys, err = i.storedKeys(ctx, keys); err != nil {
		return nil, err
	}
	key, _, err := openSessionKey(i.aead, keys.SessionKey)
	if err != nil {
		return nil, fmt.Errorf("oidc: opening the stored session key: %w", err)
	}
	return key, nil
}

// checkSessionKey reports a reloaded key set whose session key is missing or is not the
// one this node seals with. Only a node of an older version writes such a key set (it
// drops the field it does not know), and the nodes would then stop verifying each
// other's credentials, which would otherwise go unexplained.
func (i *Issuer) checkSessionKey(keys *storage.Keys) {
	if i.sessionKey == nil {
		return // New has not got it yet
	}
	stored, _, err := openSessionKey(i.aead, keys.SessionKey)
	defer clear(stored)
	if err != nil || !bytes.Equal(stored, i.sessionKey) {
		i.log.Error("the stored session key is missing or not this node's: credentials issued by one node may not verify on another; "+
			"stop every node of an older version, then restart the nodes", "err", err)
	}
}

// newSessionKey returns the blob of a fresh session key.
func newSessionKey(aead cipher.AEAD) ([]byte, error) {
	key := make([]byte, SessionKeySize)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("oidc: session key: %w", err)
	}
	return sealSessionKey(aead, key)
}

func sealSessionKey(aead cipher.AEAD, key []byte) ([]byte, error) {
	return sealBlob(aead, key, []byte(sessionKeyAAD))
}

// openSessionKey reverses sealSessionKey, reporting whether the blob was encrypted. The
// key returned is the caller's own.
func openSessionKey(aead cipher.AEAD, blob []byte) (key []byte, encrypted bool, err error) {
	payload, encrypted, err := openBlob(aead, blob, []byte(sessionKeyAAD), "session key")
	if err != nil {
		return nil, encrypted, err
	}
	if !encrypted {
		payload = bytes.Clone(payload)
	}
	if len(payload) != SessionKeySize {
		clear(payload)
		return nil, encrypted, fmt.Errorf("oidc: stored session key is %d bytes, want %d", len(payload), SessionKeySize)
	}
	return payload, encrypted, nil
}
