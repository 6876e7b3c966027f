package iam

import (
	"context"
	"errors"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// samlDocument reads and checks the SAMLMetadataDocument member. Length violations are
// added to v; a document that is not SAML metadata is InvalidInput, checked only once the
// request has passed validation, since parsing up to 10 MB is the expensive part.
func samlDocument(v *validation, p params, required bool) (doc string, present bool) {
	doc, present = p.str("SAMLMetadataDocument")
	if required {
		v.required("sAMLMetadataDocument", present)
	}
	if present {
		v.length("sAMLMetadataDocument", doc, minSAMLMetadataLen, maxSAMLMetadataLen)
	}
	return doc, present
}

// checkEncryption refuses what idpool cannot honour: encrypted assertions need the
// private key that IAM would keep, and idpool's SAML verifier does not decrypt. "Allowed"
// (encryption optional) is what a provider without keys means anyway.
func checkEncryption(v *validation, p params) error {
	if mode, ok := p.str("AssertionEncryptionMode"); ok {
		switch mode {
		case "Allowed":
		case "Required":
			return errInvalidInput("AssertionEncryptionMode Required is not supported by idpool: it does not decrypt SAML assertions.")
		default:
			v.add("assertionEncryptionMode", "Member must satisfy enum value set: [Required, Allowed]")
		}
	}
	for _, m := range []string{"AddPrivateKey", "RemovePrivateKey"} {
		if _, ok := p.str(m); ok {
			return errInvalidInput("%s is not supported by idpool: it does not decrypt SAML assertions.", m)
		}
	}
	return nil
}

func (h *Handler) createSAML(ctx context.Context, accountID string, p params) (any, error) {
	var v validation
	name, ok := p.str("Name")
	if v.required("name", ok) {
		checkSAMLName(&v, name)
	}
	doc, _ := samlDocument(&v, p, true)
	tags, tagErr := checkTags(&v, p.tags("Tags"))
	encErr := checkEncryption(&v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if tagErr != nil {
		return nil, tagErr
	}
	if encErr != nil {
		return nil, encErr
	}
	validUntil, err := samlMetadata(doc)
	if err != nil {
		return nil, err
	}
	now := h.now()
	rec := &storage.IAMProvider{
		AccountID:    accountID,
		ARN:          samlARN(accountID, name),
		Kind:         storage.ProviderSAML,
		SAMLMetadata: doc,
		ValidUntil:   validUntil,
		Tags:         tags,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := h.store.CreateProvider(ctx, rec); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return nil, errAlreadyExists("Provider with name %s already exists.", name)
		}
		return nil, err
	}
	return &createSAMLResult{SAMLProviderArn: rec.ARN, Tags: tagList(tags)}, nil
}

func samlARNParam(p params) (string, error) {
	const field = "sAMLProviderArn"
	a, ok := p.str("SAMLProviderArn")
	var v validation
	if !v.required(field, ok) {
		return "", v.err()
	}
	return a, providerARN(field, a, samlResource, samlNotFound)
}

func (h *Handler) samlProvider(ctx context.Context, accountID string, p params) (*storage.IAMProvider, error) {
	a, err := samlARNParam(p)
	if err != nil {
		return nil, err
	}
	rec, err := h.store.GetProvider(ctx, accountID, a)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && rec.Kind != storage.ProviderSAML) {
		return nil, samlNotFound(a)
	}
	return rec, err
}

func (h *Handler) getSAML(ctx context.Context, accountID string, p params) (any, error) {
	rec, err := h.samlProvider(ctx, accountID, p)
	if err != nil {
		return nil, err
	}
	return &getSAMLResult{
		SAMLMetadataDocument: rec.SAMLMetadata,
		CreateDate:           date(rec.CreatedAt),
		ValidUntil:           date(rec.ValidUntil),
		Tags:                 tagList(rec.Tags),
	}, nil
}

func (h *Handler) listSAML(ctx context.Context, accountID string, _ params) (any, error) {
	recs, err := h.store.ListProviders(ctx, accountID, storage.ProviderSAML)
	if err != nil {
		return nil, err
	}
	out := &listSAMLResult{SAMLProviderList: make(memberList[samlEntry], 0, len(recs))}
	for _, r := range recs {
		out.SAMLProviderList = append(out.SAMLProviderList, samlEntry{
			Arn: r.ARN, ValidUntil: date(r.ValidUntil), CreateDate: date(r.CreatedAt),
		})
	}
	return out, nil
}

// updateSAML replaces the metadata document, and with it ValidUntil. Without a document
// there is nothing idpool can update (the other members are about assertion encryption),
// and the call succeeds as long as the provider exists.
func (h *Handler) updateSAML(ctx context.Context, accountID string, p params) (any, error) {
	var v validation
	doc, present := samlDocument(&v, p, false)
	encErr := checkEncryption(&v, p)
	a, err := samlARNParam(p)
	if err != nil {
		return nil, err
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if encErr != nil {
		return nil, encErr
	}
	var validUntil time.Time
	if present {
		if validUntil, err = samlMetadata(doc); err != nil {
			return nil, err
		}
	}
	now := h.now()
	_, err = h.store.UpdateProvider(ctx, accountID, a, func(rec *storage.IAMProvider) error {
		if rec.Kind != storage.ProviderSAML {
			return samlNotFound(a)
		}
		if !present {
			return errUnchanged
		}
		rec.SAMLMetadata, rec.ValidUntil, rec.UpdatedAt = doc, validUntil, now
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, samlNotFound(a)
	case err != nil && !errors.Is(err, errUnchanged):
		return nil, err
	}
	return &updateSAMLResult{SAMLProviderArn: a}, nil
}

func (h *Handler) deleteSAML(ctx context.Context, accountID string, p params) (any, error) {
	rec, err := h.samlProvider(ctx, accountID, p)
	if err != nil {
		return nil, err
	}
	if err := h.store.DeleteProvider(ctx, accountID, rec.ARN); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, samlNotFound(rec.ARN)
		}
		return nil, err
	}
	return nil, nil
}
