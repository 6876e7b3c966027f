// Package trust evaluates an IAM role's trust policy (its AssumeRolePolicyDocument) for
// the web identities of Cognito identity pools: may identity Sub of pool Aud, logged in
// through AMR, assume the role with sts:AssumeRoleWithWebIdentity (and tag the session)?
// It depends on the standard library only.
//
// Only what a Cognito trust policy needs is understood, and evaluation fails closed:
//
//   - An explicit Deny that applies wins over every Allow.
//   - An Allow grants only when its Principal.Federated names
//     "cognito-identity.amazonaws.com", its Action covers the action (compared
//     case-insensitively, with * and ? wildcards, so "sts:*" and "*" cover everything),
//     and every one of its conditions holds.
//   - A condition with an operator or key this package does not know cannot be evaluated.
//     It never holds in an Allow (the statement grants nothing) and always holds in a Deny
//     (the statement applies). The same goes for NotPrincipal and NotAction: an Allow
//     that uses them grants nothing, a Deny that uses them applies.
//   - A Deny whose Principal is "*" or names the Cognito federated principal applies to
//     web identities; a Deny naming only other principals does not.
//
// Condition keys are cognito-identity.amazonaws.com:aud (the identity pool ID),
// :sub (the identity ID) and :amr (the authentication methods), matched
// case-insensitively. The operators are StringEquals, StringNotEquals, StringLike,
// StringNotLike and the ForAnyValue: and ForAllValues: forms of StringEquals and
// StringLike. A condition value is a string or an array of them (numbers and booleans
// are taken as their JSON text); a single-valued operator holds when the request's value
// matches any of them. String comparisons are case-sensitive, as IAM's are.
//
// amr is multi-valued. A single-valued operator (StringEquals, StringLike) applied to it
// holds when any amr value matches; StringNotEquals and StringNotLike are their negation
// (no amr value matches, which holds for an empty amr). ForAnyValue holds when some
// request value matches (never for an empty set); ForAllValues holds when every request
// value matches (always for an empty set, as in IAM).
package trust

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Actions a Cognito web identity needs.
const (
	ActionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"
	ActionTagSession                = "sts:TagSession"
	// CognitoPrincipal is the federated principal of Cognito identity pools.
	CognitoPrincipal = "cognito-identity.amazonaws.com"
)

// The condition keys, lower-cased.
const (
	keyAud = "cognito-identity.amazonaws.com:aud"
	keySub = "cognito-identity.amazonaws.com:sub"
	keyAMR = "cognito-identity.amazonaws.com:amr"
)

// Request is what is being asked of a role.
type Request struct {
	Action string   // "sts:AssumeRoleWithWebIdentity"; TagSession is checked separately
	Aud    string   // identity pool ID (cognito-identity.amazonaws.com:aud)
	Sub    string   // identity ID (cognito-identity.amazonaws.com:sub)
	AMR    []string // cognito-identity.amazonaws.com:amr values
	// Tagging says principal tags are passed: the policy must also allow sts:TagSession.
	Tagging bool
}

// Policy is a parsed trust policy. It is immutable and safe for concurrent use.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"
	// AnyPrincipal is set for "Principal": "*".
	AnyPrincipal bool
	Federated    []string
	// Negated is set when the statement uses NotPrincipal or NotAction, which this
	// package does not evaluate (see the package comment).
	Negated    bool
	Actions    []string
	Conditions []Condition
}

// Condition is one operator and key of a statement's Condition block.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// ErrMalformed is wrapped by every error of Parse.
var ErrMalformed = errors.New("trust: malformed policy")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

// Parse parses a JSON trust policy. Statement may be an object or an array of them;
// Action and Principal.Federated a string or an array of strings.
func Parse(doc string) (*Policy, error) {
	var raw rawPolicy
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, malformed("%v", err)
	}
	switch raw.Version {
	case "", "2012-10-17", "2008-10-17":
	default:
		return nil, malformed("unknown Version %q", raw.Version)
	}
	var stmts []rawStatement
	switch s := bytes.TrimSpace(raw.Statement); {
	case len(s) == 0 || bytes.Equal(s, []byte("null")):
		return nil, malformed("no Statement")
	case s[0] == '[':
		if err := json.Unmarshal(s, &stmts); err != nil {
			return nil, malformed("Statement: %v", err)
		}
	default:
		var one rawStatement
		if err := json.Unmarshal(s, &one); err != nil {
			return nil, malformed("Statement: %v", err)
		}
		stmts = []rawStatement{one}
	}
	if len(stmts) == 0 {
		return nil, malformed("no Statement")
	}
	p := &Policy{Version: raw.Version, Statements: make([]Statement, 0, len(stmts))}
	for i, rs := range stmts {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, malformed("statement %d: %s", i+1, strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "))
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(rs rawStatement) (Statement, error) {
	st := Statement{Sid: rs.Sid, Effect: rs.Effect}
	if rs.Effect != "Allow" && rs.Effect != "Deny" {
		return st, malformed("Effect must be Allow or Deny")
	}
	hasP, hasNP := present(rs.Principal), present(rs.NotPrincipal)
	if hasP == hasNP {
		return st, malformed("need exactly one of Principal and NotPrincipal")
	}
	hasA, hasNA := present(rs.Action), present(rs.NotAction)
	if hasA == hasNA {
		return st, malformed("need exactly one of Action and NotAction")
	}
	st.Negated = hasNP || hasNA
	if hasP {
		if err := parsePrincipal(rs.Principal, &st); err != nil {
			return st, err
		}
	}
	actionField := rs.Action
	if hasNA {
		actionField = rs.NotAction
	}
	actions, err := stringOrList(actionField)
	if err != nil || len(actions) == 0 {
		return st, malformed("Action must be a string or a non-empty array of strings")
	}
	st.Actions = actions
	for op, keys := range rs.Condition {
		for key, rv := range keys {
			vals, err := conditionValues(rv)
			if err != nil {
				return st, malformed("Condition %s %s: %v", op, key, err)
			}
			st.Conditions = append(st.Conditions, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	slices.SortFunc(st.Conditions, func(a, b Condition) int {
		return cmp.Or(cmp.Compare(a.Operator, b.Operator), cmp.Compare(a.Key, b.Key))
	})
	return st, nil
}

func present(r json.RawMessage) bool {
	r = bytes.TrimSpace(r)
	return len(r) > 0 && !bytes.Equal(r, []byte("null"))
}

func parsePrincipal(r json.RawMessage, st *Statement) error {
	var s string
	if json.Unmarshal(r, &s) == nil {
		if s != "*" {
			return malformed(`Principal must be "*" or an object`)
		}
		st.AnyPrincipal = true
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil || len(m) == 0 {
		return malformed("Principal must be \"*\" or a non-empty object")
	}
	for k, v := range m {
		vals, err := stringOrList(v)
		if err != nil || len(vals) == 0 {
			return malformed("Principal %s must be a string or a non-empty array of strings", k)
		}
		if k == "Federated" {
			st.Federated = vals
		}
		if k == "AWS" && len(vals) == 1 && vals[0] == "*" {
			st.AnyPrincipal = true
		}
	}
	return nil
}

func stringOrList(r json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(r, &l); err != nil {
		return nil, err
	}
	return l, nil
}

// conditionValues reads a condition's value: a scalar or an array of scalars.
func conditionValues(r json.RawMessage) ([]string, error) {
	r = bytes.TrimSpace(r)
	if len(r) > 0 && r[0] == '[' {
		var l []json.RawMessage
		if err := json.Unmarshal(r, &l); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(r)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(r json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(r, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, float64:
		return string(bytes.TrimSpace(r)), nil
	}
	return "", errors.New("value must be a string, number, boolean or an array of them")
}

// Allows reports whether the policy lets r's identity perform r.Action, and also
// sts:TagSession when r.Tagging is set.
func (p *Policy) Allows(r Request) bool {
	if p == nil {
		return false
	}
	if !p.allows(r, r.Action) {
		return false
	}
	return !r.Tagging || p.allows(r, ActionTagSession)
}

func (p *Policy) allows(r Request, action string) bool {
	allowed := false
	for i := range p.Statements {
		st := &p.Statements[i]
		switch st.Effect {
		case "Deny":
			if st.denies(r, action) {
				return false
			}
		case "Allow":
			if !allowed && st.grants(r, action) {
				allowed = true
			}
		}
	}
	return allowed
}

func (st *Statement) grants(r Request, action string) bool {
	if st.Negated || !st.federatedCognito() || !st.coversAction(action) {
		return false
	}
	for _, c := range st.Conditions {
		if res := c.eval(r); res != holds {
			return false
		}
	}
	return true
}

func (st *Statement) denies(r Request, action string) bool {
	if st.Negated {
		return true // fail closed
	}
	if !st.AnyPrincipal && !st.federatedCognito() {
		return false
	}
	if !st.coversAction(action) {
		return false
	}
	for _, c := range st.Conditions {
		if res := c.eval(r); res == fails {
			return false
		}
	}
	return true // every condition holds or cannot be evaluated
}

func (st *Statement) federatedCognito() bool {
	for _, f := range st.Federated {
		if strings.EqualFold(f, CognitoPrincipal) {
			return true
		}
	}
	return false
}

func (st *Statement) coversAction(action string) bool {
	a := strings.ToLower(action)
	for _, pat := range st.Actions {
		if Match(strings.ToLower(pat), a) {
			return true
		}
	}
	return false
}

type result int

const (
	fails result = iota
	holds
	unknown // operator or key not understood
)

func boolResult(b bool) result {
	if b {
		return holds
	}
	return fails
}

// eval evaluates one condition against r.
func (c Condition) eval(r Request) result {
	var vals []string
	switch strings.ToLower(c.Key) {
	case keyAud:
		vals = []string{r.Aud}
	case keySub:
		vals = []string{r.Sub}
	case keyAMR:
		vals = r.AMR
	default:
		return unknown
	}
	op := strings.ToLower(c.Operator)
	set := ""
	if rest, ok := strings.CutPrefix(op, "foranyvalue:"); ok {
		set, op = "any", rest
	} else if rest, ok := strings.CutPrefix(op, "forallvalues:"); ok {
		set, op = "all", rest
	}
	var match func(pattern, value string) bool
	negate := false
	switch op {
	case "stringequals":
		match = func(p, v string) bool { return p == v }
	case "stringlike":
		match = Match
	case "stringnotequals":
		match, negate = func(p, v string) bool { return p == v }, true
	case "stringnotlike":
		match, negate = Match, true
	default:
		return unknown
	}
	if set != "" && negate {
		return unknown // ForAnyValue:StringNotEquals and the like are not supported
	}
	matchesAny := func(v string) bool {
		for _, p := range c.Values {
			if match(p, v) {
				return true
			}
		}
		return false
	}
	switch set {
	case "all":
		for _, v := range vals {
			if !matchesAny(v) {
				return fails
			}
		}
		return holds
	default: // "any", and single-valued operators: some request value matches
		some := false
		for _, v := range vals {
			if matchesAny(v) {
				some = true
				break
			}
		}
		return boolResult(some != negate)
	}
}

// Match reports whether s matches pattern, in which * stands for any sequence of
// characters (possibly empty) and ? for exactly one; every other character stands for
// itself. Matching is case-sensitive.
func Match(pattern, s string) bool {
	// Iterative matching with one backtrack point: linear-ish and no recursion, so a
	// pattern of many stars cannot blow up.
	px, sx := 0, 0
	starP, starS := -1, -1
	for sx < len(s) {
		if px < len(pattern) {
			switch pc, pw := utf8.DecodeRuneInString(pattern[px:]); pc {
			case '*':
				starP, starS = px, sx
				px += pw
				continue
			case '?':
				_, sw := utf8.DecodeRuneInString(s[sx:])
				px += pw
				sx += sw
				continue
			default:
				sc, sw := utf8.DecodeRuneInString(s[sx:])
				if pc == sc && pattern[px:px+pw] == s[sx:sx+sw] {
					px += pw
					sx += sw
					continue
				}
			}
		}
		if starP >= 0 {
			_, sw := utf8.DecodeRuneInString(s[starS:])
			starS += sw
			px, sx = starP+1, starS
			continue
		}
		return false
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
