package api

import (
	"errors"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

const (
	poolID     = "us-east-1:11111111-2222-3333-4444-555555555555"
	identityID = "us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	roleARN    = "arn:aws:iam::123456789012:role/Cognito_Auth"
	poolARN    = "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" + poolID
	idPattern  = `[\w-]+:[0-9a-f-]+`
	idAll      = `[Member must have length less than or equal to 55, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+]`
)

type validator interface{ Validate() error }

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name string
		in   validator
		want string // "" for valid
	}{
		{
			name: "bad identityPoolId",
			in:   &DescribeIdentityPoolInput{IdentityPoolId: "us-east-2:mock"},
			want: `1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
		},
		{
			name: "MaxResults 0",
			in:   &ListIdentityPoolsInput{MaxResults: ptr[int32](0)},
			want: `1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1`,
		},
		{
			name: "MaxResults 61",
			in:   &ListIdentityPoolsInput{MaxResults: ptr[int32](61)},
			want: `1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60`,
		},
		{
			name: "MaxResults missing",
			in:   &ListIdentityPoolsInput{NextToken: "abc"},
			want: `1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null`,
		},
		{
			name: "MaxResults 60 valid",
			in:   &ListIdentityPoolsInput{MaxResults: ptr[int32](60)},
		},
		{
			name: "missing AllowUnauthenticatedIdentities",
			in:   &CreateIdentityPoolInput{IdentityPoolName: "pool"},
			want: `1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null`,
		},
		{
			name: "bad role mapping enum",
			in: &SetIdentityPoolRolesInput{
				IdentityPoolId: poolID,
				Roles:          map[string]string{"authenticated": roleARN},
				RoleMappings:   map[string]RoleMapping{"graph.facebook.com": {Type: "Foo"}},
			},
			want: `1 validation error detected: Value 'Foo' at 'roleMappings.graph.facebook.com.member.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]`,
		},
		{
			name: "bad ambiguous role resolution and roles key",
			in: &SetIdentityPoolRolesInput{
				IdentityPoolId: poolID,
				Roles:          map[string]string{"admin": roleARN},
				RoleMappings: map[string]RoleMapping{
					"b.example.com": {Type: "Token", AmbiguousRoleResolution: "Allow"},
					"a.example.com": {Type: "Token", AmbiguousRoleResolution: "Deny"},
				},
			},
			want: `2 validation errors detected: ` +
				`Value '{admin=` + roleARN + `}' at 'roles' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (un)?authenticated]; ` +
				`Value 'Allow' at 'roleMappings.b.example.com.member.ambiguousRoleResolution' failed to satisfy constraint: Member must satisfy enum value set: [AuthenticatedRole, Deny]`,
		},
		{
			name: "over-long pool name",
			in:   &CreateIdentityPoolInput{IdentityPoolName: strings.Repeat("a", 129), AllowUnauthenticatedIdentities: ptr(false)},
			want: `1 validation error detected: Value '` + strings.Repeat("a", 129) + `' at 'identityPoolName' failed to satisfy constraint: Member must have length less than or equal to 128`,
		},
		{
			name: "two violations",
			in:   &CreateIdentityPoolInput{IdentityPoolName: "bad/name"},
			want: `2 validation errors detected: ` +
				`Value 'bad/name' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+; ` +
				`Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null`,
		},
		{
			name: "empty required string counts as present",
			in:   &CreateIdentityPoolInput{AllowUnauthenticatedIdentities: ptr(true)},
			want: `2 validation errors detected: ` +
				`Value '' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+; ` +
				`Value '' at 'identityPoolName' failed to satisfy constraint: Member must have length greater than or equal to 1`,
		},
		{
			name: "list of IDs element",
			in:   &DeleteIdentitiesInput{IdentityIdsToDelete: []string{identityID, "bad"}},
			want: `1 validation error detected: Value '[` + identityID + `, bad]' at 'identityIdsToDelete' failed to satisfy constraint: Member must satisfy constraint: ` + idAll,
		},
		{
			name: "list of IDs empty",
			in:   &DeleteIdentitiesInput{IdentityIdsToDelete: []string{}},
			want: `1 validation error detected: Value '[]' at 'identityIdsToDelete' failed to satisfy constraint: Member must have length greater than or equal to 1`,
		},
		{
			name: "list of IDs missing",
			in:   &DeleteIdentitiesInput{},
			want: `1 validation error detected: Value null at 'identityIdsToDelete' failed to satisfy constraint: Member must not be null`,
		},
		{
			name: "list of IDs too long and bad element",
			in:   &DeleteIdentitiesInput{IdentityIdsToDelete: append(make([]string, 60), "x")},
			want: `2 validation errors detected: ` +
				`Value '[` + strings.Repeat(", ", 60) + `x]' at 'identityIdsToDelete' failed to satisfy constraint: Member must have length less than or equal to 60; ` +
				`Value '[` + strings.Repeat(", ", 60) + `x]' at 'identityIdsToDelete' failed to satisfy constraint: Member must satisfy constraint: ` + idAll,
		},
		{
			name: "tag key",
			in:   &TagResourceInput{ResourceArn: poolARN, Tags: map[string]string{"": "v", "ok": "fine"}},
			want: `1 validation error detected: Value '{=v, ok=fine}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]`,
		},
		{
			name: "tag value",
			in:   &TagResourceInput{ResourceArn: poolARN, Tags: map[string]string{"k": strings.Repeat("v", 257)}},
			want: `1 validation error detected: Value '{k=` + strings.Repeat("v", 257) + `}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]`,
		},
		{
			name: "tag value counted in UTF-16 units, empty value allowed",
			in:   &TagResourceInput{ResourceArn: poolARN, Tags: map[string]string{"k": strings.Repeat("😀", 128), "e": ""}},
		},
		{
			name: "tag value over in UTF-16 units",
			in:   &TagResourceInput{ResourceArn: poolARN, Tags: map[string]string{"k": strings.Repeat("😀", 129)}},
			want: `1 validation error detected: Value '{k=` + strings.Repeat("😀", 129) + `}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]`,
		},
		{
			name: "untag keys missing and short arn",
			in:   &UntagResourceInput{ResourceArn: "arn:short"},
			want: `2 validation errors detected: ` +
				`Value 'arn:short' at 'resourceArn' failed to satisfy constraint: Member must have length greater than or equal to 20; ` +
				`Value null at 'tagKeys' failed to satisfy constraint: Member must not be null`,
		},
		{
			name: "nested list struct path",
			in: &CreateIdentityPoolInput{
				IdentityPoolName:               "pool",
				AllowUnauthenticatedIdentities: ptr(false),
				CognitoIdentityProviders: []CognitoIdentityProvider{
					{ProviderName: "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", ClientId: "abc123"},
					{ProviderName: "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", ClientId: "bad id"},
				},
			},
			want: `1 validation error detected: Value 'bad id' at 'cognitoIdentityProviders.2.member.clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w_]+`,
		},
		{
			name: "rules configuration nested in map",
			in: &SetIdentityPoolRolesInput{
				IdentityPoolId: poolID,
				Roles:          map[string]string{},
				RoleMappings: map[string]RoleMapping{
					"graph.facebook.com": {Type: "Rules", RulesConfiguration: &RulesConfigurationType{Rules: []MappingRule{
						{Claim: "isAdmin", MatchType: "Equals", Value: "true", RoleARN: roleARN},
						{Claim: "group", MatchType: "Like", Value: "x"},
					}}},
					"accounts.google.com": {Type: "Rules", RulesConfiguration: &RulesConfigurationType{Rules: []MappingRule{}}},
					"www.amazon.com":      {Type: "Rules", RulesConfiguration: &RulesConfigurationType{}},
				},
			},
			want: `4 validation errors detected: ` +
				`Value '[]' at 'roleMappings.accounts.google.com.member.rulesConfiguration.rules' failed to satisfy constraint: Member must have length greater than or equal to 1; ` +
				`Value 'Like' at 'roleMappings.graph.facebook.com.member.rulesConfiguration.rules.2.member.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]; ` +
				`Value '' at 'roleMappings.graph.facebook.com.member.rulesConfiguration.rules.2.member.roleARN' failed to satisfy constraint: Member must have length greater than or equal to 20; ` +
				`Value null at 'roleMappings.www.amazon.com.member.rulesConfiguration.rules' failed to satisfy constraint: Member must not be null`,
		},
		{
			name: "rules list too long renders structures",
			in: &RulesConfigurationType{Rules: func() []MappingRule {
				r := make([]MappingRule, 401)
				for i := range r {
					r[i] = MappingRule{Claim: "c", MatchType: "Equals", Value: "v", RoleARN: roleARN}
				}
				return r
			}()},
			want: `1 validation error detected: Value '[` + strings.Repeat("{Claim=c, MatchType=Equals, Value=v, RoleARN="+roleARN+"}, ", 400) +
				"{Claim=c, MatchType=Equals, Value=v, RoleARN=" + roleARN + "}" +
				`]' at 'rules' failed to satisfy constraint: Member must have length less than or equal to 400`,
		},
		{
			name: "sensitive logins redacted",
			in:   &GetIdInput{IdentityPoolId: poolID, Logins: map[string]string{"graph.facebook.com": ""}},
			want: `1 validation error detected: Value '*** Sensitive Data Redacted ***' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 50000, Member must have length greater than or equal to 1]`,
		},
		{
			name: "too many logins redacted",
			in: &GetCredentialsForIdentityInput{IdentityId: identityID, Logins: map[string]string{
				"a": "t", "b": "t", "c": "t", "d": "t", "e": "t", "f": "t", "g": "t", "h": "t", "i": "t", "j": "t", "k": "t",
			}},
			want: `1 validation error detected: Value '*** Sensitive Data Redacted ***' at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10`,
		},
		{
			name: "token duration and account id",
			in: &GetOpenIdTokenForDeveloperIdentityInput{
				IdentityPoolId: poolID,
				Logins:         map[string]string{"login.mycompany.myapp": "user"},
				TokenDuration:  ptr[int64](86401),
				PrincipalTags:  map[string]string{"k": ""},
			},
			want: `2 validation errors detected: ` +
				`Value '{k=}' at 'principalTags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1]; ` +
				`Value '86401' at 'tokenDuration' failed to satisfy constraint: Member must have value less than or equal to 86400`,
		},
		{
			name: "logins to remove element",
			in:   &UnlinkIdentityInput{IdentityId: identityID, Logins: map[string]string{}, LoginsToRemove: []string{""}},
			want: `1 validation error detected: Value '[]' at 'loginsToRemove' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]`,
		},
		{
			name: "pool name whitespace includes vertical tab (Java \\s)",
			in:   &CreateIdentityPoolInput{IdentityPoolName: "my pool\v\t1", AllowUnauthenticatedIdentities: ptr(true)},
		},
		{
			name: "next token rejects vertical tab (Java \\S)",
			in:   &ListIdentityPoolsInput{MaxResults: ptr[int32](1), NextToken: "a\vb"},
			want: "1 validation error detected: Value 'a\vb' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+",
		},
		{
			name: "update identity pool",
			in:   &IdentityPool{IdentityPoolId: "us-east-1:" + strings.Repeat("a", 46), IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), AllowClassicFlow: ptr(false)},
			want: `1 validation error detected: Value 'us-east-1:` + strings.Repeat("a", 46) + `' at 'identityPoolId' failed to satisfy constraint: Member must have length less than or equal to 55`,
		},
		{
			name: "valid create",
			in: &CreateIdentityPoolInput{
				IdentityPoolName:               "my_pool-1",
				AllowUnauthenticatedIdentities: ptr(false),
				AllowClassicFlow:               ptr(true),
				SupportedLoginProviders:        map[string]string{"graph.facebook.com": "7346241598935555"},
				DeveloperProviderName:          "login.mycompany.myapp",
				OpenIdConnectProviderARNs:      []string{"arn:aws:iam::123456789012:oidc-provider/example.com"},
				CognitoIdentityProviders:       []CognitoIdentityProvider{{ProviderName: "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", ClientId: "abc123", ServerSideTokenCheck: ptr(true)}},
				SamlProviderARNs:               []string{},
				IdentityPoolTags:               map[string]string{"team": "id"},
			},
		},
		{
			name: "valid get id",
			in:   &GetIdInput{AccountId: "123456789012", IdentityPoolId: poolID},
		},
		{
			name: "valid empty input structure",
			in:   &TagResourceInput{ResourceArn: poolARN, Tags: map[string]string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Fatalf("Validate() message\n got: %s\nwant: %s", got, tt.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() returned %T, want *ValidationError", err)
			}
			if ValidationMessage(ve.Violations) != tt.want {
				t.Fatalf("Violations %q do not rebuild the message", ve.Violations)
			}
		})
	}
}

func TestValidateNilReceiver(t *testing.T) {
	var in *GetIdInput
	err := in.Validate()
	want := `2 validation errors detected: Value '' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+; Value '' at 'identityPoolId' failed to satisfy constraint: Member must have length greater than or equal to 1`
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want %s", err, want)
	}
}

func TestValidationErrorViolations(t *testing.T) {
	err := (&ListIdentitiesInput{IdentityPoolId: "x"}).Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v", err)
	}
	want := []string{
		`Value 'x' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: ` + idPattern,
		`Value null at 'maxResults' failed to satisfy constraint: Member must not be null`,
	}
	if strings.Join(ve.Violations, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Violations = %q, want %q", ve.Violations, want)
	}
	if got := Violation("v", "p", "c"); got != "Value 'v' at 'p' failed to satisfy constraint: c" {
		t.Fatalf("Violation = %q", got)
	}
	if got := NullViolation("p"); got != "Value null at 'p' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("NullViolation = %q", got)
	}
}

func TestUTF16Len(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "é": 1, "😀": 2, "a😀b": 4, "\xff": 1} {
		if got := utf16Len(s); got != want {
			t.Errorf("utf16Len(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestValidateAllocs(t *testing.T) {
	getID := &GetIdInput{
		AccountId:      "123456789012",
		IdentityPoolId: poolID,
		Logins:         map[string]string{"graph.facebook.com": "EAAB-token", "accounts.google.com": "eyJ.token"},
	}
	creds := &GetCredentialsForIdentityInput{
		IdentityId:    identityID,
		Logins:        map[string]string{"graph.facebook.com": "EAAB-token", "accounts.google.com": "eyJ.token"},
		CustomRoleArn: roleARN,
	}
	roles := &SetIdentityPoolRolesInput{
		IdentityPoolId: poolID,
		Roles:          map[string]string{"authenticated": roleARN, "unauthenticated": roleARN},
		RoleMappings: map[string]RoleMapping{"graph.facebook.com": {Type: "Rules", AmbiguousRoleResolution: "Deny", RulesConfiguration: &RulesConfigurationType{
			Rules: []MappingRule{{Claim: "isAdmin", MatchType: "Equals", Value: "true", RoleARN: roleARN}},
		}}},
	}
	for name, in := range map[string]validator{"GetIdInput": getID, "GetCredentialsForIdentityInput": creds, "SetIdentityPoolRolesInput": roles} {
		if err := in.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := testing.AllocsPerRun(1000, func() { _ = in.Validate() }); n != 0 {
			t.Errorf("%s.Validate allocates %v times per run, want 0", name, n)
		}
	}
}

func BenchmarkValidateGetCredentialsForIdentity(b *testing.B) {
	in := &GetCredentialsForIdentityInput{
		IdentityId: identityID,
		Logins:     map[string]string{"graph.facebook.com": "EAAB-token"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := in.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOperations(t *testing.T) {
	if len(Operations) != 23 {
		t.Fatalf("len(Operations) = %d, want 23", len(Operations))
	}
	public := map[string]bool{"GetId": true, "GetOpenIdToken": true, "GetCredentialsForIdentity": true, "UnlinkIdentity": true}
	for _, op := range Operations {
		if op.Public != public[op.Name] {
			t.Errorf("%s: Public = %t", op.Name, op.Public)
		}
	}
	if op, ok := OperationByName("DeleteIdentityPool"); !ok || op.HasOutput || op.Public {
		t.Errorf("OperationByName(DeleteIdentityPool) = %+v, %t", op, ok)
	}
	if op, ok := OperationByName("GetId"); !ok || !op.HasOutput || !op.Public {
		t.Errorf("OperationByName(GetId) = %+v, %t", op, ok)
	}
	if _, ok := OperationByName("Nope"); ok {
		t.Error("OperationByName(Nope) found")
	}
	if Operations[0].Name != "CreateIdentityPool" || Operations[len(Operations)-1].Name != "UpdateIdentityPool" {
		t.Error("Operations are not in model order")
	}
	if TargetPrefix != "AWSCognitoIdentityService" || APIVersion != "2014-06-30" {
		t.Errorf("TargetPrefix, APIVersion = %q, %q", TargetPrefix, APIVersion)
	}
}
