package cognito

import (
	"context"
	"errors"
	"slices"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/idp"
	"github.com/idpool/idpool/internal/storage"
)

// publicPool finds the pool of a public operation, whose caller is anonymous: the pool is
// found by its ID alone, and AccountId, when given, must be the pool's.
func (s *Service) publicPool(ctx context.Context, poolID, accountID string) (*storage.Pool, error) {
	p, err := s.store.GetPoolByID(ctx, poolID)
	if err != nil {
		return nil, storageErr(err, poolID)
	}
	if accountID != "" && accountID != p.AccountID {
		return nil, poolNotFound(poolID)
	}
	return p, nil
}

// ownedIdentity returns an identity and its pool, which must belong to the caller.
func (s *Service) ownedIdentity(ctx context.Context, c Caller, identityID string) (*storage.Identity, *storage.Pool, error) {
	id, err := s.store.GetIdentity(ctx, identityID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, identityNotFound(identityID)
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := s.store.GetPool(ctx, c.AccountID, id.PoolID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, identityNotFound(identityID)
	}
	if err != nil {
		return nil, nil, err
	}
	return id, p, nil
}

// GetId returns the identity of the given logins, creating or merging identities as
// needed, or a new unauthenticated identity when there are no logins.
func (s *Service) GetId(ctx context.Context, c Caller, in *api.GetIdInput) (*api.GetIdResponse, error) {
	p, err := s.publicPool(ctx, in.IdentityPoolId, in.AccountId)
	if err != nil {
		return nil, err
	}
	if len(in.Logins) == 0 {
		if !p.AllowUnauthenticated {
			return nil, errUnauthDisabled
		}
		now := s.now()
		id := &storage.Identity{PoolID: p.ID, ID: s.newIdentityID(), CreatedAt: now, UpdatedAt: now}
		if err := s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Put(ctx, id) }); err != nil {
			return nil, storageErr(err, p.ID)
		}
		return &api.GetIdResponse{IdentityId: id.ID}, nil
	}
	if _, ok := in.Logins[cognitoLoginProvider]; ok {
		return nil, awserr.New(awserr.NotAuthorized, "Invalid login token. Can't pass in a Cognito token.")
	}
	if p.DeveloperProviderName != "" {
		if _, ok := in.Logins[p.DeveloperProviderName]; ok {
			return nil, awserr.New(awserr.NotAuthorized, "Invalid login token. Developer provider logins are only accepted by GetOpenIdTokenForDeveloperIdentity.")
		}
	}
	verified, err := s.verifyExternal(ctx, p, in.Logins)
	if err != nil {
		return nil, err
	}
	logins := loginsOf(verified)
	// Fast path: a single login already linked needs no write.
	if len(logins) == 1 {
		if id, err := s.store.FindLogin(ctx, p.ID, logins[0].Provider, logins[0].Subject); err == nil {
			return &api.GetIdResponse{IdentityId: id}, nil
		}
	}
	var out *storage.Identity
	err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		var err error
		out, err = s.link(ctx, tx, p, "", logins)
		return err
	})
	if err != nil {
		return nil, storageErr(err, p.ID)
	}
	return &api.GetIdResponse{IdentityId: out.ID}, nil
}

func loginsOf(vs []*idp.Login) []storage.Login {
	out := make([]storage.Login, len(vs))
	for i, v := range vs {
		out[i] = v.Login
	}
	return out
}

// DescribeIdentity returns an identity's metadata; its logins are listed by provider name
// only, never by user.
func (s *Service) DescribeIdentity(ctx context.Context, c Caller, in *api.DescribeIdentityInput) (*api.IdentityDescription, error) {
	id, _, err := s.ownedIdentity(ctx, c, in.IdentityId)
	if err != nil {
		return nil, err
	}
	d := describe(id)
	return &d, nil
}

func describe(id *storage.Identity) api.IdentityDescription {
	d := api.IdentityDescription{
		IdentityId:       id.ID,
		CreationDate:     api.NewTime(id.CreatedAt),
		LastModifiedDate: api.NewTime(id.UpdatedAt),
	}
	if len(id.Logins) > 0 {
		d.Logins = make([]string, 0, len(id.Logins))
		for _, l := range id.Logins {
			if !slices.Contains(d.Logins, l.Provider) {
				d.Logins = append(d.Logins, l.Provider)
			}
		}
	}
	return d
}

// ListIdentities pages through a pool's identities in ID order.
func (s *Service) ListIdentities(ctx context.Context, c Caller, in *api.ListIdentitiesInput) (*api.ListIdentitiesResponse, error) {
	if _, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId); err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	after, err := decodePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := int(*in.MaxResults)
	rows, err := s.store.ListIdentities(ctx, in.IdentityPoolId, after, limit+1, in.HideDisabled != nil && *in.HideDisabled)
	if err != nil {
		return nil, err
	}
	out := &api.ListIdentitiesResponse{IdentityPoolId: in.IdentityPoolId, Identities: make([]api.IdentityDescription, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			out.NextToken = encodePageToken(rows[i-1].ID)
			break
		}
		out.Identities = append(out.Identities, describe(r))
	}
	return out, nil
}

// DeleteIdentities deletes identities of the caller's pools. IDs that do not exist are
// ignored, as deleting is idempotent; identities of another account are reported back as
// AccessDenied, failures as InternalServerError.
func (s *Service) DeleteIdentities(ctx context.Context, c Caller, in *api.DeleteIdentitiesInput) (*api.DeleteIdentitiesResponse, error) {
	out := &api.DeleteIdentitiesResponse{UnprocessedIdentityIds: []api.UnprocessedIdentityId{}}
	for _, idID := range in.IdentityIdsToDelete {
		_, _, err := s.ownedIdentity(ctx, c, idID)
		var ae *awserr.Error
		if errors.As(err, &ae) && ae.Code == awserr.ResourceNotFound {
			if _, gerr := s.store.GetIdentity(ctx, idID); errors.Is(gerr, storage.ErrNotFound) {
				continue
			}
			out.UnprocessedIdentityIds = append(out.UnprocessedIdentityIds, api.UnprocessedIdentityId{IdentityId: idID, ErrorCode: "AccessDenied"})
			continue
		}
		if err == nil {
			err = s.store.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Delete(ctx, idID) })
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
		}
		if err != nil {
			s.log.Error("deleting identity", "identity_id", idID, "err", err)
			out.UnprocessedIdentityIds = append(out.UnprocessedIdentityIds, api.UnprocessedIdentityId{IdentityId: idID, ErrorCode: "InternalServerError"})
		}
	}
	return out, nil
}
