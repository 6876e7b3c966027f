package cognito

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/idp"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/storage"
)

// classicTokenLifetime is how long GetOpenIdToken's tokens last, as in AWS.
const classicTokenLifetime = 10 * time.Minute

// issue signs a token for identity idID of pool p.
func (s *Service) issue(ctx context.Context, p *storage.Pool, idID string, amr []string, tags map[string]string, lifetime time.Duration) (string, error) {
	now := s.now()
	token, err := s.issuer.Issue(ctx, oidc.Claims{
		Subject:       idID,
		Audience:      p.ID,
		AMR:           amr,
		PoolARN:       arn.IdentityPool(p.Region, p.AccountID, p.ID),
		PrincipalTags: tags,
		IssuedAt:      now,
		Expiry:        now.Add(lifetime),
	})
	if errors.Is(err, oidc.ErrTokenTooLarge) {
		// Only dozens of near-maximal principal tags get here; STS would refuse such a
		// token too (web identity tokens are limited to 20,000 characters).
		return "", awserr.Newf(awserr.InvalidParameter, "The principal tags are too large: the token would exceed %d bytes.", oidc.MaxTokenSize)
	}
	return token, err
}

// appendAMR adds each verified login's provider and provider-specific entry.
func appendAMR(amr []string, vs []*idp.Login) []string {
	for _, v := range vs {
		amr = append(amr, v.Provider)
		if v.AMRDetail != "" {
			amr = append(amr, v.AMRDetail)
		}
	}
	return amr
}

// authorized is an identity a request has proved it may act as.
type authorized struct {
	pool     *storage.Pool
	identity *storage.Identity
	amr      []string
	logins   []*idp.Login
}

// authorize checks that a public request may act as identity identityID: an
// unauthenticated identity needs no logins (and a pool that still allows it), an
// authenticated one needs at least one valid login of its own (or a token this service
// issued for it). New logins in the request are linked to the identity.
func (s *Service) authorize(ctx context.Context, identityID string, logins map[string]string) (*authorized, error) {
	id, err := s.store.GetIdentity(ctx, identityID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, identityNotFound(identityID)
	}
	if err != nil {
		return nil, err
	}
	p, err := s.store.GetPoolByID(ctx, id.PoolID)
	if err != nil {
		return nil, storageErr(err, id.PoolID)
	}
	if id.Disabled {
		return nil, identityForbidden(id.ID)
	}
	if len(logins) == 0 {
		if len(id.Logins) > 0 {
			return nil, errLoginsDontMatch
		}
		if !p.AllowUnauthenticated {
			return nil, errUnauthDisabled
		}
		return &authorized{pool: p, identity: id, amr: []string{"unauthenticated"}}, nil
	}

	a := &authorized{pool: p, identity: id}
	proved := false
	external := logins
	if tok, ok := logins[cognitoLoginProvider]; ok {
		claims, err := s.verifyCognitoToken(ctx, p, tok)
		if err != nil {
			return nil, err
		}
		if claims.Subject != id.ID {
			return nil, errLoginsDontMatch
		}
		proved = true
		a.amr = slices.Clone(claims.AMR)
		external = maps.Clone(logins)
		delete(external, cognitoLoginProvider)
	}
	if a.logins, err = s.verifyExternal(ctx, p, external); err != nil {
		return nil, err
	}
	verified := loginsOf(a.logins)
	if len(id.Logins) > 0 && !proved && !ownsAny(id, verified) {
		return nil, errLoginsDontMatch
	}
	if a.amr == nil {
		a.amr = []string{"authenticated"}
	}
	a.amr = appendAMR(a.amr, a.logins)
	if len(verified) == 0 || containsAll(id, verified) {
		return a, nil
	}
	err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		var err error
		a.identity, err = s.link(ctx, tx, p, id.ID, verified)
		return err
	})
	if err != nil {
		return nil, storageErr(err, p.ID)
	}
	return a, nil
}

func containsAll(id *storage.Identity, logins []storage.Login) bool {
	for _, l := range logins {
		if !slices.Contains(id.Logins, l) {
			return false
		}
	}
	return true
}

// GetOpenIdToken is the basic (classic) flow: a 10-minute token for an identity.
func (s *Service) GetOpenIdToken(ctx context.Context, c Caller, in *api.GetOpenIdTokenInput) (*api.GetOpenIdTokenResponse, error) {
	a, err := s.authorize(ctx, in.IdentityId, in.Logins)
	if err != nil {
		return nil, err
	}
	if a.pool.AllowClassicFlow != nil && !*a.pool.AllowClassicFlow {
		return nil, awserr.New(awserr.InvalidParameter, "Basic (classic) flow is not enabled, please use enhanced flow.")
	}
	if len(a.pool.RoleMappings) > 0 {
		return nil, awserr.New(awserr.InvalidParameter, "Basic (classic) flow is not supported with RoleMappings, please use enhanced flow.")
	}
	token, err := s.issue(ctx, a.pool, a.identity.ID, a.amr, nil, classicTokenLifetime)
	if err != nil {
		return nil, err
	}
	return &api.GetOpenIdTokenResponse{IdentityId: a.identity.ID, Token: token}, nil
}

// UnlinkIdentity removes logins from an identity, with current logins as proof. An
// identity left without logins is disabled.
func (s *Service) UnlinkIdentity(ctx context.Context, c Caller, in *api.UnlinkIdentityInput) (*struct{}, error) {
	id, err := s.store.GetIdentity(ctx, in.IdentityId)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, identityNotFound(in.IdentityId)
	}
	if err != nil {
		return nil, err
	}
	if len(id.Logins) == 0 && !id.Disabled {
		return nil, errLoginsDontMatch
	}
	if _, err := s.authorize(ctx, in.IdentityId, in.Logins); err != nil {
		return nil, err
	}
	err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		cur, err := tx.Identity(ctx, in.IdentityId)
		if err != nil {
			return err
		}
		if removeLogins(cur, func(l storage.Login) bool { return slices.Contains(in.LoginsToRemove, l.Provider) }) {
			s.afterUnlink(cur)
			return tx.Put(ctx, cur)
		}
		return nil
	})
	if err != nil {
		return nil, storageErr(err, id.PoolID)
	}
	return &struct{}{}, nil
}
