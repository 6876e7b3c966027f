package oidc

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idpool/idpool/internal/storage"
)

// Issuer signs and verifies idpool's OpenID tokens and serves the keys that verify them.
// It is safe for concurrent use. Issue, Verify and the handlers read an immutable snapshot
// of the keys through an atomic pointer: the hot path takes no lock.
type Issuer struct {
	cfg        Config
	aead       cipher.AEAD // nil without a KEK
	log        *slog.Logger
	discovery  []byte // the discovery document, fixed by the configuration
	jwksMaxAge int    // seconds

	state atomic.Pointer[keyState]

	// mu serialises everything that reads keys from storage or writes them, and the
	// replacement of state that follows: without it, a slow refresh could install keys
	// older than those a concurrent Rotate just stored.
	mu sync.Mutex
	// lastReload (UnixNano, injected clock) rate-limits unknown-kid reloads. Read without
	// mu on Verify's fast path of refusal.
	lastReload atomic.Int64
	// refreshEvery is Run's period (Config.RefreshInterval); tests shorten it further.
	refreshEvery time.Duration
}

// keyState is one immutable snapshot of the key set, with everything the hot paths need
// precomputed.
type keyState struct {
	stored       *storage.Keys // as loaded, to detect changes
	signingKID   string
	nextKID      string
	signer       jose.Signer
	verify       map[string]*rsa.PublicKey
	nextRotation time.Time
	// retiredExpiry is the earliest Expiry of a retired key (zero when none): when it
	// passes, Rotate has something to prune.
	retiredExpiry time.Time
	encrypted     bool // the stored private keys are encrypted
	// sessionKeys are the session-token keys, the current one first (sessionkey.go);
	// sessionRetire is the earliest time a retired one stops opening tokens (zero when
	// none is retired): when it passes, Rotate has something to prune.
	sessionKeys   [][]byte
	sessionRetire time.Time
	jwks          []byte
	jwksETag      string
}

// New starts an issuer on the shared key store: it loads the keys, creating the first
// ones if there are none. Nodes starting at the same time agree on one key set through
// the store's compare-and-swap. A key set that cannot be decrypted (ErrKEKMissing,
// ErrWrongKEK) or is otherwise unreadable is an error: the node must not start signing
// with keys nobody else can verify.
func New(ctx context.Context, cfg Config) (*Issuer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.KEK = bytes.Clone(cfg.KEK)
	aead, err := newAEAD(cfg.KEK)
	if err != nil {
		return nil, err
	}
	i := &Issuer{
		cfg:          cfg,
		aead:         aead,
		log:          cfg.Logger.With("component", "oidc"),
		refreshEvery: cfg.RefreshInterval,
		jwksMaxAge:   int(min(jwksMaxAge, cfg.RotationPeriod/4) / time.Second),
	}
	if i.discovery, err = discoveryDocument(cfg.IssuerURL); err != nil {
		return nil, err
	}

	i.mu.Lock()
	defer i.mu.Unlock()
	keys, err := cfg.Keys.GetKeys(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		keys, err = i.createKeys(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: loading signing keys: %w", err)
	}
	st, err := i.load(keys, nil)
	if err != nil {
		return nil, err
	}
	i.state.Store(st)
	if i.aead != nil && !st.encrypted {
		if err := i.encryptStoredKeys(ctx); err != nil {
			return nil, err
		}
	}
	// A key set without session keys, or with plain ones under a KEK, is mended once; any
	// other start reads the keys and writes nothing.
	if blob := i.state.Load().stored.SessionKey; len(blob) == 0 || i.aead != nil && blob[0] != blobAESGCM {
		if keys, err = i.ensureSessionKey(ctx); err != nil {
			return nil, err
		}
		if err := i.installLocked(keys); err != nil {
			return nil, err
		}
	}
	i.lastReload.Store(cfg.Now().UnixNano())
	i.log.Info("OpenID issuer ready", "issuer", cfg.IssuerURL, "kid", i.state.Load().signingKID,
		"next_rotation", i.state.Load().nextRotation)
	return i, nil
}

// createKeys makes the first key set: a signing key and the next one. The keys are
// generated before the transaction (generation takes tens of milliseconds and the
// updater may run more than once); a node that loses the race adopts the winner's keys.
func (i *Issuer) createKeys(ctx context.Context) (*storage.Keys, error) {
	signing, err := generateKey(i.cfg.KeyBits)
	if err != nil {
		return nil, err
	}
	next, err := generateKey(i.cfg.KeyBits)
	if err != nil {
		return nil, err
	}
	fresh, err := i.newKeySet(signing, next, nil, i.cfg.Now())
	if err != nil {
		return nil, err
	}
	// The session keys come with the first key set, so that a new deployment is one write.
	set, err := newSessionKeys()
	if err != nil {
		return nil, err
	}
	if fresh.SessionKey, err = sealSessionKeys(i.aead, set); err != nil {
		return nil, err
	}
	created := false
	keys, err := i.cfg.Keys.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		created = cur == nil
		if cur != nil {
			return nil, nil
		}
		return fresh, nil
	})
	if err != nil {
		return nil, err
	}
	if created {
		i.log.Info("created the first signing key", "kid", fresh.SigningKeyID)
	}
	return i.storedKeys(ctx, keys)
}

// encryptStoredKeys re-seals plain private keys under the KEK as soon as a KEK is
// configured, rather than leaving them readable until the next rotation.
func (i *Issuer) encryptStoredKeys(ctx context.Context) error {
	keys, err := i.cfg.Keys.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
		if cur == nil {
			return nil, errors.New("oidc: signing keys disappeared from storage")
		}
		priv, encrypted, err := openKeys(i.aead, cur.SigningKeyID, cur.SigningKey)
		if err != nil || encrypted {
			return nil, err // encrypted meanwhile by another node: nothing to do
		}
		blob, err := sealKeys(i.aead, cur.SigningKeyID, priv...)
		if err != nil {
			return nil, err
		}
		out := cloneKeys(cur)
		out.SigningKey = blob
		return out, nil
	})
	if err != nil {
		return fmt.Errorf("oidc: encrypting the stored signing keys: %w", err)
	}
	if keys, err = i.storedKeys(ctx, keys); err != nil {
		return err
	}
	st, err := i.load(keys, i.state.Load())
	if err != nil {
		return err
	}
	i.state.Store(st)
	i.log.Info("encrypted the stored signing keys with the configured KEK")
	return nil
}

// storedKeys returns what UpdateKeys returned, or reads it back for a backend that
// returns nothing when the updater left the keys unchanged.
func (i *Issuer) storedKeys(ctx context.Context, keys *storage.Keys) (*storage.Keys, error) {
	if keys != nil {
		return keys, nil
	}
	return i.cfg.Keys.GetKeys(ctx)
}

// newKeySet builds the stored form of a key set whose signing key is signing, whose
// pre-published next key is next, followed by the retired keys.
func (i *Issuer) newKeySet(signing, next *rsa.PrivateKey, retired []storage.VerificationKey, now time.Time) (*storage.Keys, error) {
	keys := &storage.Keys{NextRotation: now.Add(i.cfg.RotationPeriod)}
	for _, k := range []*rsa.PrivateKey{signing, next} {
		kid, err := keyID(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		der, err := marshalPublicKey(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		// Expiry stays zero for both: neither is retired. Which one signs is
		// SigningKeyID's business, not the order or the expiry.
		keys.VerificationKeys = append(keys.VerificationKeys, storage.VerificationKey{KeyID: kid, PublicKey: der})
	}
	keys.SigningKeyID = keys.VerificationKeys[0].KeyID
	keys.VerificationKeys = append(keys.VerificationKeys, retired...)
	blob, err := sealKeys(i.aead, keys.SigningKeyID, signing, next)
	if err != nil {
		return nil, err
	}
	keys.SigningKey = blob
	return keys, nil
}

// load turns stored keys into a snapshot, checking them: the private keys must decrypt,
// match the signing and next key IDs, and every public key must match its ID.
// old is the snapshot being replaced, nil at start.
func (i *Issuer) load(keys *storage.Keys, old *keyState) (*keyState, error) {
	priv, encrypted, err := openKeys(i.aead, keys.SigningKeyID, keys.SigningKey)
	if err != nil {
		return nil, err
	}
	signing, next := priv[0], priv[1]
	nextKID, err := keyID(&next.PublicKey)
	if err != nil {
		return nil, err
	}
	if kid, err := keyID(&signing.PublicKey); err != nil {
		return nil, err
	} else if kid != keys.SigningKeyID {
		return nil, fmt.Errorf("oidc: stored signing key has thumbprint %q, record says %q", kid, keys.SigningKeyID)
	}
	st := &keyState{
		stored:       cloneKeys(keys),
		signingKID:   keys.SigningKeyID,
		nextKID:      nextKID,
		verify:       make(map[string]*rsa.PublicKey, len(keys.VerificationKeys)),
		nextRotation: keys.NextRotation,
		encrypted:    encrypted,
	}
	// JWKS order: the signing key first, then the next one, then retired keys newest
	// first (the order they are stored in).
	var set jose.JSONWebKeySet
	var retired []jose.JSONWebKey
	for _, vk := range keys.VerificationKeys {
		if _, dup := st.verify[vk.KeyID]; dup {
			return nil, fmt.Errorf("oidc: stored keys list key %q twice", vk.KeyID)
		}
		pub, err := parsePublicKey(vk.KeyID, vk.PublicKey)
		if err != nil {
			return nil, err
		}
		st.verify[vk.KeyID] = pub
		jwk := jose.JSONWebKey{Key: pub, KeyID: vk.KeyID, Algorithm: string(jose.RS512), Use: "sig"}
		switch vk.KeyID {
		case st.signingKID:
			set.Keys = append([]jose.JSONWebKey{jwk}, set.Keys...)
		case st.nextKID:
			set.Keys = append(set.Keys, jwk)
		default:
			retired = append(retired, jwk)
			if st.retiredExpiry.IsZero() || vk.Expiry.Before(st.retiredExpiry) {
				st.retiredExpiry = vk.Expiry
			}
		}
	}
	if st.verify[st.signingKID] == nil || st.verify[st.nextKID] == nil {
		return nil, errors.New("oidc: stored keys do not publish the signing and next keys")
	}
	set.Keys = append(set.Keys, retired...)
	if err := i.loadSessionKeys(st, keys, old); err != nil {
		return nil, err
	}
	if st.jwks, err = json.Marshal(set); err != nil {
		return nil, fmt.Errorf("oidc: encoding JWKS: %w", err)
	}
	sum := sha256.Sum256(st.jwks)
	st.jwksETag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`

	// One signer per key set, built here and not per token: the key is precomputed (CRT
	// values), and the kid and typ headers are fixed once. Per call go-jose only encodes
	// the header, hashes and signs: measured at about 2% over a bare RSA signature.
	opts := (&jose.SignerOptions{}).WithType("JWS").WithHeader(jose.HeaderKey("kid"), st.signingKID)
	if st.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS512, Key: signing}, opts); err != nil {
		return nil, fmt.Errorf("oidc: signer: %w", err)
	}
	return st, nil
}

// refreshLocked reloads keys from storage and installs them if they changed. i.mu must
// be held.
func (i *Issuer) refreshLocked(ctx context.Context) error {
	keys, err := i.cfg.Keys.GetKeys(ctx)
	if err != nil {
		return fmt.Errorf("oidc: reloading signing keys: %w", err)
	}
	return i.installLocked(keys)
}

// installLocked makes keys the current snapshot unless they are what is loaded already.
func (i *Issuer) installLocked(keys *storage.Keys) error {
	old := i.state.Load()
	if old != nil && equalKeys(old.stored, keys) {
		return nil
	}
	st, err := i.load(keys, old)
	if err != nil {
		return err
	}
	i.state.Store(st)
	if old != nil && old.signingKID != st.signingKID {
		i.log.Info("signing key changed", "kid", st.signingKID, "previous_kid", old.signingKID,
			"next_rotation", st.nextRotation)
	}
	return nil
}

// Run keeps the node in step with the others until ctx is done: it reloads the keys from
// storage every 30 s (so that all nodes serve the same JWKS and pick up a rotation made
// elsewhere), rotates when the rotation is due, and prunes retired keys whose tokens have
// all expired. Errors are logged and retried on the next round: the node keeps serving
// the keys it has.
func (i *Issuer) Run(ctx context.Context) {
	t := time.NewTicker(i.refreshEvery)
	defer t.Stop()
	for {
		i.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tick is one round of Run.
func (i *Issuer) tick(ctx context.Context) {
	i.mu.Lock()
	err := i.refreshLocked(ctx)
	i.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		i.log.Warn("refreshing signing keys", "err", err)
	}
	if _, err := i.Rotate(ctx, false); err != nil && ctx.Err() == nil {
		i.log.Error("rotating signing keys", "err", err)
	}
}

// cloneKeys deep-copies stored keys, so that a snapshot never aliases a backend's memory.
func cloneKeys(k *storage.Keys) *storage.Keys {
	if k == nil {
		return nil
	}
	out := *k
	out.SigningKey = bytes.Clone(k.SigningKey)
	out.SessionKey = bytes.Clone(k.SessionKey)
	out.VerificationKeys = make([]storage.VerificationKey, len(k.VerificationKeys))
	for n, vk := range k.VerificationKeys {
		vk.PublicKey = bytes.Clone(vk.PublicKey)
		out.VerificationKeys[n] = vk
	}
	return &out
}

// equalKeys reports whether two stored key sets are the same. Times are compared as
// instants: a backend may return another location or monotonic reading.
func equalKeys(a, b *storage.Keys) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.SigningKeyID != b.SigningKeyID || !a.NextRotation.Equal(b.NextRotation) ||
		!bytes.Equal(a.SigningKey, b.SigningKey) || !bytes.Equal(a.SessionKey, b.SessionKey) ||
		len(a.VerificationKeys) != len(b.VerificationKeys) {
		return false
	}
	for n, vk := range a.VerificationKeys {
		wk := b.VerificationKeys[n]
		if vk.KeyID != wk.KeyID || !vk.Expiry.Equal(wk.Expiry) || !bytes.Equal(vk.PublicKey, wk.PublicKey) {
			return false
		}
	}
	return true
}
