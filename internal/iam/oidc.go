package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/idpool/idpool/internal/storage"
)

// errUnchanged aborts an UpdateProvider whose fn found nothing to change, so that an
// idempotent call (adding a client ID that is already there) does not write.
var errUnchanged = errors.New("iam: unchanged")

func (h *Handler) createOIDC(ctx context.Context, accountID string, p params) (any, error) {
	var v validation
	rawURL, ok := p.str("Url")
	if v.required("url", ok) {
		v.length("url", rawURL, 1, maxURLLen)
	}
	ids, _ := p.list("ClientIDList")
	ids = clientIDs(&v, ids)
	prints, _ := p.list("ThumbprintList")
	tags, tagErr := checkTags(&v, p.tags("Tags"))
	if err := v.err(); err != nil {
		return nil, err
	}
	if tagErr != nil {
		return nil, tagErr
	}
	canonical, name, err := oidcURL(rawURL)
	if err != nil {
		return nil, err
	}
	// IAM fetches the issuer's certificate thumbprint itself when none is given. idpool
	// does not contact the issuer when a provider is registered (it may not be up yet,
	// and registration should not depend on the network), so an absent list stays empty.
	if prints, err = thumbprints(prints); err != nil {
		return nil, err
	}
	if len(ids) > maxClientIDs {
		return nil, tooManyClientIDs()
	}
	now := h.now()
	rec := &storage.IAMProvider{
		AccountID:   accountID,
		ARN:         oidcARN(accountID, name),
		Kind:        storage.ProviderOIDC,
		URL:         canonical,
		ClientIDs:   ids,
		Thumbprints: prints,
		Tags:        tags,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := h.store.CreateProvider(ctx, rec); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return nil, errAlreadyExists("Provider with url %s already exists.", rawURL)
		}
		return nil, err
	}
	return &createOIDCResult{OpenIDConnectProviderArn: rec.ARN, Tags: tagList(tags)}, nil
}

// oidcProvider reads the request's OpenIDConnectProviderArn and loads that provider.
func (h *Handler) oidcProvider(ctx context.Context, accountID string, p params) (*storage.IAMProvider, error) {
	a, err := oidcARNParam(p)
	if err != nil {
		return nil, err
	}
	rec, err := h.store.GetProvider(ctx, accountID, a)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && rec.Kind != storage.ProviderOIDC) {
		return nil, oidcNotFound(a)
	}
	return rec, err
}

func oidcARNParam(p params) (string, error) {
	const field = "openIDConnectProviderArn"
	a, ok := p.str("OpenIDConnectProviderArn")
	var v validation
	if !v.required(field, ok) {
		return "", v.err()
	}
	return a, providerARN(field, a, oidcResource, oidcNotFound)
}

func (h *Handler) getOIDC(ctx context.Context, accountID string, p params) (any, error) {
	rec, err := h.oidcProvider(ctx, accountID, p)
	if err != nil {
		return nil, err
	}
	return &getOIDCResult{
		URL:            withoutScheme(rec.URL),
		ClientIDList:   rec.ClientIDs,
		ThumbprintList: rec.Thumbprints,
		CreateDate:     date(rec.CreatedAt),
		Tags:           tagList(rec.Tags),
	}, nil
}

// withoutScheme is the Url of GetOpenIDConnectProvider: IAM returns the URL as it appears
// in the ARN, host and path only.
func withoutScheme(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		return rest
	}
	return u
}

func (h *Handler) listOIDC(ctx context.Context, accountID string, _ params) (any, error) {
	recs, err := h.store.ListProviders(ctx, accountID, storage.ProviderOIDC)
	if err != nil {
		return nil, err
	}
	out := &listOIDCResult{OpenIDConnectProviderList: make(memberList[arnEntry], 0, len(recs))}
	for _, r := range recs {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, arnEntry{Arn: r.ARN})
	}
	return out, nil
}

// deleteOIDC answers NoSuchEntity for an unknown provider, as IAM does in practice (its
// documentation calls the operation idempotent, but the service reports the miss).
func (h *Handler) deleteOIDC(ctx context.Context, accountID string, p params) (any, error) {
	rec, err := h.oidcProvider(ctx, accountID, p)
	if err != nil {
		return nil, err
	}
	if err := h.store.DeleteProvider(ctx, accountID, rec.ARN); err != nil {
		if errors.Is(err, storage.ErrNotFound) { // deleted since we looked
			return nil, oidcNotFound(rec.ARN)
		}
		return nil, err
	}
	return nil, nil
}

// clientIDParam reads the ClientID member of Add/RemoveClientID.
func clientIDParam(p params) (string, error) {
	id, ok := p.str("ClientID")
	var v validation
	if v.required("clientID", ok) {
		v.length("clientID", id, 1, maxClientIDLen)
	}
	return id, v.err()
}

// updateOIDC runs fn on the provider named by the request inside one store transaction.
// fn returning errUnchanged ends the call successfully without a write.
func (h *Handler) updateOIDC(ctx context.Context, accountID string, p params, fn func(*storage.IAMProvider) error) error {
	a, err := oidcARNParam(p)
	if err != nil {
		return err
	}
	now := h.now()
	_, err = h.store.UpdateProvider(ctx, accountID, a, func(rec *storage.IAMProvider) error {
		if rec.Kind != storage.ProviderOIDC {
			return oidcNotFound(a)
		}
		if err := fn(rec); err != nil {
			return err
		}
		rec.UpdatedAt = now
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return oidcNotFound(a)
	case errors.Is(err, errUnchanged):
		return nil
	}
	return err
}

// addClientID is idempotent: adding a client ID the provider has succeeds and changes
// nothing.
func (h *Handler) addClientID(ctx context.Context, accountID string, p params) (any, error) {
	id, err := clientIDParam(p)
	if err != nil {
		return nil, err
	}
	return nil, h.updateOIDC(ctx, accountID, p, func(rec *storage.IAMProvider) error {
		if slices.Contains(rec.ClientIDs, id) {
			return errUnchanged
		}
		if len(rec.ClientIDs) >= maxClientIDs {
			return tooManyClientIDs()
		}
		rec.ClientIDs = append(rec.ClientIDs, id)
		return nil
	})
}

// removeClientID is idempotent: removing a client ID the provider does not have succeeds.
func (h *Handler) removeClientID(ctx context.Context, accountID string, p params) (any, error) {
	id, err := clientIDParam(p)
	if err != nil {
		return nil, err
	}
	return nil, h.updateOIDC(ctx, accountID, p, func(rec *storage.IAMProvider) error {
		i := slices.Index(rec.ClientIDs, id)
		if i < 0 {
			return errUnchanged
		}
		rec.ClientIDs = slices.Delete(rec.ClientIDs, i, i+1)
		return nil
	})
}

// updateThumbprints replaces the list whole, as IAM does (the lists are not merged).
func (h *Handler) updateThumbprints(ctx context.Context, accountID string, p params) (any, error) {
	list, ok := p.list("ThumbprintList")
	var v validation
	if !v.required("thumbprintList", ok) {
		return nil, v.err()
	}
	if len(list) == 0 {
		return nil, errInvalidInput("Thumbprint list must contain at least one entry.")
	}
	prints, err := thumbprints(list)
	if err != nil {
		return nil, err
	}
	return nil, h.updateOIDC(ctx, accountID, p, func(rec *storage.IAMProvider) error {
		rec.Thumbprints = prints
		return nil
	})
}
