package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
)

const (
	rolesUserPool = "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"
	rolesClient   = "appclient1"
	rolesSAML     = "arn:aws:iam::" + testAccount + ":saml-provider/corp"
	roleAuth      = "arn:aws:iam::" + testAccount + ":role/Cognito_Auth"
	roleUnauth    = "arn:aws:iam::" + testAccount + ":role/Cognito_Unauth"
	roleAdmin     = "arn:aws:iam::" + testAccount + ":role/service-role/Admin"
)

// rolesPool creates a pool trusting a user pool app client, a registered OIDC provider,
// a SAML provider and Google; it returns the pool ID, the OIDC ARN and Logins key.
func rolesPool(t *testing.T, srv *testServer) (string, string, string) {
	t.Helper()
	oidcARN, oidcKey := registerOIDC(t, srv, startIssuer(t, "/realms/roles"), "app")
	out, err := srv.client(t).CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("roles"),
		AllowUnauthenticatedIdentities: true,
		SupportedLoginProviders:        map[string]string{"accounts.google.com": "123.apps.googleusercontent.com"},
		OpenIdConnectProviderARNs:      []string{oidcARN},
		SamlProviderARNs:               []string{rolesSAML},
		CognitoIdentityProviders: []types.CognitoIdentityProvider{{
			ProviderName: aws.String(rolesUserPool), ClientId: aws.String(rolesClient),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.IdentityPoolId), oidcARN, oidcKey
}

func rule(claim, match, value, role string) types.MappingRule {
	return types.MappingRule{Claim: aws.String(claim), MatchType: types.MappingRuleMatchType(match), Value: aws.String(value), RoleARN: aws.String(role)}
}

func rulesMapping(res string, rules ...types.MappingRule) types.RoleMapping {
	return types.RoleMapping{Type: types.RoleMappingTypeRules, AmbiguousRoleResolution: types.AmbiguousRoleResolutionType(res),
		RulesConfiguration: &types.RulesConfigurationType{Rules: rules}}
}

func TestIdentityPoolRolesRoundTrip(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool, oidcARN, oidcKey := rolesPool(t, srv)

	// A new pool has no roles: Roles is {} and RoleMappings is absent on the wire.
	r := srv.raw(t, target+"GetIdentityPoolRoles", []byte(`{"IdentityPoolId":"`+pool+`"}`), adminSign())
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"IdentityPoolId":"`+pool+`","Roles":{}}` {
		t.Fatalf("fresh pool: %d %s", r.Status, r.Body)
	}

	upKey := rolesUserPool + ":" + rolesClient
	mappings := map[string]types.RoleMapping{
		upKey: {Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny},
		oidcKey: rulesMapping("AuthenticatedRole",
			rule("groups", "Equals", "admins", roleAdmin),
			rule("email", "NotEqual", "x@example.com", roleAuth),
			rule("email", "StartsWith", "boss", roleAdmin),
			rule("dept", "Contains", "ops", roleAdmin)),
		rolesSAML:             rulesMapping("Deny", rule("role", "Equals", "admin", roleAdmin)),
		"accounts.google.com": {Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeAuthenticatedRole},
	}
	_, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
		IdentityPoolId: &pool,
		Roles:          map[string]string{"authenticated": roleAuth, "unauthenticated": roleUnauth},
		RoleMappings:   mappings,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.IdentityPoolId) != pool || !reflect.DeepEqual(got.Roles, map[string]string{"authenticated": roleAuth, "unauthenticated": roleUnauth}) {
		t.Fatalf("roles: %+v", got)
	}
	if !reflect.DeepEqual(got.RoleMappings, mappings) {
		t.Fatalf("mappings:\n got: %+v\nwant: %+v", got.RoleMappings, mappings)
	}

	// A Token mapping's RulesConfiguration is not kept; an OIDC provider may be keyed by
	// its ARN; a set replaces everything, so the omitted unauthenticated role goes.
	_, err = c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
		IdentityPoolId: &pool,
		Roles:          map[string]string{"authenticated": roleAuth},
		RoleMappings: map[string]types.RoleMapping{oidcARN: {Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny,
			RulesConfiguration: &types.RulesConfigurationType{Rules: []types.MappingRule{rule("a", "Equals", "b", roleAdmin)}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r = srv.raw(t, target+"GetIdentityPoolRoles", []byte(`{"IdentityPoolId":"`+pool+`"}`), adminSign())
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"IdentityPoolId": pool,
		"Roles":          map[string]any{"authenticated": roleAuth},
		"RoleMappings":   map[string]any{oidcARN: map[string]any{"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
	}
	if !reflect.DeepEqual(body, want) {
		t.Fatalf("after replace: %s", r.Body)
	}

	// Roles {} with no RoleMappings clears both.
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool, Roles: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	r = srv.raw(t, target+"GetIdentityPoolRoles", []byte(`{"IdentityPoolId":"`+pool+`"}`), adminSign())
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"IdentityPoolId":"`+pool+`","Roles":{}}` {
		t.Fatalf("cleared: %d %s", r.Status, r.Body)
	}

	// Other operations leave roles alone.
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool, Roles: map[string]string{"authenticated": roleAuth}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: aws.String(poolARN(pool)), Tags: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &pool})
	if err != nil || got.Roles["authenticated"] != roleAuth || got.RoleMappings != nil {
		t.Fatalf("after tagging: %+v, %v", got, err)
	}
}

func TestIdentityPoolRolesRefusals(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool, oidcARN, oidcKey := rolesPool(t, srv)
	upKey := rolesUserPool + ":" + rolesClient
	token := types.RoleMapping{Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny}
	rules := func(n int, role string) []types.MappingRule {
		out := make([]types.MappingRule, n)
		for i := range out {
			out[i] = rule("cognito:groups", "Equals", fmt.Sprintf("g%d", i), role)
		}
		return out
	}
	set := func(roles map[string]string, mappings map[string]types.RoleMapping) error {
		if roles == nil {
			roles = map[string]string{}
		}
		_, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool, Roles: roles, RoleMappings: mappings})
		return err
	}
	const invalid = "InvalidParameterException"

	// The model's pattern refuses other role keys before the service sees them.
	wantAPIError(t, set(map[string]string{"admin": roleAuth}, nil), "ValidationException", "")
	wantAPIError(t, set(map[string]string{"authenticated": "arn:aws:iam::" + testAccount + ":user/bob"}, nil), invalid,
		"Invalid authenticated role ARN: arn:aws:iam::"+testAccount+":user/bob. Expected arn:aws:iam::<account>:role/<name>.")
	wantAPIError(t, set(map[string]string{"unauthenticated": "not-an-arn-but-long-enough"}, nil), invalid, "")

	for _, key := range []string{
		rolesUserPool,                  // a user pool needs its app client
		rolesUserPool + ":otherclient", // not the configured client
		"graph.facebook.com",           // not configured
		"arn:aws:iam::" + testAccount + ":saml-provider/other",
		"arn:aws:iam::" + testAccount + ":oidc-provider/elsewhere.example.com",
		"login.mycompany.myapp",
	} {
		wantAPIError(t, set(nil, map[string]types.RoleMapping{key: token}), invalid,
			key+" is not a valid RoleMapping ProviderName or is not a configured provider.")
	}
	wantAPIError(t, set(nil, map[string]types.RoleMapping{oidcKey: token, oidcARN: token}), invalid,
		"RoleMappings "+oidcKey+" and "+oidcARN+" name the same provider.")

	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: {Type: types.RoleMappingTypeToken}}), invalid,
		"AmbiguousRoleResolution is required for RoleMapping "+upKey+".")
	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: {Type: types.RoleMappingTypeRules, RulesConfiguration: &types.RulesConfigurationType{Rules: rules(1, roleAdmin)}}}), invalid,
		"AmbiguousRoleResolution is required for RoleMapping "+upKey+".")
	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: {Type: types.RoleMappingTypeRules, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny}}), invalid,
		"RulesConfiguration with at least one rule is required for RoleMapping "+upKey+" of type Rules.")
	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: {Type: "Magic", AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny}}), "ValidationException", "")
	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: rulesMapping("Deny", rules(0, roleAdmin)...)}), "ValidationException", "")
	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: rulesMapping("Deny", rule("c", "Equals", "v", "arn:aws:iam::"+testAccount+":policy/p"))}), invalid,
		"Invalid RoleARN in RoleMapping "+upKey+": arn:aws:iam::"+testAccount+":policy/p. Expected arn:aws:iam::<account>:role/<name>.")

	// 25 rules is the quota; 26 is refused.
	if err := set(nil, map[string]types.RoleMapping{upKey: rulesMapping("Deny", rules(25, roleAdmin)...)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, set(nil, map[string]types.RoleMapping{upKey: rulesMapping("Deny", rules(26, roleAdmin)...)}), invalid,
		"Too many rules in RoleMapping "+upKey+": a role mapping can have at most 25 rules.")

	// At most 10 mappings (the model's limit).
	eleven := map[string]types.RoleMapping{}
	for i := range 11 {
		eleven[fmt.Sprintf("provider%d.example.com", i)] = token
	}
	wantAPIError(t, set(nil, eleven), "ValidationException", "")

	// Refusals change nothing: the 25-rule mapping is still there.
	got, err := c.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &pool})
	if err != nil || len(got.RoleMappings) != 1 || len(got.RoleMappings[upKey].RulesConfiguration.Rules) != 25 {
		t.Fatalf("after refusals: %+v, %v", got, err)
	}

	// Unknown pools, and pools of other accounts, are not found.
	missing := "us-east-1:00000000-0000-0000-0000-000000000000"
	_, err = c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &missing, Roles: map[string]string{"authenticated": roleAuth}})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+missing+"' not found.")
	_, err = c.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &missing})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+missing+"' not found.")
}

func TestIdentityPoolRolesRefuseClassicFlow(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool, _, _ := rolesPool(t, srv)
	id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: id.IdentityId}); err != nil {
		t.Fatalf("before mappings: %v", err)
	}
	_, err = c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
		IdentityPoolId: &pool,
		Roles:          map[string]string{"authenticated": roleAuth, "unauthenticated": roleUnauth},
		RoleMappings: map[string]types.RoleMapping{rolesUserPool + ":" + rolesClient: {
			Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeAuthenticatedRole}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	wantAPIError(t, err, "InvalidParameterException", "Basic (classic) flow is not supported with RoleMappings, please use enhanced flow.")

	// Roles alone do not block the classic flow.
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool, Roles: map[string]string{"authenticated": roleAuth}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: id.IdentityId}); err != nil {
		t.Fatalf("after clearing mappings: %v", err)
	}
}
