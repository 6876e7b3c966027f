package idp

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keySet caches the signing keys of one issuer. Keys are fetched on first use, again when
// they are older than KeysTTL, and again when a token names a key ID the set does not
// hold (the provider rotated). Every fetch is shared: concurrent callers that need keys
// wait for the one fetch in flight instead of starting their own, and a new fetch starts
// at most once per MinRefetchInterval, whatever the callers do.
type keySet struct {
	issuer string
	// jwksURL is where the keys are; empty means "ask the issuer's discovery document".
	jwksURL string

	mu          sync.Mutex
	keys        []jose.JSONWebKey // nil until the first successful fetch
	fetched     time.Time         // when keys were fetched
	lastAttempt time.Time         // when the last fetch started, successful or not
	lastErr     error             // the last fetch's refusal, cleared by a success
	call        *fetchCall        // the fetch in flight, if any
}

// fetchCall is one fetch in flight; done is closed when keys and err are set.
type fetchCall struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

// keySet returns the cache entry of an issuer whose keys are at jwksURL (empty: found
// through discovery). Entries are kept for the life of the Verifier; the map is bounded
// by maxKeySets since pools may name arbitrary issuers.
func (v *Verifier) keySet(issuer, jwksURL string) *keySet {
	id := issuer + "\x00" + jwksURL
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks, ok := v.keySets[id]; ok {
		return ks
	}
	if len(v.keySets) >= maxKeySets {
		for k := range v.keySets { // evict an arbitrary entry; callers holding it keep working
			delete(v.keySets, k)
			break
		}
	}
	ks := &keySet{issuer: issuer, jwksURL: jwksURL}
	v.keySets[id] = ks
	return ks
}

// keysFor returns the keys that may verify a token with key ID kid (every key when kid
// is empty). It fetches when the set has no such key or is stale, within the rate limit.
// The result may lack kid: the caller then refuses the token. An error is a refusal
// (ExternalServiceException) for a JWKS that could not be fetched and no usable keys.
func (v *Verifier) keysFor(ctx context.Context, ks *keySet, kid string) ([]jose.JSONWebKey, error) {
	now := v.now()
	ks.mu.Lock()
	has := ks.keys != nil && (kid == "" || hasKeyID(ks.keys, kid))
	if has && now.Sub(ks.fetched) < KeysTTL {
		keys := ks.keys
		ks.mu.Unlock()
		return keys, nil
	}
	call := ks.call
	if call == nil {
		if !ks.lastAttempt.IsZero() && now.Sub(ks.lastAttempt) < MinRefetchInterval && now.Sub(ks.lastAttempt) >= 0 {
			// Rate limited: answer with what we have.
			keys, err := ks.keys, ks.lastErr
			ks.mu.Unlock()
			if keys == nil {
				if err == nil {
					err = errExternal("the provider's signing keys endpoint")
				}
				return nil, err
			}
			return keys, nil
		}
		call = &fetchCall{done: make(chan struct{})}
		ks.call, ks.lastAttempt = call, now
		// The fetch runs on its own so that the caller who started it can give up (its
		// request was cancelled) without failing everyone else waiting for it; it keeps
		// the caller's context values but not its cancellation, and has its own deadline.
		go v.runFetch(context.WithoutCancel(ctx), ks, call)
	}
	ks.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, errExternal("the provider's signing keys endpoint")
	}
	if call.err != nil {
		if has {
			// A refresh of stale keys failed; the old keys still name this key ID, so
			// keep verifying with them rather than fail every login while the provider
			// is down.
			ks.mu.Lock()
			keys := ks.keys
			ks.mu.Unlock()
			return keys, nil
		}
		return nil, call.err
	}
	return call.keys, nil
}

func (v *Verifier) runFetch(ctx context.Context, ks *keySet, call *fetchCall) {
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout)
	defer cancel()
	keys, err := v.fetchKeys(ctx, ks)
	if err != nil {
		v.log.WarnContext(ctx, "idp: fetching signing keys failed", "issuer", ks.issuer, "err", err)
		err = errExternal("the provider's signing keys endpoint (" + ks.issuer + ")")
	}
	ks.mu.Lock()
	if err == nil {
		ks.keys, ks.fetched, ks.lastErr = keys, v.now(), nil
	} else {
		ks.lastErr = err
	}
	ks.call = nil
	ks.mu.Unlock()
	call.keys, call.err = keys, err
	close(call.done)
}

// fetchKeys reads the issuer's JWKS, through its discovery document when the JWKS URL is
// not known in advance.
func (v *Verifier) fetchKeys(ctx context.Context, ks *keySet) ([]jose.JSONWebKey, error) {
	jwksURL := ks.jwksURL
	if jwksURL == "" {
		u := ks.issuer + "/.well-known/openid-configuration"
		status, body, err := v.get(ctx, u, nil)
		if err != nil {
			return nil, err
		}
		if status != 200 {
			return nil, fmt.Errorf("discovery document %s: HTTP status %d", u, status)
		}
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("discovery document %s: %w", u, err)
		}
		// OpenID Connect Discovery 1.0 section 4.3: the document must name the issuer
		// it was fetched for.
		if strings.TrimRight(doc.Issuer, "/") != ks.issuer {
			return nil, fmt.Errorf("discovery document %s names issuer %q", u, doc.Issuer)
		}
		if !allowedFetchURL(doc.JWKSURI) {
			return nil, fmt.Errorf("discovery document %s: jwks_uri %q is not https", u, doc.JWKSURI)
		}
		jwksURL = doc.JWKSURI
	}
	status, body, err := v.get(ctx, jwksURL, nil)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("JWKS %s: HTTP status %d", jwksURL, status)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS %s: %w", jwksURL, err)
	}
	return keys, nil
}

// parseJWKS keeps the public RSA and EC signing keys of a JWKS. Keys are parsed one by
// one so that a key of a kind go-jose does not know (a provider publishing a new
// algorithm) does not hide the others; symmetric and private keys are never kept.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	keys := make([]jose.JSONWebKey, 0, len(raw.Keys))
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no usable signing keys")
	}
	return keys, nil
}

func hasKeyID(keys []jose.JSONWebKey, kid string) bool {
	for i := range keys {
		if keys[i].KeyID == kid {
			return true
		}
	}
	return false
}
