package oidc

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// Rotate rotates the keys when the rotation is due, or now when force is set: the
// pre-published next key becomes the signing key, a new next key is generated and
// published, and the old signing key is retired, published until every token it may
// have signed has expired (MaxTokenLifetime plus a small grace). The session keys of the
// built-in STS rotate the same way (sessionkey.go; MaxSessionLifetime). Retired keys past
// their time are dropped, also when no rotation is due.
//
// Rotation is a compare-and-swap on the shared store: when another node rotated in the
// meantime (the stored rotation is no longer due; with force, the stored signing key is
// no longer the one this node knew), its result is adopted and rotated is false. So nodes
// racing to rotate rotate once.
func (i *Issuer) Rotate(ctx context.Context, force bool) (rotated bool, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	seen := i.state.Load()
	now := i.cfg.Now()
	due := force || !now.Before(seen.nextRotation)
	prune := !seen.retiredExpiry.IsZero() && !now.Before(seen.retiredExpiry) ||
		!seen.sessionRetire.IsZero() && !now.Before(seen.sessionRetire)
	if !due && !prune {
		return false, nil
	}
	// Generate the new next key before the transaction: it takes tens of milliseconds,
	// and the updater may run more than once. Wasted when another node wins the race.
	var fresh *rsa.PrivateKey
	if due {
		if fresh, err = generateKey(i.cfg.KeyBits); err != nil {
			return false, err
		}
	}
	keys, err := i.cfg.Keys.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		rotated = false
		if cur == nil {
			return nil, errors.New("oidc: signing keys disappeared from storage")
		}
		rotate := fresh != nil && !now.Before(cur.NextRotation)
		if force {
			// A rotation by another node since this one looked satisfies the request.
			rotate = fresh != nil && cur.SigningKeyID == seen.signingKID
		}
		priv, _, err := openKeys(i.aead, cur.SigningKeyID, cur.SigningKey)
		if err != nil {
			return nil, err
		}
		if rotate {
			out, err := i.rotated(cur, priv[1], fresh, now)
			rotated = err == nil
			return out, err
		}
		nextKID, err := keyID(&priv[1].PublicKey)
		if err != nil {
			return nil, err
		}
		return i.pruned(cur, nextKID, now)
	})
	if err != nil {
		return false, fmt.Errorf("oidc: rotating signing keys: %w", err)
	}
	if keys, err = i.storedKeys(ctx, keys); err != nil {
		return false, fmt.Errorf("oidc: rotating signing keys: %w", err)
	}
	if err := i.installLocked(keys); err != nil {
		return false, err
	}
	if rotated {
		i.log.Info("rotated signing keys", "kid", keys.SigningKeyID, "retired_kid", seen.signingKID,
			"forced", force, "next_rotation", keys.NextRotation)
	}
	return rotated, nil
}

// rotated is cur after one rotation at now: next (cur's pre-published next key) signs,
// fresh is the new next key, cur's signing key is retired.
func (i *Issuer) rotated(cur *storage.Keys, next, fresh *rsa.PrivateKey, now time.Time) (*storage.Keys, error) {
	nextKID, err := keyID(&next.PublicKey)
	if err != nil {
		return nil, err
	}
	retired := make([]storage.VerificationKey, 0, len(cur.VerificationKeys))
	for _, vk := range cur.VerificationKeys {
		switch {
		case vk.KeyID == nextKID:
			// becomes the signing key: newKeySet lists it first
		case vk.KeyID == cur.SigningKeyID:
			vk.Expiry = now.Add(i.cfg.MaxTokenLifetime + retireGrace)
			retired = append([]storage.VerificationKey{vk}, retired...) // newest first
		case vk.Expiry.After(now):
			retired = append(retired, vk)
		}
	}
	// Sealed under this node's KEK: a plain blob becomes encrypted once a KEK is set.
	out, err := i.newKeySet(next, fresh, retired, now)
	if err != nil {
		return nil, err
	}
	// The session keys rotate too: a fresh one seals from now on, the old one opens the
	// tokens it sealed until they have all expired.
	if out.SessionKey, err = i.rotatedSessionKeys(cur.SessionKey, now); err != nil {
		return nil, err
	}
	return out, nil
}

// pruned is cur without the retired keys (verification and session) whose time has
// passed, or nil (no change) when there are none. The signing and next keys are never
// retired, whatever their Expiry, nor the current and next session keys.
func (i *Issuer) pruned(cur *storage.Keys, nextKID string, now time.Time) (*storage.Keys, error) {
	out := cloneKeys(cur)
	out.VerificationKeys = out.VerificationKeys[:0]
	for _, vk := range cur.VerificationKeys {
		if vk.KeyID == cur.SigningKeyID || vk.KeyID == nextKID || vk.Expiry.After(now) {
			out.VerificationKeys = append(out.VerificationKeys, vk)
		}
	}
	sessionKeys, err := i.prunedSessionKeys(cur.SessionKey, now)
	if err != nil {
		return nil, err
	}
	if sessionKeys != nil {
		out.SessionKey = sessionKeys
	} else if len(out.VerificationKeys) == len(cur.VerificationKeys) {
		return nil, nil
	}
	return out, nil
}
