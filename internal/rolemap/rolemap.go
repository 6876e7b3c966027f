package rolemap

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Mapping types, ambiguous role resolutions and match types, as AWS spells them.
const (
	TypeToken = "Token"
	TypeRules = "Rules"

	ResolveAuthenticatedRole = "AuthenticatedRole"
	ResolveDeny              = "Deny"

	MatchEquals     = "Equals"
	MatchNotEqual   = "NotEqual"
	MatchStartsWith = "StartsWith"
	MatchContains   = "Contains"
)

// The user pool claims a Token mapping reads.
const (
	ClaimRoles         = "cognito:roles"
	ClaimPreferredRole = "cognito:preferred_role"
)

// Mapping is the role mapping of one provider.
type Mapping struct {
	Type                    string // TypeToken or TypeRules
	AmbiguousRoleResolution string // ResolveAuthenticatedRole or ResolveDeny
	Rules                   []Rule // for TypeRules, in order
}

// Rule is one rule of a Rules mapping.
type Rule struct {
	Claim, MatchType, Value, RoleARN string
}

// Input is everything the choice depends on.
type Input struct {
	// AuthenticatedRole is the pool's Roles["authenticated"], empty when unset.
	AuthenticatedRole string
	// Mapping is the role mapping of the login's provider; nil when it has none.
	Mapping *Mapping
	// Claims are the login token's claims as decoded from JSON: strings, []any or
	// []string, json.Number or float64, bool.
	Claims map[string]any
	// CustomRoleARN is GetCredentialsForIdentity's CustomRoleArn, empty when not given.
	CustomRoleARN string
	// SAMLRoles are the values of the assertion's
	// https://aws.amazon.com/SAML/Attributes/Role attribute ("roleArn,providerArn", in
	// either order); non-nil only for SAML logins.
	SAMLRoles []string
}

// Denied is returned when the mapping refuses the login.
type Denied struct {
	Reason string
}

func (e *Denied) Error() string { return "rolemap: denied: " + e.Reason }

// NoRole is returned when the pool's configuration leaves no role to use.
type NoRole struct {
	Reason string
}

func (e *NoRole) Error() string { return "rolemap: no role: " + e.Reason }

// Choose returns the role for an authenticated login, or a *Denied or *NoRole error.
func Choose(in Input) (string, error) {
	m := in.Mapping
	if m == nil {
		if in.SAMLRoles != nil {
			return chooseSAML(in)
		}
		return authenticated(in)
	}
	switch m.Type {
	case TypeToken:
		return chooseToken(in)
	case TypeRules:
		return chooseRules(in)
	}
	return "", &NoRole{Reason: "unknown role mapping type " + strconv.Quote(m.Type)}
}

func authenticated(in Input) (string, error) {
	if in.AuthenticatedRole == "" {
		return "", &NoRole{Reason: "the pool has no authenticated role"}
	}
	return in.AuthenticatedRole, nil
}

// ambiguous applies the mapping's AmbiguousRoleResolution.
func ambiguous(in Input, why string) (string, error) {
	if in.Mapping.AmbiguousRoleResolution == ResolveAuthenticatedRole {
		return authenticated(in)
	}
	return "", &Denied{Reason: why}
}

func chooseSAML(in Input) (string, error) {
	roles := samlRoleARNs(in.SAMLRoles)
	if in.CustomRoleARN != "" {
		if contains(roles, in.CustomRoleARN) {
			return in.CustomRoleARN, nil
		}
		return "", &Denied{Reason: "CustomRoleArn is not a role of the SAML assertion"}
	}
	if len(roles) == 1 {
		return roles[0], nil
	}
	return authenticated(in)
}

// samlRoleARNs extracts the role ARN of each "roleArn,providerArn" pair.
func samlRoleARNs(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if strings.Contains(part, ":role/") && !contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

func chooseToken(in Input) (string, error) {
	roles, present := tokenRoles(in.Claims[ClaimRoles])
	if !present && in.SAMLRoles != nil {
		roles = samlRoleARNs(in.SAMLRoles)
	}
	if in.CustomRoleARN != "" {
		if contains(roles, in.CustomRoleARN) {
			return in.CustomRoleARN, nil
		}
		return "", &Denied{Reason: "CustomRoleArn is not one of the token's roles"}
	}
	if pref, ok := in.Claims[ClaimPreferredRole].(string); ok && pref != "" {
		return pref, nil
	}
	switch len(roles) {
	case 1:
		return roles[0], nil
	case 0:
		return ambiguous(in, "the token names no role")
	}
	return ambiguous(in, "the token names several roles and no preferred role")
}

// tokenRoles reads cognito:roles: an array of strings or a comma-separated string.
func tokenRoles(v any) (roles []string, present bool) {
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !contains(roles, s) {
			roles = append(roles, s)
		}
	}
	switch v := v.(type) {
	case nil:
		return nil, false
	case string:
		for s := range strings.SplitSeq(v, ",") {
			add(s)
		}
	case []string:
		for _, s := range v {
			add(s)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return roles, true
}

func chooseRules(in Input) (string, error) {
	first := ""
	for i := range in.Mapping.Rules {
		r := &in.Mapping.Rules[i]
		if !matches(r, in.Claims) {
			continue
		}
		if in.CustomRoleARN == "" {
			return r.RoleARN, nil
		}
		if r.RoleARN == in.CustomRoleARN {
			return r.RoleARN, nil
		}
		if first == "" {
			first = r.RoleARN
		}
	}
	if first != "" {
		return first, nil
	}
	return ambiguous(in, "no rule matched")
}

func matches(r *Rule, claims map[string]any) bool {
	v, ok := claims[r.Claim]
	if !ok || v == nil {
		return false
	}
	var elems []any
	switch v := v.(type) {
	case []any:
		elems = v
	case []string:
		elems = make([]any, len(v))
		for i, s := range v {
			elems[i] = s
		}
	default:
		s, ok := scalar(v)
		return ok && matchOne(r.MatchType, s, r.Value)
	}
	if r.MatchType == MatchNotEqual {
		for _, e := range elems {
			if s, ok := scalar(e); ok && s == r.Value {
				return false
			}
		}
		return true
	}
	for _, e := range elems {
		if s, ok := scalar(e); ok && matchOne(r.MatchType, s, r.Value) {
			return true
		}
	}
	return false
}

func matchOne(matchType, s, value string) bool {
	switch matchType {
	case MatchEquals:
		return s == value
	case MatchNotEqual:
		return s != value
	case MatchStartsWith:
		return strings.HasPrefix(s, value)
	case MatchContains:
		return strings.Contains(s, value)
	}
	return false
}

// scalar is the string form of a string, number or boolean claim value.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
