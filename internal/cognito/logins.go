package cognito

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/idp"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/storage"
)

// cognitoLoginProvider is the Logins key of tokens this service issued.
const cognitoLoginProvider = "cognito-identity.amazonaws.com"

// maxLoginsPerIdentity caps the logins linked to one identity, as AWS does for merges.
const maxLoginsPerIdentity = 20

// TokenIssuer signs and verifies the OpenID tokens this service issues.
type TokenIssuer interface {
	Issue(ctx context.Context, c oidc.Claims) (string, error)
	Verify(ctx context.Context, token string) (*oidc.Claims, error)
}

// LoginVerifier checks a login token of an external identity provider configured on the
// pool (user pools, OpenID Connect, SAML, social) and names the user it proves. Its
// refusals are *awserr.Error values with AWS's messages.
type LoginVerifier interface {
	VerifyLogin(ctx context.Context, pool *storage.Pool, provider, token string) (*idp.Login, error)
}

var (
	errLoginsDontMatch = awserr.New(awserr.NotAuthorized, "Logins don't match. Please include at least one valid login for this identity or identity pool.")
	errUnauthDisabled  = awserr.New(awserr.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
	errNotSupported    = awserr.New(awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")
)

func identityNotFound(id string) error {
	return awserr.Newf(awserr.ResourceNotFound, "Identity '%s' not found.", id)
}

func identityForbidden(id string) error {
	return awserr.Newf(awserr.NotAuthorized, "Access to Identity '%s' is forbidden.", id)
}

// isConfiguredExternal reports whether provider is one of the pool's external identity
// providers, under the name clients use as its Logins key.
func isConfiguredExternal(p *storage.Pool, provider string) bool {
	if _, ok := p.SupportedLoginProviders[provider]; ok {
		return true
	}
	for _, cp := range p.CognitoIdentityProviders {
		if cp.ProviderName == provider {
			return true
		}
	}
	if slices.Contains(p.SAMLProviderARNs, provider) {
		return true
	}
	for _, a := range p.OpenIDConnectProviderARNs {
		if _, name, ok := strings.Cut(a, ":oidc-provider/"); ok && name == provider {
			return true
		}
	}
	return false
}

// verifyExternal checks every external login of a request. Cognito tokens and the
// developer provider are handled by the callers that accept them.
func (s *Service) verifyExternal(ctx context.Context, p *storage.Pool, logins map[string]string) ([]*idp.Login, error) {
	out := make([]*idp.Login, 0, len(logins))
	for _, provider := range slices.Sorted(maps.Keys(logins)) {
		if !isConfiguredExternal(p, provider) {
			return nil, errNotSupported
		}
		if s.logins == nil {
			return nil, awserr.Newf(awserr.NotAuthorized, "Invalid login token. Logins from %s cannot be verified by this version of idpool.", provider)
		}
		v, err := s.logins.VerifyLogin(ctx, p, provider, logins[provider])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// verifyCognitoToken checks a token this service issued, presented as the
// cognito-identity.amazonaws.com login for pool p.
func (s *Service) verifyCognitoToken(ctx context.Context, p *storage.Pool, token string) (*oidc.Claims, error) {
	c, err := s.issuer.Verify(ctx, token)
	if err != nil {
		var exp *oidc.ExpiredError
		if errors.As(err, &exp) {
			return nil, awserr.Newf(awserr.NotAuthorized, "Invalid login token. Token expired: %d >= %d", exp.Now.Unix(), exp.Expiry.Unix())
		}
		if errors.Is(err, oidc.ErrIssuer) {
			return nil, awserr.New(awserr.NotAuthorized, "Invalid login token. Issuer doesn't match providerName")
		}
		if errors.Is(err, oidc.ErrMalformed) || errors.Is(err, oidc.ErrSignature) {
			return nil, awserr.New(awserr.NotAuthorized, "Invalid login token. Not a valid OpenId Connect identity token.")
		}
		return nil, err
	}
	if c.Audience != p.ID {
		return nil, errNotSupported
	}
	return c, nil
}

// link links logins to an identity inside tx and returns the identity that owns them all
// afterwards. With target empty, the identity already owning one of the logins is used,
// or a new one is created. Identities owning other logins of the request are merged into
// the target: their logins move over and they are disabled. When several identities
// qualify as the target, the oldest survives (ties broken by ID), so that the identity
// with the longest history, the one most clients have cached, keeps its ID.
func (s *Service) link(ctx context.Context, tx storage.IdentityTx, p *storage.Pool, target string, logins []storage.Login) (*storage.Identity, error) {
	now := s.now()
	owners := make([]*storage.Identity, 0, len(logins))
	var dst *storage.Identity
	if target != "" {
		id, err := tx.Identity(ctx, target)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && id.PoolID != p.ID) {
			return nil, identityNotFound(target)
		}
		if err != nil {
			return nil, err
		}
		if id.Disabled {
			return nil, identityForbidden(target)
		}
		dst = id
	}
	for _, l := range logins {
		ownerID, err := tx.OwnerOf(ctx, p.ID, l.Provider, l.Subject)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if (dst != nil && ownerID == dst.ID) || slices.ContainsFunc(owners, func(o *storage.Identity) bool { return o.ID == ownerID }) {
			continue
		}
		owner, err := tx.Identity(ctx, ownerID)
		if err != nil {
			return nil, err
		}
		owners = append(owners, owner)
	}
	if dst == nil {
		if len(owners) == 0 {
			id := &storage.Identity{PoolID: p.ID, ID: s.newIdentityID(), Logins: slices.Clone(logins), CreatedAt: now, UpdatedAt: now}
			if len(id.Logins) > maxLoginsPerIdentity {
				return nil, tooManyLogins()
			}
			return id, tx.Put(ctx, id)
		}
		slices.SortFunc(owners, func(a, b *storage.Identity) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		dst, owners = owners[0], owners[1:]
	}

	changed := false
	for _, o := range owners {
		for _, l := range o.Logins {
			if err := addLogin(dst, l, p.DeveloperProviderName); err != nil {
				return nil, err
			}
		}
		o.Logins, o.Disabled, o.UpdatedAt = nil, true, now
		if err := tx.Put(ctx, o); err != nil {
			return nil, err
		}
		changed = true
	}
	for _, l := range logins {
		if slices.Contains(dst.Logins, l) {
			continue
		}
		if err := addLogin(dst, l, p.DeveloperProviderName); err != nil {
			return nil, err
		}
		changed = true
	}
	if !changed {
		return dst, nil
	}
	if len(dst.Logins) > maxLoginsPerIdentity {
		return nil, tooManyLogins()
	}
	dst.UpdatedAt = now
	return dst, tx.Put(ctx, dst)
}

func tooManyLogins() error {
	return awserr.Newf(awserr.LimitExceeded, "An identity can have at most %d linked logins.", maxLoginsPerIdentity)
}

// addLogin links l to id, keeping AWS's rule of one login per public provider per
// identity; a developer provider may link several users after a merge.
func addLogin(id *storage.Identity, l storage.Login, developerProvider string) error {
	if slices.Contains(id.Logins, l) {
		return nil
	}
	if l.Provider != developerProvider {
		for _, have := range id.Logins {
			if have.Provider == l.Provider {
				return awserr.Newf(awserr.ResourceConflict, "Identity '%s' is already linked to another %s login.", id.ID, l.Provider)
			}
		}
	}
	id.Logins = append(id.Logins, l)
	return nil
}

// ownsAny reports whether identity id has at least one of the logins.
func ownsAny(id *storage.Identity, logins []storage.Login) bool {
	for _, l := range logins {
		if slices.Contains(id.Logins, l) {
			return true
		}
	}
	return false
}
