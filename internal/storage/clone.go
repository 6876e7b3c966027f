package storage

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of p: nothing reachable from the copy is shared with p, so an
// updater func or a caching backend can change one without the other seeing it. A nil
// map or slice stays nil and an empty one stays empty, because backends preserve that
// difference and the API layer may render the two differently. Clone of nil is nil.
func (p *Pool) Clone() *Pool {
	if p == nil {
		return nil
	}
	c := *p
	if p.AllowClassicFlow != nil {
		v := *p.AllowClassicFlow
		c.AllowClassicFlow = &v
	}
	// maps.Clone and slices.Clone keep nil as nil and empty as empty; the element types
	// below hold no references except RoleMapping.Rules and PrincipalTagMap.Tags.
	c.SupportedLoginProviders = maps.Clone(p.SupportedLoginProviders)
	c.OpenIDConnectProviderARNs = slices.Clone(p.OpenIDConnectProviderARNs)
	c.CognitoIdentityProviders = slices.Clone(p.CognitoIdentityProviders)
	c.SAMLProviderARNs = slices.Clone(p.SAMLProviderARNs)
	c.Tags = maps.Clone(p.Tags)
	c.Roles = maps.Clone(p.Roles)
	if p.RoleMappings != nil {
		c.RoleMappings = make(map[string]RoleMapping, len(p.RoleMappings))
		for k, m := range p.RoleMappings {
			m.Rules = slices.Clone(m.Rules)
			c.RoleMappings[k] = m
		}
	}
	if p.PrincipalTagMaps != nil {
		c.PrincipalTagMaps = make(map[string]PrincipalTagMap, len(p.PrincipalTagMaps))
		for k, m := range p.PrincipalTagMaps {
			m.Tags = maps.Clone(m.Tags)
			c.PrincipalTagMaps[k] = m
		}
	}
	return &c
}

// Clone returns a deep copy of p, with the same guarantees as Pool.Clone: nothing is
// shared, nil stays nil and empty stays empty. Clone of nil is nil.
func (p *IAMProvider) Clone() *IAMProvider {
	if p == nil {
		return nil
	}
	c := *p
	c.ClientIDs = slices.Clone(p.ClientIDs)
	c.Thumbprints = slices.Clone(p.Thumbprints)
	c.Tags = maps.Clone(p.Tags)
	return &c
}

// Clone returns a deep copy of r, with the same guarantees as Pool.Clone. Clone of nil is
// nil.
func (r *Role) Clone() *Role {
	if r == nil {
		return nil
	}
	c := *r
	c.Tags = maps.Clone(r.Tags)
	return &c
}
