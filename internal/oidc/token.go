package oidc

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Claim names AWS uses besides the registered ones.
const (
	ClaimPoolARN = "https://cognito-identity.amazonaws.com/identity-pool-arn"
	ClaimTags    = "https://aws.amazon.com/tags"
)

// Errors of Verify. The caller maps them to AWS's messages; wrapped errors say more for
// logs. An expired token is an *ExpiredError instead.
var (
	// ErrMalformed: not a compact JWS, too large, claims missing or of the wrong type,
	// issued in the future.
	ErrMalformed = errors.New("oidc: malformed token")
	// ErrSignature: an algorithm other than RS512, a key we do not know, or a signature
	// that does not verify.
	ErrSignature = errors.New("oidc: invalid token signature")
	// ErrIssuer: signed by us (so not forged) but for another issuer URL, say a
	// deployment that shares the key store under another name.
	ErrIssuer = errors.New("oidc: token issuer does not match")
)

// ErrTokenTooLarge is returned by Issue for claims whose token would exceed MaxTokenSize.
var ErrTokenTooLarge = errors.New("oidc: token too large")

// ExpiredError is returned by Verify for a correctly signed token whose exp has been
// reached (no clock skew allowance: this service issued it, with this clock).
type ExpiredError struct {
	Now    time.Time // the verifier's clock
	Expiry time.Time // the token's exp
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("oidc: token expired: %d >= %d", e.Now.Unix(), e.Expiry.Unix())
}

// Claims are the contents of an idpool token.
type Claims struct {
	Subject  string   // sub: the identity ID
	Audience string   // aud: the identity pool ID (a string, as AWS writes it)
	AMR      []string // e.g. ["unauthenticated"] or ["authenticated","<provider>","<provider>:<detail>"]
	// PoolARN is the https://cognito-identity.amazonaws.com/identity-pool-arn claim;
	// omitted when empty.
	PoolARN string
	// PrincipalTags go into https://aws.amazon.com/tags as {"principal_tags": {"k": ["v"]}}
	// (values as one-element arrays, as AWS writes them); omitted when empty.
	PrincipalTags map[string]string
	IssuedAt      time.Time // iat; zero means now. Tokens carry whole seconds.
	Expiry        time.Time // exp
}

// wireClaims is the token payload. A struct rather than a map: encoding/json then needs
// no sorting and no interface boxing, and the member set is fixed in one place. Members
// are in the order AWS writes them (sub, aud, amr, iss, pool ARN, exp, iat), which
// matters to no JSON parser but makes side-by-side comparisons easy.
type wireClaims struct {
	Sub     string    `json:"sub"`
	Aud     string    `json:"aud"`
	AMR     []string  `json:"amr"`
	Iss     string    `json:"iss"`
	PoolARN string    `json:"https://cognito-identity.amazonaws.com/identity-pool-arn,omitempty"`
	Tags    *wireTags `json:"https://aws.amazon.com/tags,omitempty"`
	Exp     int64     `json:"exp"`
	Iat     int64     `json:"iat"`
}

type wireTags struct {
	PrincipalTags map[string][]string `json:"principal_tags"`
}

// Issue signs a token for c with the current signing key and returns its compact
// serialisation, header {"alg":"RS512","kid":...,"typ":"JWS"}. It refuses claims a
// verifier could not check: no subject or audience, no expiry, an expiry not after the
// issue time, or a lifetime beyond MaxTokenLifetime (retired keys are only published
// that long).
func (i *Issuer) Issue(ctx context.Context, c Claims) (string, error) {
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = i.cfg.Now()
	}
	switch {
	case c.Subject == "" || c.Audience == "":
		return "", errors.New("oidc: Issue without subject or audience")
	case c.Expiry.IsZero() || !c.Expiry.After(iat):
		return "", fmt.Errorf("oidc: Issue with expiry %v not after issue time %v", c.Expiry, iat)
	case c.Expiry.Sub(iat) > i.cfg.MaxTokenLifetime:
		return "", fmt.Errorf("oidc: Issue with lifetime %s beyond the maximum %s", c.Expiry.Sub(iat), i.cfg.MaxTokenLifetime)
	}
	w := wireClaims{
		Iss:     i.cfg.IssuerURL,
		Sub:     c.Subject,
		Aud:     c.Audience,
		AMR:     c.AMR,
		PoolARN: c.PoolARN,
		Iat:     iat.Unix(),
		Exp:     c.Expiry.Unix(),
	}
	if w.AMR == nil {
		w.AMR = []string{} // amr is always an array: trust policies match on it
	}
	if len(c.PrincipalTags) > 0 {
		w.Tags = &wireTags{PrincipalTags: make(map[string][]string, len(c.PrincipalTags))}
		for k, v := range c.PrincipalTags {
			w.Tags.PrincipalTags[k] = []string{v}
		}
	}
	payload, err := json.Marshal(&w)
	if err != nil {
		return "", fmt.Errorf("oidc: encoding claims: %w", err)
	}
	jws, err := i.state.Load().signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidc: signing: %w", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("oidc: signing: %w", err)
	}
	if len(tok) > MaxTokenSize {
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrTokenTooLarge, len(tok), MaxTokenSize)
	}
	return tok, nil
}

// Verify checks a token this service issued and returns its claims: RS512 only, signed by
// the current, next or a retired key (keys are reloaded from storage once on an unknown
// kid, rate-limited, so that a rotation by another node is picked up), iss equal to the
// issuer URL, not issued in the future, not expired. The audience is returned, not
// checked: the caller compares it with the pool.
func (i *Issuer) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(token), MaxTokenSize)
	}
	// The explicit algorithm list: RS512 only. Anything else (none, HS256 keyed with our
	// public key, RS256 with our own key) is refused before any key is looked at.
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS512})
	if err != nil {
		if e, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok && e.Got != "" {
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrMalformed, len(jws.Signatures))
	}
	kid := jws.Signatures[0].Header.KeyID
	key := i.state.Load().verify[kid]
	if key == nil {
		if key = i.reloadForKID(ctx, kid); key == nil {
			return nil, fmt.Errorf("%w: unknown key %q", ErrSignature, kid)
		}
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}

	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if w.Iss != i.cfg.IssuerURL {
		return nil, fmt.Errorf("%w: %q", ErrIssuer, w.Iss)
	}
	if w.Sub == "" || w.Aud == "" || w.Iat == 0 || w.Exp == 0 {
		return nil, fmt.Errorf("%w: sub, aud, iat or exp missing", ErrMalformed)
	}
	c := &Claims{
		Subject:  w.Sub,
		Audience: w.Aud,
		AMR:      w.AMR,
		PoolARN:  w.PoolARN,
		IssuedAt: time.Unix(w.Iat, 0).UTC(),
		Expiry:   time.Unix(w.Exp, 0).UTC(),
	}
	if w.Tags != nil && len(w.Tags.PrincipalTags) > 0 {
		c.PrincipalTags = make(map[string]string, len(w.Tags.PrincipalTags))
		for k, v := range w.Tags.PrincipalTags {
			if len(v) != 1 {
				return nil, fmt.Errorf("%w: principal tag %q has %d values", ErrMalformed, k, len(v))
			}
			c.PrincipalTags[k] = v[0]
		}
	}
	now := i.cfg.Now()
	if c.IssuedAt.After(now.Add(futureIssuedAtLeeway)) {
		return nil, fmt.Errorf("%w: issued at %d, in the future", ErrMalformed, w.Iat)
	}
	if !now.Before(c.Expiry) {
		return nil, &ExpiredError{Now: now, Expiry: c.Expiry}
	}
	return c, nil
}

// reloadForKID reloads the keys from storage when a token names a key this node does not
// know, at most once per reloadMinInterval (such tokens cost nothing to forge), and
// returns the key if it is now known. Concurrent callers wait for one reload.
func (i *Issuer) reloadForKID(ctx context.Context, kid string) *rsa.PublicKey {
	if kid == "" || !i.reloadAllowed() {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if key := i.state.Load().verify[kid]; key != nil {
		return key // loaded while this caller waited
	}
	if !i.reloadAllowed() {
		return nil
	}
	i.lastReload.Store(i.cfg.Now().UnixNano())
	if err := i.refreshLocked(ctx); err != nil {
		// The token is refused as unknown-key, not turned into an internal error: a
		// storage hiccup must not let a forged kid produce 500s.
		i.log.Warn("reloading keys for an unknown kid", "kid", kid, "err", err)
		return nil
	}
	return i.state.Load().verify[kid]
}

func (i *Issuer) reloadAllowed() bool {
	since := i.cfg.Now().UnixNano() - i.lastReload.Load()
	return since < 0 || since >= int64(reloadMinInterval)
}
