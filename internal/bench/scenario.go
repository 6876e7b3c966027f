package bench

import (
	"context"
	"crypto"
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// scenarioOps lists the operations each scenario measures, in report order.
var scenarioOps = map[string][]op{
	"appstart":    {opGetId, opGetCredentials},
	"getid":       {opGetId},
	"credentials": {opGetCredentials},
	"developer":   {opDeveloperToken, opGetCredentials},
	"token":       {opDeveloperToken},
	"admin":       {opDescribePool, opListIdentities},
	"lookup":      {opLookup},
	"mix":         {opGetId, opGetCredentials, opDeveloperToken, opDescribePool, opListIdentities},
	"sign":        {opSign},
}

// Page sizes the scenarios ask for.
const (
	listPageSize   = 60
	lookupPageSize = 10
)

// validator is a decoded response that can tell whether it holds what the bench needs.
type validator interface{ valid() bool }

func (r *idResponse) valid() bool    { return r.IdentityId != "" }
func (r *tokenResponse) valid() bool { return r.IdentityId != "" && r.Token != "" }
func (r *listResponse) valid() bool  { return true }
func (r *poolResponse) valid() bool  { return r.IdentityPoolId != "" }

// errInvalidResponse is the error type of a success response the bench can't use.
const errInvalidResponse = "InvalidResponse"

// send sends c.buf to operation o, decodes the response into out (when not nil) and,
// when rec is set, records the request. ok says the request succeeded.
func (b *bench) send(c *client, o op, rec bool, out validator) (ok, cancelled bool) {
	r := c.call(opTargets[o])
	if r.cancelled {
		return false, true
	}
	if r.typ == "" && out != nil {
		if err := json.Unmarshal(c.resp, out); err != nil || !out.valid() {
			r.typ = errInvalidResponse
			c.lastMsg = fmt.Sprintf("unexpected %s response: %.200s", o, c.resp)
		}
	}
	c.lastType = r.typ
	if rec {
		c.record(o, r)
		if r.typ != "" {
			b.errors.Add(1)
		}
	}
	return r.typ == "", false
}

// The steps iterations are made of. Each returns ok (the request succeeded) and
// cancelled (the run ended it).

func (b *bench) getID(c *client, rec bool) (id string, ok, cancelled bool) {
	c.buf = bodyPool(c.buf, b.poolID)
	var out idResponse
	ok, cancelled = b.send(c, opGetId, rec, &out)
	return out.IdentityId, ok, cancelled
}

func (b *bench) credentials(c *client, rec bool, identityID, token string) (ok, cancelled bool) {
	c.buf = bodyGetCredentials(c.buf, identityID, token)
	return b.send(c, opGetCredentials, rec, nil)
}

func (b *bench) developerToken(c *client, rec bool, user int) (out tokenResponse, ok, cancelled bool) {
	c.buf = bodyDeveloperToken(c.buf, b.poolID, b.devProvider, user)
	ok, cancelled = b.send(c, opDeveloperToken, rec, &out)
	return out, ok, cancelled
}

// The iterations of the scenarios. Each returns whether the run's end cancelled it.

func (b *bench) appstart(c *client, rec bool) bool {
	id, ok, cancelled := b.getID(c, rec)
	if !ok {
		return cancelled
	}
	_, cancelled = b.credentials(c, rec, id, "")
	return cancelled
}

func (b *bench) getIDOnly(c *client, rec bool) bool {
	_, _, cancelled := b.getID(c, rec)
	return cancelled
}

func (b *bench) existingCredentials(c *client, rec bool) bool {
	_, cancelled := b.credentials(c, rec, b.identities[c.rng.IntN(len(b.identities))], "")
	return cancelled
}

func (b *bench) developer(c *client, rec bool) bool {
	tok, ok, cancelled := b.developerToken(c, rec, c.rng.IntN(b.cfg.Users))
	if !ok {
		return cancelled
	}
	_, cancelled = b.credentials(c, rec, tok.IdentityId, tok.Token)
	return cancelled
}

func (b *bench) token(c *client, rec bool) bool {
	_, _, cancelled := b.developerToken(c, rec, c.rng.IntN(b.cfg.Users))
	return cancelled
}

func (b *bench) admin(c *client, rec bool) bool {
	c.buf = bodyPool(c.buf, b.poolID)
	ok, cancelled := b.send(c, opDescribePool, rec, nil)
	if !ok {
		return cancelled
	}
	next := ""
	for range b.cfg.MaxPages {
		c.buf = bodyListIdentities(c.buf, b.poolID, listPageSize, next)
		var out listResponse
		ok, cancelled := b.send(c, opListIdentities, rec, &out)
		if !ok {
			return cancelled
		}
		if out.NextToken == "" {
			break
		}
		next = out.NextToken
	}
	return false
}

func (b *bench) lookup(c *client, rec bool) bool {
	c.buf = bodyLookup(c.buf, b.poolID, b.users[c.rng.IntN(len(b.users))], lookupPageSize)
	_, cancelled := b.send(c, opLookup, rec, nil)
	return cancelled
}

func (b *bench) mix(c *client, rec bool) bool {
	switch n := c.rng.IntN(100); {
	case n < 40:
		return b.appstart(c, rec)
	case n < 70:
		return b.developer(c, rec)
	case n < 90:
		return b.existingCredentials(c, rec)
	default:
		return b.admin(c, rec)
	}
}

func (b *bench) signOnce(c *client, rec bool) bool {
	start := time.Now()
	_, err := b.sign.sign()
	r := result{latency: time.Since(start)}
	if err != nil {
		r.typ = "SignError"
	}
	if rec {
		c.record(opSign, r)
		if err != nil {
			b.errors.Add(1)
		}
	}
	return false
}

// iteration returns the scenario's iteration.
func (b *bench) iteration() func(*client, bool) bool {
	switch b.cfg.Scenario {
	case "appstart":
		return b.appstart
	case "getid":
		return b.getIDOnly
	case "credentials":
		return b.existingCredentials
	case "developer":
		return b.developer
	case "token":
		return b.token
	case "admin":
		return b.admin
	case "lookup":
		return b.lookup
	case "mix":
		return b.mix
	case "sign":
		return b.signOnce
	}
	panic("bench: unknown scenario " + b.cfg.Scenario)
}

// prepare makes sure the endpoint can run the scenario, with one probe call of its core
// operations, and creates the identities and developer users it needs (untimed).
func (b *bench) prepare(ctx context.Context, clients []*client) error {
	c := clients[0]
	sc := b.cfg.Scenario
	needs := func(o op) bool {
		for _, x := range scenarioOps[sc] {
			if x == o {
				return true
			}
		}
		return false
	}
	// probe sends c.buf to o once and turns a failure into the scenario's refusal.
	probe := func(o op, out validator) error {
		ok, _ := b.send(c, o, false, out)
		if ok {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return refusal(sc, o, c.lastType, c.lastMsg)
	}

	var probeID string
	if needs(opGetId) || needs(opGetCredentials) || sc == "admin" {
		c.buf = bodyPool(c.buf, b.poolID)
		var out idResponse
		if err := probe(opGetId, &out); err != nil {
			return err
		}
		probeID = out.IdentityId
	}
	var probeTok tokenResponse
	if needs(opDeveloperToken) || sc == "lookup" {
		c.buf = bodyDeveloperToken(c.buf, b.poolID, b.devProvider, 0)
		if err := probe(opDeveloperToken, &probeTok); err != nil {
			return err
		}
	}
	if needs(opDescribePool) {
		c.buf = bodyPool(c.buf, b.poolID)
		if err := probe(opDescribePool, nil); err != nil {
			return err
		}
		c.buf = bodyListIdentities(c.buf, b.poolID, listPageSize, "")
		if err := probe(opListIdentities, &listResponse{}); err != nil {
			return err
		}
	}
	if sc == "lookup" {
		c.buf = bodyLookup(c.buf, b.poolID, 0, lookupPageSize)
		if err := probe(opLookup, nil); err != nil {
			return err
		}
	}
	// GetCredentialsForIdentity is not refused on failure: a pool without roles (an
	// endpoint without IAM) fails it, and the run reports those errors.
	if needs(opGetCredentials) {
		for _, p := range []struct{ id, token, kind string }{
			{probeID, "", "unauthenticated"}, {probeTok.IdentityId, probeTok.Token, "developer"},
		} {
			if p.id == "" {
				continue
			}
			c.buf = bodyGetCredentials(c.buf, p.id, p.token)
			if ok, _ := b.send(c, opGetCredentials, false, nil); !ok && ctx.Err() == nil {
				typ := c.lastType
				if unsupported(typ) && typ != "HTTP500" {
					return refusal(sc, opGetCredentials, typ, c.lastMsg)
				}
				b.warn("GetCredentialsForIdentity for a %s identity failed on a probe call (%s); the run will count these errors",
					p.kind, describe(typ, c.lastMsg))
			}
		}
	}

	switch sc {
	case "credentials", "admin", "mix":
		ids, err := b.precreate(ctx, clients, "identities", b.cfg.Identities, func(c *client, i int) (string, bool) {
			id, ok, _ := b.getID(c, false)
			return id, ok
		})
		if err != nil {
			return err
		}
		b.identities = ids
	case "lookup":
		users, err := b.precreate(ctx, clients, "developer users", b.cfg.Users, func(c *client, i int) (string, bool) {
			_, ok, _ := b.developerToken(c, false, i)
			return strconv.Itoa(i), ok
		})
		if err != nil {
			return err
		}
		for _, u := range users {
			k, _ := strconv.Atoi(u)
			b.users = append(b.users, k)
		}
	}
	return nil
}

// refusal is the error of a scenario whose probe of operation o failed.
func refusal(scenario string, o op, typ, msg string) error {
	detail := describe(typ, msg)
	if unsupported(typ) {
		return fmt.Errorf("scenario %s needs %s, which the endpoint does not seem to implement (%s)", scenario, o, detail)
	}
	return fmt.Errorf("scenario %s: %s failed on a probe call (%s)", scenario, o, detail)
}

// precreate runs f for 0 <= i < n on the clients in parallel, untimed, and returns the
// values of the calls that succeeded. Some failures are a warning; all, an error.
func (b *bench) precreate(ctx context.Context, clients []*client, what string, n int, f func(c *client, i int) (string, bool)) ([]string, error) {
	b.note("creating %d %s", n, what)
	start := time.Now()
	vals := make([]string, n)
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if v, ok := f(c, i); ok {
					vals[i] = v
				} else if ctx.Err() == nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, describe(c.lastType, c.lastMsg))
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := vals[:0]
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	msg, _ := firstErr.Load().(string)
	if len(out) == 0 {
		return nil, fmt.Errorf("creating %s: all %d calls failed (first: %s)", what, n, msg)
	}
	if f := failed.Load(); f > 0 {
		b.warn("creating %s: %d of %d calls failed (first: %s); using the %d created", what, f, n, msg, len(out))
	}
	b.note("created %d %s in %.1fs", len(out), what, time.Since(start).Seconds())
	return out, nil
}

// signer signs a typical OpenID token signing input with RS512, as the token issuer does.
type signer struct {
	key   *rsa.PrivateKey
	input []byte
}

func newSigner(bits int) (*signer, error) {
	key, err := rsa.GenerateKey(crand.Reader, bits)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	header := `{"kid":"us-east-1-1","typ":"JWS","alg":"RS512"}`
	now := time.Now().Unix()
	payload := `{"sub":"us-east-1:6f0a4ab1-23c5-4e5f-9d3a-4c6e8b1f2a7d","aud":"us-east-1:0b8e6f4c-5a2d-4f1e-8c3b-9a7d6e5f4c3b",` +
		`"amr":["authenticated","bench.idpool.dev","bench.idpool.dev:us-east-1:0b8e6f4c-5a2d-4f1e-8c3b-9a7d6e5f4c3b:user-4711"],` +
		`"iss":"https://cognito-identity.amazonaws.com","exp":` + strconv.FormatInt(now+900, 10) + `,"iat":` + strconv.FormatInt(now, 10) + `}`
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return &signer{key: key, input: []byte(input)}, nil
}

func (s *signer) sign() ([]byte, error) {
	digest := sha512.Sum512(s.input)
	return rsa.SignPKCS1v15(nil, s.key, crypto.SHA512, digest[:])
}
