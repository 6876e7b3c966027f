package awsjson

import "github.com/idpool/idpool/internal/cognito"

// operations binds each operation name of the model to its typed method.
func operations(s *cognito.Service) map[string]call {
	return map[string]call{
		"CreateIdentityPool":                 bind(s.CreateIdentityPool),
		"DescribeIdentityPool":               bind(s.DescribeIdentityPool),
		"UpdateIdentityPool":                 bind(s.UpdateIdentityPool),
		"DeleteIdentityPool":                 bind(s.DeleteIdentityPool),
		"ListIdentityPools":                  bind(s.ListIdentityPools),
		"TagResource":                        bind(s.TagResource),
		"UntagResource":                      bind(s.UntagResource),
		"ListTagsForResource":                bind(s.ListTagsForResource),
		"GetId":                              bind(s.GetId),
		"DescribeIdentity":                   bind(s.DescribeIdentity),
		"ListIdentities":                     bind(s.ListIdentities),
		"DeleteIdentities":                   bind(s.DeleteIdentities),
		"GetOpenIdToken":                     bind(s.GetOpenIdToken),
		"GetCredentialsForIdentity":          bind(s.GetCredentialsForIdentity),
		"UnlinkIdentity":                     bind(s.UnlinkIdentity),
		"GetOpenIdTokenForDeveloperIdentity": bind(s.GetOpenIdTokenForDeveloperIdentity),
		"LookupDeveloperIdentity":            bind(s.LookupDeveloperIdentity),
		"MergeDeveloperIdentities":           bind(s.MergeDeveloperIdentities),
		"UnlinkDeveloperIdentity":            bind(s.UnlinkDeveloperIdentity),
		"SetPrincipalTagAttributeMap":        bind(s.SetPrincipalTagAttributeMap),
		"GetPrincipalTagAttributeMap":        bind(s.GetPrincipalTagAttributeMap),
		"SetIdentityPoolRoles":               bind(s.SetIdentityPoolRoles),
		"GetIdentityPoolRoles":               bind(s.GetIdentityPoolRoles),
	}
}
