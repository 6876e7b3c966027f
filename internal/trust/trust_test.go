package trust

import (
	"errors"
	"testing"
)

const pool = "us-east-1:12345678-1234-1234-1234-123456789012"

// awsDoc is AWS's documented trust policy for a Cognito authenticated role.
const awsDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`

func req(amr ...string) Request {
	return Request{Action: ActionAssumeRoleWithWebIdentity, Aud: pool, Sub: "us-east-1:aaaaaaaa-0000-0000-0000-000000000001", AMR: amr}
}

func TestAllows(t *testing.T) {
	authAMR := []string{"authenticated", "cognito-idp.us-east-1.amazonaws.com/us-east-1_X", "cognito-idp.us-east-1.amazonaws.com/us-east-1_X:CognitoSignIn:sub"}
	withAud := func(r Request, aud string) Request { r.Aud = aud; return r }
	withAction := func(r Request, a string) Request { r.Action = a; return r }
	tagging := func(r Request) Request { r.Tagging = true; return r }
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":` + s + `}` }
	const allowBase = `"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"`
	cases := []struct {
		name string
		doc  string
		r    Request
		want bool
	}{
		{"aws doc authenticated", awsDoc, req(authAMR...), true},
		{"aws doc authenticated tagging", awsDoc, tagging(req(authAMR...)), true},
		{"aws doc unauthenticated", awsDoc, req("unauthenticated"), false},
		{"aws doc no amr", awsDoc, req(), false},
		{"aws doc other pool", awsDoc, withAud(req("authenticated"), "us-east-1:other"), false},
		{"aws doc other action", awsDoc, withAction(req("authenticated"), "sts:AssumeRole"), false},
		{"action case-insensitive", awsDoc, withAction(req("authenticated"), "STS:assumerolewithwebidentity"), true},
		{"no conditions", stmt(`{` + allowBase + `}`), req(), true},
		{"statement as object", stmt(`{` + allowBase + `}`), req("x"), true},
		{"tagging not allowed", stmt(`{` + allowBase + `}`), tagging(req()), false},
		{"sts:*", stmt(`{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:*"}`), tagging(req()), true},
		{"*", stmt(`{"Effect":"Allow","Principal":{"Federated":["accounts.google.com","cognito-identity.amazonaws.com"]},"Action":"*"}`), req(), true},
		{"other federated principal", stmt(`{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"*"}`), req(), false},
		{"principal star does not allow", stmt(`{"Effect":"Allow","Principal":"*","Action":"*"}`), req(), false},
		{"AWS principal", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"*"}`), req(), false},
		{"explicit deny wins", stmt(`[{` + allowBase + `},{"Effect":"Deny","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:*"}]`), req(), false},
		{"deny principal star", stmt(`[{` + allowBase + `},{"Effect":"Deny","Principal":"*","Action":"*"}]`), req(), false},
		{"deny other principal", stmt(`[{` + allowBase + `},{"Effect":"Deny","Principal":{"AWS":"*x"},"Action":"*"}]`), req(), true},
		{"deny with failing condition", stmt(`[{` + allowBase + `},{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"nope"}}}]`), req(), true},
		{"deny only tagsession", stmt(`[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:*"},{"Effect":"Deny","Principal":"*","Action":"sts:TagSession"}]`), tagging(req()), false},
		{"deny unknown operator applies", stmt(`[{` + allowBase + `},{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]`), req(), false},
		{"deny NotAction applies", stmt(`[{` + allowBase + `},{"Effect":"Deny","Principal":"*","NotAction":"s3:*"}]`), req(), false},
		{"allow NotAction grants nothing", stmt(`{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"NotAction":"s3:*"}`), req(), false},
		{"unknown operator fails", stmt(`{` + allowBase + `,"Condition":{"StringEqualsIgnoreCase":{"cognito-identity.amazonaws.com:aud":"` + pool + `"}}}`), req(), false},
		{"unknown key fails", stmt(`{` + allowBase + `,"Condition":{"StringEquals":{"aws:userid":"x"}}}`), req(), false},
		{"key case-insensitive", stmt(`{` + allowBase + `,"Condition":{"StringEquals":{"Cognito-Identity.AmazonAWS.com:AUD":"` + pool + `"}}}`), req(), true},
		{"value case-sensitive", stmt(`{` + allowBase + `,"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"US-EAST-1:12345678-1234-1234-1234-123456789012"}}}`), req(), false},
		{"value array any", stmt(`{` + allowBase + `,"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":["a","` + pool + `"]}}}`), req(), true},
		{"StringNotEquals holds", stmt(`{` + allowBase + `,"Condition":{"StringNotEquals":{"cognito-identity.amazonaws.com:aud":["a","b"]}}}`), req(), true},
		{"StringNotEquals fails", stmt(`{` + allowBase + `,"Condition":{"StringNotEquals":{"cognito-identity.amazonaws.com:aud":["a","` + pool + `"]}}}`), req(), false},
		{"StringLike sub", stmt(`{` + allowBase + `,"Condition":{"StringLike":{"cognito-identity.amazonaws.com:sub":"us-east-1:aaaaaaaa-*-00000000000?"}}}`), req(), true},
		{"StringLike sub no match", stmt(`{` + allowBase + `,"Condition":{"StringLike":{"cognito-identity.amazonaws.com:sub":"eu-*"}}}`), req(), false},
		{"StringNotLike", stmt(`{` + allowBase + `,"Condition":{"StringNotLike":{"cognito-identity.amazonaws.com:sub":"eu-*"}}}`), req(), true},
		{"StringEquals amr any value", stmt(`{` + allowBase + `,"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}`), req(authAMR...), true},
		{"StringNotLike amr", stmt(`{` + allowBase + `,"Condition":{"StringNotLike":{"cognito-identity.amazonaws.com:amr":"unauth*"}}}`), req(authAMR...), true},
		{"StringNotLike amr matched", stmt(`{` + allowBase + `,"Condition":{"StringNotLike":{"cognito-identity.amazonaws.com:amr":"unauth*"}}}`), req("unauthenticated"), false},
		{"ForAnyValue:StringEquals", stmt(`{` + allowBase + `,"Condition":{"ForAnyValue:StringEquals":{"cognito-identity.amazonaws.com:amr":["unauthenticated"]}}}`), req("unauthenticated"), true},
		{"ForAllValues:StringLike", stmt(`{` + allowBase + `,"Condition":{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":["authenticated","cognito-idp.*"]}}}`), req(authAMR...), true},
		{"ForAllValues:StringLike one unmatched", stmt(`{` + allowBase + `,"Condition":{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":["authenticated"]}}}`), req(authAMR...), false},
		{"ForAllValues empty set holds", stmt(`{` + allowBase + `,"Condition":{"ForAllValues:StringEquals":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}`), req(), true},
		{"ForAnyValue empty set fails", stmt(`{` + allowBase + `,"Condition":{"ForAnyValue:StringEquals":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}`), req(), false},
		{"ForAnyValue negated unsupported", stmt(`{` + allowBase + `,"Condition":{"ForAnyValue:StringNotEquals":{"cognito-identity.amazonaws.com:amr":"x"}}}`), req("y"), false},
		{"one of two conditions fails", stmt(`{` + allowBase + `,"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `","cognito-identity.amazonaws.com:sub":"nope"}}}`), req(), false},
		{"second allow statement grants", stmt(`[{` + allowBase + `,"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"x"}}},{` + allowBase + `}]`), req(), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := p.Allows(c.r); got != c.want {
				t.Errorf("Allows(%+v) = %v, want %v", c.r, got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{
		``,
		`not json`,
		`[]`,
		`{}`,
		`{"Version":"2012-10-17"}`,
		`{"Version":"2012-10-17","Statement":[]}`,
		`{"Version":"2099-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}`,
		`{"Statement":{"Effect":"Maybe","Principal":"*","Action":"*"}}`,
		`{"Statement":{"Effect":"Allow","Action":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"someone","Action":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":{"Federated":5},"Action":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":[]}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":"x"}}`,
	} {
		if _, err := Parse(doc); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", doc, err)
		}
	}
}

func TestParseAWSDoc(t *testing.T) {
	p, err := Parse(awsDoc)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Statements) != 1 || len(p.Statements[0].Conditions) != 2 || len(p.Statements[0].Actions) != 2 {
		t.Fatalf("parsed %+v", p)
	}
	// Conditions are sorted by operator, then key.
	if c := p.Statements[0].Conditions[0]; c.Operator != "ForAnyValue:StringLike" {
		t.Errorf("first condition %+v", c)
	}
	var nilPolicy *Policy
	if nilPolicy.Allows(req("authenticated")) {
		t.Error("nil policy allows")
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"?", "é", true},
		{"**a**", "bab", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXcYb", false},
		{"abc", "ABC", false},
		{"*x", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", false},
	} {
		if got := Match(c.p, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(awsDoc)
	f.Add(`{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"*","Condition":{"StringLike":{"cognito-identity.amazonaws.com:sub":["a*",1,true]}}}}`)
	f.Add(`{"Statement":[null]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) = %v, %v", doc, p, err)
			}
			return
		}
		for _, tagging := range []bool{false, true} {
			r := req("authenticated", "x")
			r.Tagging = tagging
			p.Allows(r)
		}
	})
}
