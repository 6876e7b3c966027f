package api

import (
	"strings"
	"testing"
)

// patternRules are the model's rules with a pattern.
var patternRules = map[string]*strRule{
	"AccountId": &ruleAccountId, "ClaimName": &ruleClaimName,
	"CognitoIdentityProviderClientId": &ruleCognitoIdentityProviderClientId,
	"CognitoIdentityProviderName":     &ruleCognitoIdentityProviderName,
	"DeveloperProviderName":           &ruleDeveloperProviderName,
	"IdentityId":                      &ruleIdentityId, "IdentityPoolId": &ruleIdentityPoolId,
	"IdentityPoolName": &ruleIdentityPoolName, "IdentityProviderId": &ruleIdentityProviderId,
	"PaginationKey": &rulePaginationKey, "RoleType": &ruleRoleType,
}

// The patterns of the hot paths scan; those a byte cannot decide go to regexp.
func TestPatternScans(t *testing.T) {
	for name, scans := range map[string]bool{
		"AccountId": true, "IdentityId": true, "IdentityPoolId": true, "PaginationKey": true,
		"IdentityPoolName": true, "DeveloperProviderName": true, "CognitoIdentityProviderName": true,
		"ClaimName": false, "RoleType": false, // \p{L} and friends; an optional group
	} {
		if got := patternRules[name].re.steps != nil; got != scans {
			t.Errorf("%s (%s): scans %v, want %v", name, patternRules[name].pattern, got, scans)
		}
	}
	for _, expr := range []string{
		`^(?:[\w:]+:[0-9]+)$`, // the run could take the literal: greedy would be wrong
		`^(?:[a-f]+[0-9a]+)$`, // overlapping runs
		`^(?:[\w\x{e9}]+)$`,   // takes some non-ASCII runes only
		`^(?:(?i)abc)$`,       // case folding
		`^(?:[a-z]*)$`,        // not one-or-more
		`^(?:[a-z]+)`,         // not anchored at the end
	} {
		if compilePattern(expr).steps != nil {
			t.Errorf("%s scans", expr)
		}
	}
}

func TestPatternMatches(t *testing.T) {
	for _, tc := range []struct {
		rule *strRule
		in   string
		want bool
	}{
		{&ruleIdentityPoolId, "us-east-1:0b8e6f4c-5a2d-4f1e-8c3b-9a7d6e5f4c3b", true},
		{&ruleIdentityPoolId, "us_east_1:abc", true},
		{&ruleIdentityPoolId, "us-east-1:0B8E", false}, // upper-case hex
		{&ruleIdentityPoolId, "us-east-1:", false},
		{&ruleIdentityPoolId, ":abc", false},
		{&ruleIdentityPoolId, "us-east-1:abc:def", false},
		{&ruleIdentityPoolId, "us-east-1:abc\n", false},
		{&ruleIdentityPoolId, "us-éast-1:abc", false}, // \w is ASCII
		{&ruleIdentityPoolId, "", false},
		{&ruleAccountId, "123456789012", true},
		{&ruleAccountId, "12345a", false},
		{&ruleAccountId, "١٢٣", false}, // \d is ASCII
		{&rulePaginationKey, "abc", true},
		{&rulePaginationKey, "abc def", false},
		{&rulePaginationKey, "abc\x0bdef", false},
		{&rulePaginationKey, "ünïcödé", true},
		{&rulePaginationKey, "\xff\xfe", true}, // invalid UTF-8 reads as U+FFFD, not a space
		{&ruleIdentityPoolName, "my pool+=,.@-_1", true},
		{&ruleIdentityPoolName, "my pool!", false},
	} {
		if got := tc.rule.re.MatchString(tc.in); got != tc.want {
			t.Errorf("%s on %q: %v, want %v", tc.rule.pattern, tc.in, got, tc.want)
		}
		if got := tc.rule.re.re.MatchString(tc.in); got != tc.want {
			t.Errorf("regexp %s on %q: %v, want %v (the test is wrong)", tc.rule.pattern, tc.in, got, tc.want)
		}
	}
}

// FuzzPattern checks that every model pattern answers as regexp does.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"us-east-1:0b8e6f4c-5a2d", "123", "a b", "x\x0b", "é", "\xff", "login.idpool.test", "graph.facebook.com", "un" + strings.Repeat("a", 3)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, r := range patternRules {
			if got, want := r.re.MatchString(s), r.re.re.MatchString(s); got != want {
				t.Fatalf("%s (%s) on %q: %v, regexp says %v", name, r.pattern, s, got, want)
			}
		}
	})
}
