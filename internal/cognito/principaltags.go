package cognito

import (
	"context"
	"maps"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

// tagMapProvider checks that name is a provider of p under the name principal tag maps
// use: a user pool's name (without client ID), an OIDC or SAML provider's ARN, or a
// social provider's domain.
func tagMapProvider(p *storage.Pool, name string) error {
	if _, ok := p.SupportedLoginProviders[name]; ok {
		return nil
	}
	for _, cp := range p.CognitoIdentityProviders {
		if cp.ProviderName == name {
			return nil
		}
	}
	for _, a := range p.OpenIDConnectProviderARNs {
		if a == name {
			return nil
		}
	}
	for _, a := range p.SAMLProviderARNs {
		if a == name {
			return nil
		}
	}
	return awserr.Newf(awserr.InvalidParameter, "%s is not a configured identity provider of this identity pool.", name)
}

// SetPrincipalTagAttributeMap sets which token claims become session tags for a provider.
func (s *Service) SetPrincipalTagAttributeMap(ctx context.Context, c Caller, in *api.SetPrincipalTagAttributeMapInput) (*api.SetPrincipalTagAttributeMapResponse, error) {
	m := storage.PrincipalTagMap{UseDefaults: in.UseDefaults != nil && *in.UseDefaults, Tags: maps.Clone(in.PrincipalTags)}
	_, err := s.store.UpdatePool(ctx, c.AccountID, in.IdentityPoolId, func(p *storage.Pool) error {
		if err := tagMapProvider(p, in.IdentityProviderName); err != nil {
			return err
		}
		if p.PrincipalTagMaps == nil {
			p.PrincipalTagMaps = map[string]storage.PrincipalTagMap{}
		}
		p.PrincipalTagMaps[in.IdentityProviderName] = m
		p.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	return &api.SetPrincipalTagAttributeMapResponse{
		IdentityPoolId:       in.IdentityPoolId,
		IdentityProviderName: in.IdentityProviderName,
		UseDefaults:          &m.UseDefaults,
		PrincipalTags:        nonNilMap(m.Tags),
	}, nil
}

// GetPrincipalTagAttributeMap returns a provider's map; a provider never given one
// reports UseDefaults false and no tags.
func (s *Service) GetPrincipalTagAttributeMap(ctx context.Context, c Caller, in *api.GetPrincipalTagAttributeMapInput) (*api.GetPrincipalTagAttributeMapResponse, error) {
	p, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId)
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	if err := tagMapProvider(p, in.IdentityProviderName); err != nil {
		return nil, err
	}
	m := p.PrincipalTagMaps[in.IdentityProviderName]
	return &api.GetPrincipalTagAttributeMapResponse{
		IdentityPoolId:       p.ID,
		IdentityProviderName: in.IdentityProviderName,
		UseDefaults:          &m.UseDefaults,
		PrincipalTags:        nonNilMap(m.Tags),
	}, nil
}
