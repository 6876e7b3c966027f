package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// DeclaredProvider is an identity provider named in an operator's configuration file
// rather than created through the API: an OpenID Connect provider (URL, with ClientIDs and
// optional Thumbprints) or a SAML provider (Name and Metadata, the metadata document
// itself). The same rules apply as to CreateOpenIDConnectProvider and CreateSAMLProvider.
type DeclaredProvider struct {
	URL         string   `json:"url,omitempty"`
	ClientIDs   []string `json:"client_ids,omitempty"`
	Thumbprints []string `json:"thumbprints,omitempty"`

	Name     string `json:"name,omitempty"`
	Metadata string `json:"metadata,omitempty"`
}

// Validate checks d as Declare would, without a store, so that a configuration file can
// be rejected when it is read rather than half-applied.
func (d DeclaredProvider) Validate() error {
	_, err := d.record("000000000000")
	return err
}

// describe names a provider in Declare's errors.
func (d DeclaredProvider) describe() string {
	if d.URL != "" {
		return fmt.Sprintf("OpenID Connect provider %q", d.URL)
	}
	return fmt.Sprintf("SAML provider %q", d.Name)
}

// record turns d into the provider it declares, without tags or times. Errors wrap the
// *Error the API would have answered.
func (d DeclaredProvider) record(accountID string) (*storage.IAMProvider, error) {
	fail := func(err error) (*storage.IAMProvider, error) {
		return nil, fmt.Errorf("iam: declared %s: %w", d.describe(), err)
	}
	if !isAccountID(accountID) {
		return nil, fmt.Errorf("iam: declared %s: account ID %q is not 12 digits", d.describe(), accountID)
	}
	isOIDC, isSAML := d.URL != "", d.Name != "" || d.Metadata != ""
	switch {
	case isOIDC && isSAML:
		return fail(errors.New("give either url (with client_ids and thumbprints) for OpenID Connect or name and metadata for SAML, not both"))
	case !isOIDC && !isSAML:
		return fail(errors.New("give url for an OpenID Connect provider, or name and metadata for a SAML provider"))
	case isSAML && (len(d.ClientIDs) > 0 || len(d.Thumbprints) > 0):
		return fail(errors.New("client_ids and thumbprints belong to OpenID Connect providers"))
	}

	var v validation
	if isOIDC {
		v.length("url", d.URL, 1, maxURLLen)
		ids := clientIDs(&v, d.ClientIDs)
		if err := v.err(); err != nil {
			return fail(err)
		}
		canonical, name, err := oidcURL(d.URL)
		if err != nil {
			return fail(err)
		}
		prints, err := thumbprints(d.Thumbprints)
		if err != nil {
			return fail(err)
		}
		if len(ids) > maxClientIDs {
			return fail(tooManyClientIDs())
		}
		return &storage.IAMProvider{AccountID: accountID, ARN: oidcARN(accountID, name), Kind: storage.ProviderOIDC,
			URL: canonical, ClientIDs: ids, Thumbprints: prints}, nil
	}
	checkSAMLName(&v, d.Name)
	v.length("sAMLMetadataDocument", d.Metadata, minSAMLMetadataLen, maxSAMLMetadataLen)
	if err := v.err(); err != nil {
		return fail(err)
	}
	validUntil, err := samlMetadata(d.Metadata)
	if err != nil {
		return fail(err)
	}
	return &storage.IAMProvider{AccountID: accountID, ARN: samlARN(accountID, d.Name), Kind: storage.ProviderSAML,
		SAMLMetadata: d.Metadata, ValidUntil: validUntil}, nil
}

// Declare makes the provider d declares exist in accountID as declared: it creates it, or
// brings an existing one (from an earlier start, or created through the API) in line,
// replacing its client IDs, thumbprints or metadata and keeping its tags and CreateDate.
// A provider already as declared is not written, so restarting with an unchanged file
// costs one read per provider. Nodes starting together may race; each then sees the
// other's record and the result is the same.
func Declare(ctx context.Context, store storage.ProviderStore, accountID string, d DeclaredProvider, now time.Time) error {
	want, err := d.record(accountID)
	if err != nil {
		return err
	}
	for range 2 {
		_, err := store.UpdateProvider(ctx, accountID, want.ARN, func(cur *storage.IAMProvider) error {
			if sameDeclared(cur, want) {
				return errUnchanged
			}
			cur.URL, cur.ClientIDs, cur.Thumbprints = want.URL, want.ClientIDs, want.Thumbprints
			cur.SAMLMetadata, cur.ValidUntil = want.SAMLMetadata, want.ValidUntil
			cur.UpdatedAt = now
			return nil
		})
		switch {
		case err == nil || errors.Is(err, errUnchanged):
			return nil
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("iam: declare %s: %w", d.describe(), err)
		}
		rec := want.Clone()
		rec.CreatedAt, rec.UpdatedAt = now, now
		err = store.CreateProvider(ctx, rec)
		if !errors.Is(err, storage.ErrAlreadyExists) {
			if err != nil {
				return fmt.Errorf("iam: declare %s: %w", d.describe(), err)
			}
			return nil
		}
		// Created by someone else since the update found nothing: update that one.
	}
	return fmt.Errorf("iam: declare %s: created and deleted concurrently, try again", d.describe())
}

// sameDeclared reports whether cur already holds everything a declaration sets. Lists
// compare by content (nil and empty alike); times at the millisecond stores keep.
func sameDeclared(cur, want *storage.IAMProvider) bool {
	return cur.Kind == want.Kind && cur.URL == want.URL &&
		slices.Equal(cur.ClientIDs, want.ClientIDs) && slices.Equal(cur.Thumbprints, want.Thumbprints) &&
		cur.SAMLMetadata == want.SAMLMetadata &&
		cur.ValidUntil.Truncate(time.Millisecond).Equal(want.ValidUntil.Truncate(time.Millisecond))
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
