package sqlrecord

import (
	"encoding/json"

	"github.com/idpool/idpool/internal/storage"
)

// poolConfig is the JSON in identity_pools.config: every storage.Pool field that has no
// column (ID, AccountID, Region, Name and the times have one).
type poolConfig struct {
	AllowUnauthenticated      bool                       `json:"allowUnauthenticated"`
	AllowClassicFlow          *bool                      `json:"allowClassicFlow"`
	SupportedLoginProviders   map[string]string          `json:"supportedLoginProviders"`
	DeveloperProviderName     string                     `json:"developerProviderName"`
	OpenIDConnectProviderARNs []string                   `json:"openIdConnectProviderArns"`
	CognitoIdentityProviders  []cognitoProviderJSON      `json:"cognitoIdentityProviders"`
	SAMLProviderARNs          []string                   `json:"samlProviderArns"`
	Tags                      map[string]string          `json:"tags"`
	Roles                     map[string]string          `json:"roles"`
	RoleMappings              map[string]roleMappingJSON `json:"roleMappings"`
	// Configs written before PrincipalTagMaps existed lack the key and decode to nil, which
	// is what a pool that never had one holds.
	PrincipalTagMaps map[string]principalTagMapJSON `json:"principalTagMaps"`
}

// cognitoProviderJSON, mappingRuleJSON and principalTagMapJSON have exactly the fields of
// their storage counterparts, so the conversions below stop compiling when a field is
// added there.
type cognitoProviderJSON struct {
	ProviderName         string `json:"providerName"`
	ClientID             string `json:"clientId"`
	ServerSideTokenCheck bool   `json:"serverSideTokenCheck"`
}

type mappingRuleJSON struct {
	Claim     string `json:"claim"`
	MatchType string `json:"matchType"`
	Value     string `json:"value"`
	RoleARN   string `json:"roleArn"`
}

type roleMappingJSON struct {
	Type                    string            `json:"type"`
	AmbiguousRoleResolution string            `json:"ambiguousRoleResolution"`
	Rules                   []mappingRuleJSON `json:"rules"`
}

type principalTagMapJSON struct {
	UseDefaults bool              `json:"useDefaults"`
	Tags        map[string]string `json:"tags"`
}

// EncodePool returns the config JSON of p: every field that has no column of its own.
func EncodePool(p *storage.Pool) ([]byte, error) {
	return json.Marshal(poolConfig{
		AllowUnauthenticated:      p.AllowUnauthenticated,
		AllowClassicFlow:          p.AllowClassicFlow,
		SupportedLoginProviders:   p.SupportedLoginProviders,
		DeveloperProviderName:     p.DeveloperProviderName,
		OpenIDConnectProviderARNs: p.OpenIDConnectProviderARNs,
		CognitoIdentityProviders:  convertSlice(p.CognitoIdentityProviders, func(c storage.CognitoProvider) cognitoProviderJSON { return cognitoProviderJSON(c) }),
		SAMLProviderARNs:          p.SAMLProviderARNs,
		Tags:                      p.Tags,
		Roles:                     p.Roles,
		RoleMappings: convertMap(p.RoleMappings, func(m storage.RoleMapping) roleMappingJSON {
			return roleMappingJSON{
				Type:                    m.Type,
				AmbiguousRoleResolution: m.AmbiguousRoleResolution,
				Rules:                   convertSlice(m.Rules, func(r storage.MappingRule) mappingRuleJSON { return mappingRuleJSON(r) }),
			}
		}),
		PrincipalTagMaps: convertMap(p.PrincipalTagMaps, func(m storage.PrincipalTagMap) principalTagMapJSON { return principalTagMapJSON(m) }),
	})
}

// DecodePool sets the fields of p that EncodePool stores from its JSON b. What it puts in
// p shares no memory with b.
func DecodePool(b []byte, p *storage.Pool) error {
	var c poolConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	p.AllowUnauthenticated = c.AllowUnauthenticated
	p.AllowClassicFlow = c.AllowClassicFlow
	p.SupportedLoginProviders = c.SupportedLoginProviders
	p.DeveloperProviderName = c.DeveloperProviderName
	p.OpenIDConnectProviderARNs = c.OpenIDConnectProviderARNs
	p.CognitoIdentityProviders = convertSlice(c.CognitoIdentityProviders, func(c cognitoProviderJSON) storage.CognitoProvider { return storage.CognitoProvider(c) })
	p.SAMLProviderARNs = c.SAMLProviderARNs
	p.Tags = c.Tags
	p.Roles = c.Roles
	p.RoleMappings = convertMap(c.RoleMappings, func(m roleMappingJSON) storage.RoleMapping {
		return storage.RoleMapping{
			Type:                    m.Type,
			AmbiguousRoleResolution: m.AmbiguousRoleResolution,
			Rules:                   convertSlice(m.Rules, func(r mappingRuleJSON) storage.MappingRule { return storage.MappingRule(r) }),
		}
	})
	p.PrincipalTagMaps = convertMap(c.PrincipalTagMaps, func(m principalTagMapJSON) storage.PrincipalTagMap { return storage.PrincipalTagMap(m) })
	return nil
}
