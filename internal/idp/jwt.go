package idp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// allowedAlgs are the JWS algorithms a login token may use: the asymmetric ones every
// identity provider uses. "none" and the HMAC algorithms are refused at parse time, so
// that a token "signed" with a provider's public key as an HMAC secret never gets near a
// key.
func allowedAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512,
		jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512,
	}
}

// jwtClaims is a verified token: all its claims, and the registered ones decoded.
type jwtClaims struct {
	all      map[string]any // every claim; numbers are json.Number
	iss      string
	sub      string
	azp      string
	tokenUse string
	aud      []string
	hasAud   bool
}

// verifyJWT checks a compact JWS token: size, algorithm, issuer (one of issuers), signature
// against ks, and the time claims with ClockSkew. The issuer is checked before the
// signature so that a token of another issuer is refused with AWS's message and without
// fetching anything. Audience checks are the caller's: they differ by provider.
func (v *Verifier) verifyJWT(ctx context.Context, token string, issuers []string, ks *keySet) (*jwtClaims, error) {
	if len(token) > MaxJWTSize {
		return nil, notAuthorizedf("The token is larger than %d bytes.", MaxJWTSize)
	}
	if strings.Count(token, ".") != 2 {
		return nil, errMalformed()
	}
	jws, err := jose.ParseSignedCompact(token, allowedAlgs())
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errMalformed()
	}
	hdr := jws.Signatures[0].Header
	c, err := decodeClaims(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		return nil, err
	}
	if !slices.Contains(issuers, c.iss) {
		return nil, errIssuer()
	}

	keys, err := v.keysFor(ctx, ks, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	if !verifyWithAny(jws, keys, hdr.KeyID, jose.SignatureAlgorithm(hdr.Algorithm)) {
		return nil, errSignature()
	}

	if err := checkTimes(c.all, v.now()); err != nil {
		return nil, err
	}
	if c.sub == "" {
		return nil, errMissingClaim("sub")
	}
	return c, nil
}

// verifyWithAny reports whether one of keys with key ID kid (any key when kid is empty)
// verifies the token. A key that declares an algorithm verifies only tokens of that
// algorithm; the key's type must suit the algorithm (go-jose also checks).
func verifyWithAny(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) bool {
	for i := range keys {
		k := &keys[i]
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey:
			if !strings.HasPrefix(string(alg), "RS") && !strings.HasPrefix(string(alg), "PS") {
				continue
			}
		case *ecdsa.PublicKey:
			if !strings.HasPrefix(string(alg), "ES") {
				continue
			}
		default:
			continue
		}
		if _, err := jws.Verify(k.Key); err == nil {
			return true
		}
	}
	return false
}

// decodeClaims parses a token's payload: a JSON object whose registered claims have
// their registered types.
func decodeClaims(payload []byte) (*jwtClaims, error) {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var all map[string]any
	if err := d.Decode(&all); err != nil || all == nil || d.More() {
		return nil, errMalformed()
	}
	c := &jwtClaims{all: all}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"iss", &c.iss}, {"sub", &c.sub}, {"azp", &c.azp}, {"token_use", &c.tokenUse}} {
		raw, present := all[f.name]
		if !present {
			continue
		}
		s, ok := raw.(string)
		if !ok {
			return nil, errMalformed()
		}
		*f.dst = s
	}
	switch a := all["aud"].(type) {
	case nil:
		if _, present := all["aud"]; present {
			return nil, errMalformed()
		}
	case string:
		c.aud, c.hasAud = []string{a}, true
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, errMalformed()
			}
			c.aud = append(c.aud, s)
		}
		c.hasAud = len(c.aud) > 0
	default:
		return nil, errMalformed()
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if raw, present := all[name]; present {
			if _, ok := numericDate(raw); !ok {
				return nil, errMalformed()
			}
		}
	}
	return c, nil
}

// numericDate reads a NumericDate claim (seconds since the epoch, maybe fractional).
func numericDate(raw any) (float64, bool) {
	n, ok := raw.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// checkTimes applies exp (required), nbf and iat with ClockSkew of tolerance.
func checkTimes(all map[string]any, now time.Time) error {
	raw, ok := all["exp"]
	if !ok {
		return errMissingClaim("exp")
	}
	exp, _ := numericDate(raw)
	t := float64(now.UnixNano()) / 1e9
	skew := ClockSkew.Seconds()
	if t >= exp+skew {
		return errExpired(now, int64(exp))
	}
	if raw, ok := all["nbf"]; ok {
		if nbf, _ := numericDate(raw); t+skew < nbf {
			return notAuthorizedf("Token is not valid before %d (now %d).", int64(nbf), now.Unix())
		}
	}
	if raw, ok := all["iat"]; ok {
		if iat, _ := numericDate(raw); t+skew < iat {
			return notAuthorizedf("Token was issued in the future: %d > %d.", int64(iat), now.Unix())
		}
	}
	return nil
}

// containsAny reports whether one of have is in want.
func containsAny(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}
