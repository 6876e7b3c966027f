package cognito

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/rolemap"
	"github.com/idpool/idpool/internal/storage"
)

// maxRoleMappings is the most RoleMappings a pool can have (the model says so too).
const maxRoleMappings = 10

// checkRoles makes AWS's checks on SetIdentityPoolRoles' Roles and on the parts of its
// RoleMappings that do not depend on the pool, and returns the mappings in storage form.
// Keys are checked in sorted order so that the same bad input always reports the same
// error.
func (s *Service) checkRoles(in *api.SetIdentityPoolRolesInput) (map[string]storage.RoleMapping, error) {
	for _, k := range slices.Sorted(maps.Keys(in.Roles)) {
		if k != "authenticated" && k != "unauthenticated" {
			return nil, awserr.Newf(awserr.InvalidParameter, "Invalid role key: %s. Valid keys are authenticated and unauthenticated.", k)
		}
		if !arn.IsRole(in.Roles[k]) {
			return nil, awserr.Newf(awserr.InvalidParameter, "Invalid %s role ARN: %s. Expected arn:aws:iam::<account>:role/<name>.", k, in.Roles[k])
		}
	}
	if len(in.RoleMappings) > maxRoleMappings {
		return nil, awserr.Newf(awserr.InvalidParameter, "Too many RoleMappings: an identity pool can have at most %d.", maxRoleMappings)
	}
	if len(in.RoleMappings) == 0 {
		return nil, nil
	}
	out := make(map[string]storage.RoleMapping, len(in.RoleMappings))
	for _, k := range slices.Sorted(maps.Keys(in.RoleMappings)) {
		m := in.RoleMappings[k]
		if m.Type != rolemap.TypeToken && m.Type != rolemap.TypeRules {
			return nil, awserr.Newf(awserr.InvalidParameter, "Invalid RoleMapping Type for %s: %s. Valid types are Token and Rules.", k, m.Type)
		}
		switch m.AmbiguousRoleResolution {
		case rolemap.ResolveAuthenticatedRole, rolemap.ResolveDeny:
		case "":
			return nil, awserr.Newf(awserr.InvalidParameter, "AmbiguousRoleResolution is required for RoleMapping %s.", k)
		default:
			return nil, awserr.Newf(awserr.InvalidParameter, "Invalid AmbiguousRoleResolution for %s: %s. Valid values are AuthenticatedRole and Deny.", k, m.AmbiguousRoleResolution)
		}
		sm := storage.RoleMapping{Type: m.Type, AmbiguousRoleResolution: m.AmbiguousRoleResolution}
		if m.Type == rolemap.TypeRules {
			if m.RulesConfiguration == nil || len(m.RulesConfiguration.Rules) == 0 {
				return nil, awserr.Newf(awserr.InvalidParameter, "RulesConfiguration with at least one rule is required for RoleMapping %s of type Rules.", k)
			}
			rules := m.RulesConfiguration.Rules
			if len(rules) > s.limits.RulesPerMapping {
				return nil, awserr.Newf(awserr.InvalidParameter, "Too many rules in RoleMapping %s: a role mapping can have at most %d rules.", k, s.limits.RulesPerMapping)
			}
			sm.Rules = make([]storage.MappingRule, 0, len(rules))
			for _, r := range rules {
				if !arn.IsRole(r.RoleARN) {
					return nil, awserr.Newf(awserr.InvalidParameter, "Invalid RoleARN in RoleMapping %s: %s. Expected arn:aws:iam::<account>:role/<name>.", k, r.RoleARN)
				}
				sm.Rules = append(sm.Rules, storage.MappingRule{Claim: r.Claim, MatchType: r.MatchType, Value: r.Value, RoleARN: r.RoleARN})
			}
		}
		// A Token mapping's RulesConfiguration, if sent, means nothing and is not kept.
		out[k] = sm
	}
	return out, nil
}

// mappingProvider resolves a RoleMappings key to the pool's provider it names, as a
// canonical name (so that an OIDC provider's Logins key and its ARN compare equal). Keys
// are Logins keys: a social domain, "<user pool provider>:<app client ID>", a SAML
// provider ARN, an OIDC provider's host and path; an OIDC provider's ARN is accepted too.
func mappingProvider(p *storage.Pool, key string) (string, bool) {
	if _, ok := p.SupportedLoginProviders[key]; ok {
		return key, true
	}
	for _, cp := range p.CognitoIdentityProviders {
		if cp.ProviderName+":"+cp.ClientID == key {
			return key, true
		}
	}
	if slices.Contains(p.SAMLProviderARNs, key) {
		return key, true
	}
	for _, a := range p.OpenIDConnectProviderARNs {
		if _, name, ok := strings.Cut(a, ":oidc-provider/"); ok && (name == key || a == key) {
			return "oidc:" + name, true
		}
	}
	return "", false
}

// checkMappingProviders refuses RoleMappings keys that are not configured providers of p,
// and two keys naming one provider.
func checkMappingProviders(p *storage.Pool, mappings map[string]storage.RoleMapping) error {
	seen := make(map[string]string, len(mappings))
	for _, k := range slices.Sorted(maps.Keys(mappings)) {
		canon, ok := mappingProvider(p, k)
		if !ok {
			return awserr.Newf(awserr.InvalidParameter, "%s is not a valid RoleMapping ProviderName or is not a configured provider.", k)
		}
		if prev, dup := seen[canon]; dup {
			return awserr.Newf(awserr.InvalidParameter, "RoleMappings %s and %s name the same provider.", prev, k)
		}
		seen[canon] = k
	}
	return nil
}

// SetIdentityPoolRoles replaces a pool's roles and role mappings: Roles {} clears the
// roles and omitted RoleMappings clear the mappings.
func (s *Service) SetIdentityPoolRoles(ctx context.Context, c Caller, in *api.SetIdentityPoolRolesInput) (*struct{}, error) {
	mappings, err := s.checkRoles(in)
	if err != nil {
		return nil, err
	}
	var roles map[string]string
	if len(in.Roles) > 0 {
		roles = maps.Clone(in.Roles)
	}
	_, err = s.store.UpdatePool(ctx, c.AccountID, in.IdentityPoolId, func(p *storage.Pool) error {
		if err := checkMappingProviders(p, mappings); err != nil {
			return err
		}
		p.Roles = roles
		p.RoleMappings = mappings
		p.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	return &struct{}{}, nil
}

// GetIdentityPoolRoles returns a pool's roles ({} when none) and role mappings (omitted
// when none).
func (s *Service) GetIdentityPoolRoles(ctx context.Context, c Caller, in *api.GetIdentityPoolRolesInput) (*api.GetIdentityPoolRolesResponse, error) {
	p, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId)
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	out := &api.GetIdentityPoolRolesResponse{IdentityPoolId: p.ID, Roles: nonNilMap(p.Roles)}
	if len(p.RoleMappings) > 0 {
		out.RoleMappings = make(map[string]api.RoleMapping, len(p.RoleMappings))
		for k, m := range p.RoleMappings {
			am := api.RoleMapping{Type: m.Type, AmbiguousRoleResolution: m.AmbiguousRoleResolution}
			if m.Type == rolemap.TypeRules {
				rules := make([]api.MappingRule, len(m.Rules))
				for i, r := range m.Rules {
					rules[i] = api.MappingRule{Claim: r.Claim, MatchType: r.MatchType, Value: r.Value, RoleARN: r.RoleARN}
				}
				am.RulesConfiguration = &api.RulesConfigurationType{Rules: rules}
			}
			out.RoleMappings[k] = am
		}
	}
	return out, nil
}
