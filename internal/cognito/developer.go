package cognito

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

const defaultDeveloperTokenDuration = 15 * time.Minute

var errWrongDeveloperProvider = awserr.New(awserr.InvalidParameter, "This identity pool does not support the specified developer provider.")

// GetOpenIdTokenForDeveloperIdentity registers or finds the identity of a developer
// user, links any other logins given alongside, and issues its token.
func (s *Service) GetOpenIdTokenForDeveloperIdentity(ctx context.Context, c Caller, in *api.GetOpenIdTokenForDeveloperIdentityInput) (*api.GetOpenIdTokenForDeveloperIdentityResponse, error) {
	// Read by ID, as the public operations read it (the server caches it briefly): this is
	// the hot path of apps with developer-authenticated users. Another account's pool does
	// not exist for the caller.
	p, err := s.store.GetPoolByID(ctx, in.IdentityPoolId)
	if err == nil && p.AccountID != c.AccountID {
		err = storage.ErrNotFound
	}
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	dev := p.DeveloperProviderName
	user, hasUser := in.Logins[dev]
	if dev == "" || !hasUser {
		return nil, errWrongDeveloperProvider
	}
	if strings.IndexByte(user, 0) >= 0 {
		// Not storable in PostgreSQL text; refused the same on every backend.
		return nil, awserr.New(awserr.InvalidParameter, "The developer user identifier contains a NUL character.")
	}
	external := make(map[string]string, len(in.Logins))
	var cognitoToken string
	for k, v := range in.Logins {
		switch {
		case k == dev:
		case k == cognitoLoginProvider:
			cognitoToken = v
		case isConfiguredExternal(p, k):
			external[k] = v
		default:
			// Anything else can only be a second developer provider.
			return nil, errWrongDeveloperProvider
		}
	}
	proofID := ""
	if cognitoToken != "" {
		claims, err := s.verifyCognitoToken(ctx, p, cognitoToken)
		if err != nil {
			return nil, err
		}
		proofID = claims.Subject
	}
	verified, err := s.verifyExternal(ctx, p, external)
	if err != nil {
		return nil, err
	}
	devLogin := storage.Login{Provider: dev, Subject: user}
	logins := append([]storage.Login{devLogin}, loginsOf(verified)...)

	var out *storage.Identity
	fast := in.IdentityId == "" && len(verified) == 0
	if fast {
		// Fast path: a known developer user with nothing to link needs no write.
		if id, err := s.store.FindLogin(ctx, p.ID, dev, user); err == nil {
			out = &storage.Identity{ID: id}
		}
	}
	if out == nil {
		err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if in.IdentityId != "" {
				owner, err := tx.OwnerOf(ctx, p.ID, dev, user)
				if err == nil && owner != in.IdentityId {
					return awserr.New(awserr.DeveloperUserAlreadyRegistered, "The developer user is already registered with a different identity ID.")
				}
				if err != nil && !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				target, err := tx.Identity(ctx, in.IdentityId)
				if errors.Is(err, storage.ErrNotFound) || (err == nil && target.PoolID != p.ID) {
					return identityNotFound(in.IdentityId)
				}
				if err != nil {
					return err
				}
				if len(target.Logins) > 0 && proofID != target.ID && !ownsAny(target, logins) {
					return errLoginsDontMatch
				}
			}
			var err error
			out, err = s.link(ctx, tx, p, in.IdentityId, logins)
			return err
		})
		if err != nil {
			return nil, storageErr(err, p.ID)
		}
	}

	duration := defaultDeveloperTokenDuration
	if in.TokenDuration != nil {
		duration = time.Duration(*in.TokenDuration) * time.Second
	}
	amr := make([]string, 0, 3+2*len(verified))
	amr = append(amr, "authenticated", dev, dev+":"+p.ID+":"+user)
	amr = appendAMR(amr, verified)
	token, err := s.issue(ctx, p, out.ID, amr, in.PrincipalTags, duration)
	if err != nil {
		return nil, err
	}
	return &api.GetOpenIdTokenForDeveloperIdentityResponse{IdentityId: out.ID, Token: token}, nil
}

// LookupDeveloperIdentity finds an identity by ID or developer user and lists the
// developer users linked to it.
func (s *Service) LookupDeveloperIdentity(ctx context.Context, c Caller, in *api.LookupDeveloperIdentityInput) (*api.LookupDeveloperIdentityResponse, error) {
	p, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId)
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	if in.IdentityId == "" && in.DeveloperUserIdentifier == "" {
		return nil, awserr.New(awserr.InvalidParameter, "Either IdentityId or DeveloperUserIdentifier must be provided.")
	}
	idID := in.IdentityId
	if in.DeveloperUserIdentifier != "" {
		owner, err := s.store.FindLogin(ctx, p.ID, p.DeveloperProviderName, in.DeveloperUserIdentifier)
		if errors.Is(err, storage.ErrNotFound) || p.DeveloperProviderName == "" {
			return nil, awserr.New(awserr.ResourceNotFound, "Developer user identifier not found.")
		}
		if err != nil {
			return nil, err
		}
		if idID != "" && owner != idID {
			return nil, awserr.New(awserr.ResourceConflict, "The IdentityId and DeveloperUserIdentifier do not match.")
		}
		idID = owner
	}
	id, err := s.store.GetIdentity(ctx, idID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && id.PoolID != p.ID) {
		return nil, identityNotFound(idID)
	}
	if err != nil {
		return nil, err
	}
	var users []string
	for _, l := range id.Logins {
		if l.Provider == p.DeveloperProviderName {
			users = append(users, l.Subject)
		}
	}
	start := 0
	if in.NextToken != "" {
		raw, err := decodePageToken(in.NextToken)
		n, perr := strconv.Atoi(raw)
		if err != nil || perr != nil || n < 0 || n > len(users) {
			return nil, awserr.New(awserr.InvalidParameter, "The pagination token is invalid.")
		}
		start = n
	}
	limit := len(users)
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	end := min(start+limit, len(users))
	out := &api.LookupDeveloperIdentityResponse{IdentityId: id.ID, DeveloperUserIdentifierList: append([]string{}, users[start:end]...)}
	if end < len(users) {
		out.NextToken = encodePageToken(strconv.Itoa(end))
	}
	return out, nil
}

// MergeDeveloperIdentities moves the source user's identity into the destination user's.
func (s *Service) MergeDeveloperIdentities(ctx context.Context, c Caller, in *api.MergeDeveloperIdentitiesInput) (*api.MergeDeveloperIdentitiesResponse, error) {
	p, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId)
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	dev := p.DeveloperProviderName
	if dev == "" || in.DeveloperProviderName != dev {
		return nil, errWrongDeveloperProvider
	}
	var dstID string
	err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		srcID, err := tx.OwnerOf(ctx, p.ID, dev, in.SourceUserIdentifier)
		if errors.Is(err, storage.ErrNotFound) {
			return awserr.New(awserr.ResourceNotFound, "Source developer user identifier not found.")
		}
		if err != nil {
			return err
		}
		dstID, err = tx.OwnerOf(ctx, p.ID, dev, in.DestinationUserIdentifier)
		if errors.Is(err, storage.ErrNotFound) {
			return awserr.New(awserr.ResourceNotFound, "Destination developer user identifier not found.")
		}
		if err != nil || srcID == dstID {
			return err
		}
		src, err := tx.Identity(ctx, srcID)
		if err != nil {
			return err
		}
		_, err = s.link(ctx, tx, p, dstID, src.Logins)
		var ae *awserr.Error
		if errors.As(err, &ae) && ae.Code == awserr.LimitExceeded {
			// LimitExceeded is not among this operation's modelled errors.
			return awserr.New(awserr.InvalidParameter, ae.Message)
		}
		return err
	})
	if err != nil {
		return nil, storageErr(err, p.ID)
	}
	return &api.MergeDeveloperIdentitiesResponse{IdentityId: dstID}, nil
}

// UnlinkDeveloperIdentity unlinks a developer user from its identity; the identity is
// disabled when that was its last login, and the user gets a new identity when next seen.
func (s *Service) UnlinkDeveloperIdentity(ctx context.Context, c Caller, in *api.UnlinkDeveloperIdentityInput) (*struct{}, error) {
	p, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId)
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	if p.DeveloperProviderName == "" || in.DeveloperProviderName != p.DeveloperProviderName {
		return nil, errWrongDeveloperProvider
	}
	login := storage.Login{Provider: p.DeveloperProviderName, Subject: in.DeveloperUserIdentifier}
	err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		id, err := tx.Identity(ctx, in.IdentityId)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && id.PoolID != p.ID) {
			return identityNotFound(in.IdentityId)
		}
		if err != nil {
			return err
		}
		if !removeLogins(id, func(l storage.Login) bool { return l == login }) {
			return awserr.New(awserr.ResourceNotFound, "The developer user is not linked to this identity.")
		}
		s.afterUnlink(id)
		return tx.Put(ctx, id)
	})
	if err != nil {
		return nil, storageErr(err, p.ID)
	}
	return &struct{}{}, nil
}

// removeLogins drops the logins matching drop and reports whether any was dropped.
func removeLogins(id *storage.Identity, drop func(storage.Login) bool) bool {
	n := len(id.Logins)
	kept := id.Logins[:0]
	for _, l := range id.Logins {
		if !drop(l) {
			kept = append(kept, l)
		}
	}
	id.Logins = kept
	return len(kept) != n
}

// afterUnlink stamps the change and disables an identity left without logins: it was
// authenticated and must not turn into an unauthenticated one.
func (s *Service) afterUnlink(id *storage.Identity) {
	id.UpdatedAt = s.now()
	if len(id.Logins) == 0 {
		id.Logins, id.Disabled = nil, true
	}
}
