package rolemap

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

const (
	auth  = "arn:aws:iam::123456789012:role/auth"
	admin = "arn:aws:iam::123456789012:role/admin"
	dev   = "arn:aws:iam::123456789012:role/dev"
	other = "arn:aws:iam::123456789012:role/other"
	saml  = "arn:aws:iam::123456789012:saml-provider/corp"
)

type want int

const (
	ok want = iota
	denied
	noRole
)

func token(res string) *Mapping { return &Mapping{Type: TypeToken, AmbiguousRoleResolution: res} }

func rules(res string, rs ...Rule) *Mapping {
	return &Mapping{Type: TypeRules, AmbiguousRoleResolution: res, Rules: rs}
}

func TestChoose(t *testing.T) {
	groupsAdmin := Rule{Claim: "cognito:groups", MatchType: MatchEquals, Value: "admins", RoleARN: admin}
	groupsDev := Rule{Claim: "cognito:groups", MatchType: MatchEquals, Value: "devs", RoleARN: dev}
	cases := []struct {
		name string
		in   Input
		want want
		role string
	}{
		// No mapping.
		{"no mapping", Input{AuthenticatedRole: auth}, ok, auth},
		{"no mapping ignores CustomRoleArn", Input{AuthenticatedRole: auth, CustomRoleARN: admin}, ok, auth},
		{"no mapping no role", Input{}, noRole, ""},

		// SAML without mapping.
		{"saml single role", Input{AuthenticatedRole: auth, SAMLRoles: []string{admin + "," + saml}}, ok, admin},
		{"saml provider first", Input{AuthenticatedRole: auth, SAMLRoles: []string{saml + ", " + admin}}, ok, admin},
		{"saml custom picks", Input{AuthenticatedRole: auth, CustomRoleARN: dev, SAMLRoles: []string{admin + "," + saml, dev + "," + saml}}, ok, dev},
		{"saml custom not in assertion", Input{AuthenticatedRole: auth, CustomRoleARN: other, SAMLRoles: []string{admin + "," + saml}}, denied, ""},
		{"saml several without custom", Input{AuthenticatedRole: auth, SAMLRoles: []string{admin + "," + saml, dev + "," + saml}}, ok, auth},
		{"saml several no auth role", Input{SAMLRoles: []string{admin + "," + saml, dev + "," + saml}}, noRole, ""},
		{"saml no role attribute", Input{AuthenticatedRole: auth, SAMLRoles: []string{}}, ok, auth},
		{"saml duplicate pairs are one role", Input{SAMLRoles: []string{admin + "," + saml, saml + "," + admin}}, ok, admin},

		// Token.
		{"token single role", Input{Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: []any{admin}}}, ok, admin},
		{"token []string", Input{Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: []string{admin}}}, ok, admin},
		{"token comma string single", Input{Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: admin}}, ok, admin},
		{"token comma string custom", Input{Mapping: token(ResolveDeny), CustomRoleARN: dev, Claims: map[string]any{ClaimRoles: admin + ", " + dev}}, ok, dev},
		{"token custom in roles", Input{Mapping: token(ResolveDeny), CustomRoleARN: dev, Claims: map[string]any{ClaimRoles: []any{admin, dev}, ClaimPreferredRole: admin}}, ok, dev},
		{"token custom not in roles", Input{AuthenticatedRole: auth, Mapping: token(ResolveAuthenticatedRole), CustomRoleARN: other, Claims: map[string]any{ClaimRoles: []any{admin, dev}}}, denied, ""},
		{"token custom without roles", Input{AuthenticatedRole: auth, Mapping: token(ResolveAuthenticatedRole), CustomRoleARN: other}, denied, ""},
		{"token preferred", Input{Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: []any{admin, dev}, ClaimPreferredRole: dev}}, ok, dev},
		{"token several ambiguous deny", Input{AuthenticatedRole: auth, Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: []any{admin, dev}}}, denied, ""},
		{"token several ambiguous auth", Input{AuthenticatedRole: auth, Mapping: token(ResolveAuthenticatedRole), Claims: map[string]any{ClaimRoles: []any{admin, dev}}}, ok, auth},
		{"token several ambiguous auth unset", Input{Mapping: token(ResolveAuthenticatedRole), Claims: map[string]any{ClaimRoles: []any{admin, dev}}}, noRole, ""},
		{"token none deny", Input{AuthenticatedRole: auth, Mapping: token(ResolveDeny), Claims: map[string]any{"sub": "x"}}, denied, ""},
		{"token none auth", Input{AuthenticatedRole: auth, Mapping: token(ResolveAuthenticatedRole)}, ok, auth},
		{"token empty string roles", Input{AuthenticatedRole: auth, Mapping: token(ResolveAuthenticatedRole), Claims: map[string]any{ClaimRoles: " , "}}, ok, auth},
		{"token duplicate roles are one", Input{Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: []any{admin, admin}}}, ok, admin},
		{"token saml roles", Input{Mapping: token(ResolveDeny), SAMLRoles: []string{admin + "," + saml}}, ok, admin},
		{"token claim beats saml", Input{Mapping: token(ResolveDeny), Claims: map[string]any{ClaimRoles: []any{dev}}, SAMLRoles: []string{admin + "," + saml}}, ok, dev},
		{"unknown resolution denies", Input{AuthenticatedRole: auth, Mapping: token("")}, denied, ""},
		{"unknown type", Input{AuthenticatedRole: auth, Mapping: &Mapping{Type: "Magic"}}, noRole, ""},

		// Rules.
		{"rules first match wins", Input{Mapping: rules(ResolveDeny, groupsAdmin, groupsDev), Claims: map[string]any{"cognito:groups": []any{"devs", "admins"}}}, ok, admin},
		{"rules second rule", Input{Mapping: rules(ResolveDeny, groupsAdmin, groupsDev), Claims: map[string]any{"cognito:groups": []any{"devs"}}}, ok, dev},
		{"rules custom overrides order", Input{CustomRoleARN: dev, Mapping: rules(ResolveDeny, groupsAdmin, groupsDev), Claims: map[string]any{"cognito:groups": []any{"devs", "admins"}}}, ok, dev},
		{"rules custom of non-matching rule ignored", Input{CustomRoleARN: dev, Mapping: rules(ResolveDeny, groupsAdmin, groupsDev), Claims: map[string]any{"cognito:groups": []any{"admins"}}}, ok, admin},
		{"rules custom unknown ignored", Input{CustomRoleARN: other, Mapping: rules(ResolveDeny, groupsAdmin), Claims: map[string]any{"cognito:groups": []string{"admins"}}}, ok, admin},
		{"rules no match deny", Input{AuthenticatedRole: auth, Mapping: rules(ResolveDeny, groupsAdmin), Claims: map[string]any{"cognito:groups": []any{"users"}}}, denied, ""},
		{"rules no match auth", Input{AuthenticatedRole: auth, Mapping: rules(ResolveAuthenticatedRole, groupsAdmin), Claims: map[string]any{}}, ok, auth},
		{"rules no match auth unset", Input{Mapping: rules(ResolveAuthenticatedRole, groupsAdmin)}, noRole, ""},
		{"rules custom no match deny", Input{CustomRoleARN: admin, Mapping: rules(ResolveDeny, groupsAdmin)}, denied, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Choose(tc.in)
			check(t, got, err, tc.want, tc.role)
		})
	}
}

func check(t *testing.T, got string, err error, w want, role string) {
	t.Helper()
	var d *Denied
	var n *NoRole
	switch w {
	case ok:
		if err != nil || got != role {
			t.Fatalf("got %q, %v; want %q", got, err, role)
		}
	case denied:
		if !errors.As(err, &d) || got != "" {
			t.Fatalf("got %q, %v; want *Denied", got, err)
		}
	case noRole:
		if !errors.As(err, &n) || got != "" {
			t.Fatalf("got %q, %v; want *NoRole", got, err)
		}
	}
}

func TestMatchTypes(t *testing.T) {
	cases := []struct {
		name      string
		claim     any // absentClaim for a missing claim
		matchType string
		value     string
		want      bool
	}{
		{"equals", "admin", MatchEquals, "admin", true},
		{"equals is case-sensitive", "Admin", MatchEquals, "admin", false},
		{"equals other", "user", MatchEquals, "admin", false},
		{"not equal", "user", MatchNotEqual, "admin", true},
		{"not equal same", "admin", MatchNotEqual, "admin", false},
		{"not equal missing is skipped", absentClaim, MatchNotEqual, "admin", false},
		{"not equal null is skipped", nil, MatchNotEqual, "admin", false},
		{"starts with", "admin-eu", MatchStartsWith, "admin", true},
		{"starts with no", "eu-admin", MatchStartsWith, "admin", false},
		{"contains", "eu-admin-1", MatchContains, "admin", true},
		{"contains no", "eu-user-1", MatchContains, "admin", false},
		{"equals missing", absentClaim, MatchEquals, "admin", false},
		{"unknown match type", "admin", "Like", "admin", false},
		{"array any equals", []any{"users", "admin"}, MatchEquals, "admin", true},
		{"array none equals", []any{"users"}, MatchEquals, "admin", false},
		{"string array", []string{"users", "admin"}, MatchEquals, "admin", true},
		{"array starts with", []any{"x", "admin-eu"}, MatchStartsWith, "admin", true},
		{"array contains", []any{"x", "eu-admin"}, MatchContains, "admin", true},
		{"array not equal when no element equals", []any{"users", "devs"}, MatchNotEqual, "admin", true},
		{"array not equal when an element equals", []any{"users", "admin"}, MatchNotEqual, "admin", false},
		{"string array not equal", []string{"admin"}, MatchNotEqual, "admin", false},
		{"empty array not equal", []any{}, MatchNotEqual, "admin", true},
		{"empty array equals", []any{}, MatchEquals, "admin", false},
		{"json number", json.Number("42"), MatchEquals, "42", true},
		{"float", float64(42), MatchEquals, "42", true},
		{"float fraction", 2.5, MatchEquals, "2.5", true},
		{"int", 7, MatchEquals, "7", true},
		{"int64", int64(7), MatchStartsWith, "7", true},
		{"float32", float32(1.5), MatchEquals, "1.5", true},
		{"bool true", true, MatchEquals, "true", true},
		{"bool false not equal", false, MatchNotEqual, "true", true},
		{"array of numbers", []any{json.Number("1"), true}, MatchEquals, "true", true},
		{"object never matches", map[string]any{"a": "admin"}, MatchContains, "admin", false},
		{"object never matches not equal", map[string]any{"a": "b"}, MatchNotEqual, "admin", false},
		{"nested array element ignored", []any{[]any{"admin"}}, MatchEquals, "admin", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims := map[string]any{"other": "admin"}
			if tc.claim != absentClaim {
				claims["c"] = tc.claim
			}
			in := Input{
				AuthenticatedRole: auth,
				Mapping:           rules(ResolveAuthenticatedRole, Rule{Claim: "c", MatchType: tc.matchType, Value: tc.value, RoleARN: admin}),
				Claims:            claims,
			}
			got, err := Choose(in)
			if err != nil {
				t.Fatal(err)
			}
			if (got == admin) != tc.want {
				t.Fatalf("matched = %v, want %v", got == admin, tc.want)
			}
		})
	}
}

type absent struct{}

var absentClaim any = absent{}

func TestErrors(t *testing.T) {
	if (&Denied{Reason: "x"}).Error() != "rolemap: denied: x" || (&NoRole{Reason: "y"}).Error() != "rolemap: no role: y" {
		t.Fatal("error strings")
	}
}

func BenchmarkChooseRules(b *testing.B) {
	rs := make([]Rule, 25)
	for i := range rs {
		rs[i] = Rule{Claim: "cognito:groups", MatchType: MatchEquals, Value: fmt.Sprintf("group-%d", i), RoleARN: fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", i)}
	}
	in := Input{
		AuthenticatedRole: auth,
		Mapping:           rules(ResolveDeny, rs...),
		Claims:            map[string]any{"sub": "u", "cognito:groups": []any{"a", "b", "c", "group-24"}, "email": "u@example.com"},
	}
	b.ReportAllocs()
	for b.Loop() {
		role, err := Choose(in)
		if err != nil || role != rs[24].RoleARN {
			b.Fatal(role, err)
		}
	}
}
