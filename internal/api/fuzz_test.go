package api

import (
	"encoding/json"
	"regexp"
	"testing"
)

// inputs maps every operation to a constructor of its input type.
var inputs = map[string]func() validator{
	"CreateIdentityPool":                 func() validator { return new(CreateIdentityPoolInput) },
	"DeleteIdentities":                   func() validator { return new(DeleteIdentitiesInput) },
	"DeleteIdentityPool":                 func() validator { return new(DeleteIdentityPoolInput) },
	"DescribeIdentity":                   func() validator { return new(DescribeIdentityInput) },
	"DescribeIdentityPool":               func() validator { return new(DescribeIdentityPoolInput) },
	"GetCredentialsForIdentity":          func() validator { return new(GetCredentialsForIdentityInput) },
	"GetId":                              func() validator { return new(GetIdInput) },
	"GetIdentityPoolRoles":               func() validator { return new(GetIdentityPoolRolesInput) },
	"GetOpenIdToken":                     func() validator { return new(GetOpenIdTokenInput) },
	"GetOpenIdTokenForDeveloperIdentity": func() validator { return new(GetOpenIdTokenForDeveloperIdentityInput) },
	"GetPrincipalTagAttributeMap":        func() validator { return new(GetPrincipalTagAttributeMapInput) },
	"ListIdentities":                     func() validator { return new(ListIdentitiesInput) },
	"ListIdentityPools":                  func() validator { return new(ListIdentityPoolsInput) },
	"ListTagsForResource":                func() validator { return new(ListTagsForResourceInput) },
	"LookupDeveloperIdentity":            func() validator { return new(LookupDeveloperIdentityInput) },
	"MergeDeveloperIdentities":           func() validator { return new(MergeDeveloperIdentitiesInput) },
	"SetIdentityPoolRoles":               func() validator { return new(SetIdentityPoolRolesInput) },
	"SetPrincipalTagAttributeMap":        func() validator { return new(SetPrincipalTagAttributeMapInput) },
	"TagResource":                        func() validator { return new(TagResourceInput) },
	"UnlinkDeveloperIdentity":            func() validator { return new(UnlinkDeveloperIdentityInput) },
	"UnlinkIdentity":                     func() validator { return new(UnlinkIdentityInput) },
	"UntagResource":                      func() validator { return new(UntagResourceInput) },
	"UpdateIdentityPool":                 func() validator { return new(IdentityPool) },
}

func TestInputsCoverOperations(t *testing.T) {
	if len(inputs) != len(Operations) {
		t.Fatalf("%d input constructors for %d operations", len(inputs), len(Operations))
	}
	for _, op := range Operations {
		if inputs[op.Name] == nil {
			t.Errorf("no input constructor for %s", op.Name)
		}
	}
}

var messageRE = regexp.MustCompile(`^(1 validation error detected: |[02-9]\d* validation errors detected: |1\d+ validation errors detected: )Value (null|'(?s:.*)') at '[^']+' failed to satisfy constraint: `)

func FuzzDecodeValidate(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`null`,
		`{"IdentityPoolId":"us-east-2:mock","MaxResults":0}`,
		`{"IdentityPoolName":"pool","AllowUnauthenticatedIdentities":true,"CognitoIdentityProviders":[{"ProviderName":"p","ClientId":"bad id"},null]}`,
		`{"IdentityPoolId":"us-east-1:abc","Roles":{"authenticated":"arn:aws:iam::123456789012:role/a"},"RoleMappings":{"graph.facebook.com":{"Type":"Rules","RulesConfiguration":{"Rules":[{"Claim":"c","MatchType":"Like"}]}},"x.y":null}}`,
		`{"IdentityIdsToDelete":["us-east-1:abc","bad",null]}`,
		`{"ResourceArn":"arn","Tags":{"":"v"},"TagKeys":[""]}`,
		`{"IdentityId":"us-east-1:abc","Logins":{"graph.facebook.com":""},"LoginsToRemove":[]}`,
		`{"TokenDuration":86401,"PrincipalTags":{"k":""},"NextToken":"a\u000bb"}`,
		`{"IdentityPoolName":"\ud83d\ude00","MaxResults":2147483647}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, op := range Operations {
			in := inputs[op.Name]()
			_ = json.Unmarshal(data, in) // a partial decode is validated too
			err := in.Validate()
			if err == nil {
				continue
			}
			msg := err.Error()
			if msg == "" {
				t.Fatalf("%s: empty error message", op.Name)
			}
			if !messageRE.MatchString(msg) {
				t.Fatalf("%s: malformed message %q", op.Name, msg)
			}
			if again := in.Validate(); again == nil || again.Error() != msg {
				t.Fatalf("%s: Validate is not deterministic: %q then %v", op.Name, msg, again)
			}
		}
	})
}
