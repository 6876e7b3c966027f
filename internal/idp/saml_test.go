package idp

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

const (
	samlIssuer  = "https://idp.example.test/metadata"
	awsSAMLURL  = "https://signin.aws.amazon.com/saml"
	roleA       = "arn:aws:iam::123456789012:role/A,arn:aws:iam::123456789012:saml-provider/Corp"
	roleB       = "arn:aws:iam::123456789012:saml-provider/Corp,arn:aws:iam::123456789012:role/B"
	samlRespID  = "_resp-1"
	samlAssnID  = "_assertion-1"
	bearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	statusOK    = "urn:oasis:names:tc:SAML:2.0:status:Success"
	samlTimeFmt = "2006-01-02T15:04:05Z"
)

// samlOpts describes a SAML response to build.
type samlOpts struct {
	issuer, nameID, audience, recipient, destination, status string
	notBefore, notOnOrAfter, subjectNotOnOrAfter             time.Time
	noAudience                                               bool
	roles                                                    []string
	signAssertion, signResponse                              bool
	signer                                                   string                                   // testdata key pair name
	before, mutate                                           func(tb testing.TB, doc *etree.Document) // before and after signing
}

func defaultSAML() samlOpts {
	return samlOpts{
		issuer: samlIssuer, nameID: "alice@example.test", audience: SAMLAudience,
		recipient: awsSAMLURL, destination: awsSAMLURL, status: statusOK,
		notBefore: testNow.Add(-time.Minute), notOnOrAfter: testNow.Add(5 * time.Minute),
		subjectNotOnOrAfter: testNow.Add(5 * time.Minute),
		roles:               []string{roleA, roleB},
		signAssertion:       true,
		signer:              "saml-idp",
	}
}

// buildSAML returns the base64 SAML response o describes, signed with goxmldsig (exclusive
// C14N) as IdPs sign them.
func buildSAML(tb testing.TB, o samlOpts) string {
	tb.Helper()
	ts := func(t time.Time) string { return t.UTC().Format(samlTimeFmt) }
	audience := `<saml:AudienceRestriction><saml:Audience>` + o.audience + `</saml:Audience></saml:AudienceRestriction>`
	if o.noAudience {
		audience = ""
	}
	var roles strings.Builder
	for _, r := range o.roles {
		roles.WriteString(`<saml:AttributeValue>` + r + `</saml:AttributeValue>`)
	}
	dest := ""
	if o.destination != "" {
		dest = ` Destination="` + o.destination + `"`
	}
	xml := fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s"%s>`+
		`<saml:Issuer>%s</saml:Issuer>`+
		`<samlp:Status><samlp:StatusCode Value="%s"/></samlp:Status>`+
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s">`+
		`<saml:Issuer>%s</saml:Issuer>`+
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">%s</saml:NameID>`+
		`<saml:SubjectConfirmation Method="%s"><saml:SubjectConfirmationData NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation></saml:Subject>`+
		`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s">%s</saml:Conditions>`+
		`<saml:AuthnStatement AuthnInstant="%s" SessionIndex="s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`+
		`<saml:AttributeStatement>`+
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">%s</saml:Attribute>`+
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>`+
		`<saml:Attribute Name="groups"><saml:AttributeValue>admins</saml:AttributeValue><saml:AttributeValue>devs</saml:AttributeValue></saml:Attribute>`+
		`</saml:AttributeStatement></saml:Assertion></samlp:Response>`,
		samlRespID, ts(testNow), dest, o.issuer, o.status, samlAssnID, ts(testNow), o.issuer, o.nameID, bearer,
		ts(o.subjectNotOnOrAfter), o.recipient, ts(o.notBefore), ts(o.notOnOrAfter), audience, ts(testNow), roles.String())

	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		tb.Fatal(err)
	}
	if o.before != nil {
		o.before(tb, doc)
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(readTLSCert(tb, o.signer)))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		tb.Fatal(err)
	}
	resp := doc.Root()
	if o.signAssertion {
		a := resp.FindElement("./saml:Assertion")
		signed, err := ctx.SignEnveloped(a)
		if err != nil {
			tb.Fatal(err)
		}
		i := a.Index()
		resp.RemoveChild(a)
		resp.InsertChildAt(i, signed)
	}
	if o.signResponse {
		signed, err := ctx.SignEnveloped(resp)
		if err != nil {
			tb.Fatal(err)
		}
		doc.SetRoot(signed)
	}
	if o.mutate != nil {
		o.mutate(tb, doc)
	}
	out, err := doc.WriteToString()
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString([]byte(out))
}

func TestSAML(t *testing.T) {
	e := newEnv(t)
	for name, o := range map[string]func(*samlOpts){
		"signed assertion":              nil,
		"signed response":               func(o *samlOpts) { o.signAssertion, o.signResponse = false, true },
		"signed response and assertion": func(o *samlOpts) { o.signResponse = true },
		"no Destination":                func(o *samlOpts) { o.destination = "" },
		"regional endpoint":             func(o *samlOpts) { o.recipient, o.destination = "https://us-east-1.signin.aws.amazon.com/saml", "" },
		"expired within the skew": func(o *samlOpts) {
			o.notOnOrAfter, o.subjectNotOnOrAfter = testNow.Add(-4*time.Minute), testNow.Add(-4*time.Minute)
		},
		"valid soon, within the skew": func(o *samlOpts) { o.notBefore = testNow.Add(4 * time.Minute) },
	} {
		t.Run(name, func(t *testing.T) {
			opts := defaultSAML()
			if o != nil {
				o(&opts)
			}
			l, err := e.verify(e.samlARN, buildSAML(t, opts))
			if err != nil {
				t.Fatal(err)
			}
			if l.Provider != e.samlARN || l.Subject != "alice@example.test" || l.AMRDetail != e.samlARN+":alice@example.test" {
				t.Fatalf("login %+v", l)
			}
			roles, ok := l.Claims[SAMLRoleAttribute].([]string)
			if !ok || !slices.Equal(roles, []string{roleA, roleB}) {
				t.Fatalf("roles %#v", l.Claims[SAMLRoleAttribute])
			}
			if l.Claims["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] != "alice" ||
				!slices.Equal(l.Claims["groups"].([]string), []string{"admins", "devs"}) ||
				l.Claims[SAMLNameIDClaim] != "alice@example.test" {
				t.Fatalf("claims %#v", l.Claims)
			}
		})
	}
	// A single Role value is still a list.
	o := defaultSAML()
	o.roles = []string{roleA}
	l, err := e.verify(e.samlARN, buildSAML(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if roles := l.Claims[SAMLRoleAttribute].([]string); len(roles) != 1 {
		t.Fatalf("roles %#v", roles)
	}
	// Base64 wrapped in lines, as some IdPs post it.
	b64 := buildSAML(t, defaultSAML())
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))] + "\r\n")
	}
	if _, err := e.verify(e.samlARN, wrapped.String()); err != nil {
		t.Fatal(err)
	}
}

func TestSAMLAttacks(t *testing.T) {
	e := newEnv(t)
	nameID := func(doc *etree.Document) *etree.Element {
		return doc.Root().FindElement("./saml:Assertion/saml:Subject/saml:NameID")
	}
	cases := []struct {
		name string
		o    func(*samlOpts)
		msg  string
	}{
		{"unsigned", func(o *samlOpts) { o.signAssertion = false }, "not signed"},
		{"tampered assertion", func(o *samlOpts) {
			o.mutate = func(tb testing.TB, doc *etree.Document) { nameID(doc).SetText("admin@example.test") }
		}, "signature could not be verified"},
		{"tampered role", func(o *samlOpts) {
			o.mutate = func(tb testing.TB, doc *etree.Document) {
				doc.Root().FindElement("./saml:Assertion/saml:AttributeStatement/saml:Attribute/saml:AttributeValue").SetText("arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/Corp")
			}
		}, "signature could not be verified"},
		{"tampered signed response", func(o *samlOpts) {
			o.signAssertion, o.signResponse = false, true
			o.mutate = func(tb testing.TB, doc *etree.Document) { nameID(doc).SetText("admin@example.test") }
		}, "signature could not be verified"},
		{"wrapping: unsigned assertion before the signed one", func(o *samlOpts) {
			o.mutate = func(tb testing.TB, doc *etree.Document) {
				signed := doc.Root().FindElement("./saml:Assertion")
				forged := signed.Copy()
				forged.RemoveChild(forged.FindElement("./ds:Signature"))
				forged.CreateAttr("ID", "_forged")
				forged.FindElement("./saml:Subject/saml:NameID").SetText("admin@example.test")
				doc.Root().InsertChildAt(signed.Index(), forged)
			}
		}, ""},
		{"wrapping: unsigned assertion after the signed one", func(o *samlOpts) {
			o.mutate = func(tb testing.TB, doc *etree.Document) {
				signed := doc.Root().FindElement("./saml:Assertion")
				forged := signed.Copy()
				forged.RemoveChild(forged.FindElement("./ds:Signature"))
				forged.CreateAttr("ID", "_forged")
				forged.FindElement("./saml:Subject/saml:NameID").SetText("admin@example.test")
				doc.Root().AddChild(forged)
			}
		}, ""},
		{"wrapping: forged assertion in a signed response's place", func(o *samlOpts) {
			o.signAssertion, o.signResponse = false, true
			o.mutate = func(tb testing.TB, doc *etree.Document) {
				// Move the signed original out of the way (into the Status) and put a
				// forged assertion where the verifier reads.
				root := doc.Root()
				orig := root.FindElement("./saml:Assertion")
				forged := orig.Copy()
				forged.FindElement("./saml:Subject/saml:NameID").SetText("admin@example.test")
				root.RemoveChild(orig)
				root.FindElement("./samlp:Status").AddChild(orig)
				root.AddChild(forged)
			}
		}, ""},
		{"wrapping: signed response nested in an unsigned one", func(o *samlOpts) {
			o.signAssertion, o.signResponse = false, true
			o.mutate = func(tb testing.TB, doc *etree.Document) {
				signed := doc.Root()
				outer := signed.Copy()
				for _, c := range outer.ChildElements() {
					if c.Tag == "Signature" {
						outer.RemoveChild(c)
					}
				}
				outer.FindElement("./saml:Assertion/saml:Subject/saml:NameID").SetText("admin@example.test")
				outer.FindElement("./samlp:Status").AddChild(signed)
				doc.SetRoot(outer)
			}
		}, ""},
		{"signed by another key", func(o *samlOpts) { o.signer = "saml-attacker" }, "signature could not be verified"},
		{"signature stripped of KeyInfo, another key", func(o *samlOpts) {
			o.signer = "saml-attacker"
			o.mutate = func(tb testing.TB, doc *etree.Document) {
				sig := doc.Root().FindElement("./saml:Assertion/ds:Signature")
				sig.RemoveChild(sig.FindElement("./ds:KeyInfo"))
			}
		}, "signature could not be verified"},
		{"wrong audience", func(o *samlOpts) { o.audience = "urn:example:other" }, "audience"},
		{"no audience restriction", func(o *samlOpts) { o.noAudience = true }, "audience"},
		{"expired", func(o *samlOpts) { o.notOnOrAfter = testNow.Add(-time.Hour) },
			fmt.Sprintf("Invalid login token. Token expired: %d >= %d", testNow.Unix(), testNow.Add(-time.Hour).Unix())},
		{"confirmation expired", func(o *samlOpts) { o.subjectNotOnOrAfter = testNow.Add(-10 * time.Minute) }, "Token expired"},
		{"not yet valid", func(o *samlOpts) { o.notBefore = testNow.Add(10 * time.Minute) }, "not valid before"},
		{"wrong recipient", func(o *samlOpts) { o.recipient = "https://sp.example.com/acs" }, "not an accepted recipient"},
		{"wrong destination", func(o *samlOpts) { o.destination = "https://sp.example.com/acs" }, "not an accepted recipient"},
		{"other region's endpoint", func(o *samlOpts) { o.recipient, o.destination = "https://eu-west-1.signin.aws.amazon.com/saml", "" }, "not an accepted recipient"},
		{"wrong issuer", func(o *samlOpts) { o.issuer = "https://evil.example.test" }, "Issuer doesn't match providerName"},
		{"status not success", func(o *samlOpts) { o.status = "urn:oasis:names:tc:SAML:2.0:status:Requester" }, "status"},
		{"no NameID", func(o *samlOpts) {
			o.before = func(tb testing.TB, doc *etree.Document) {
				s := doc.Root().FindElement("./saml:Assertion/saml:Subject")
				s.RemoveChild(s.FindElement("./saml:NameID"))
			}
		}, "NameID"},
		{"empty NameID", func(o *samlOpts) {
			o.before = func(tb testing.TB, doc *etree.Document) { nameID(doc).SetText("  ") }
		}, "no NameID"},
		{"not a bearer confirmation", func(o *samlOpts) {
			o.before = func(tb testing.TB, doc *etree.Document) {
				doc.Root().FindElement("./saml:Assertion/saml:Subject/saml:SubjectConfirmation").CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
			}
		}, ""},
		{"two signed assertions", func(o *samlOpts) {
			o.signAssertion, o.signResponse = false, true
			o.before = func(tb testing.TB, doc *etree.Document) {
				a := doc.Root().FindElement("./saml:Assertion")
				b := a.Copy()
				b.CreateAttr("ID", "_assertion-2")
				b.FindElement("./saml:Subject/saml:NameID").SetText("bob@example.test")
				doc.Root().AddChild(b)
			}
		}, "exactly one assertion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := defaultSAML()
			tc.o(&o)
			l, err := e.verify(e.samlARN, buildSAML(t, o))
			if err == nil {
				t.Fatalf("accepted: %+v", l)
			}
			t.Log(err)
			wantAWSErr(t, err, awserr.NotAuthorized, tc.msg)
		})
	}
	for name, tok := range map[string]string{
		"empty":        "",
		"not base64":   "%%%",
		"not XML":      base64.StdEncoding.EncodeToString([]byte("hello")),
		"a JWT":        "eyJhbGciOiJub25lIn0.e30.",
		"oversized":    strings.Repeat("A", MaxSAMLSize+1),
		"XML bomb":     base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>`)),
		"no assertion": base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0"/>`)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.verify(e.samlARN, tok)
			wantAWSErr(t, err, awserr.NotAuthorized, "Invalid login token.")
		})
	}
}

func TestSAMLProvider(t *testing.T) {
	e := newEnv(t)
	tok := buildSAML(t, defaultSAML())
	md := readFile(t, "saml-metadata.xml")

	// Metadata that expired (IAM's ValidUntil).
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.samlARN, Kind: storage.ProviderSAML, SAMLMetadata: md, ValidUntil: testNow})
	_, err := e.verify(e.samlARN, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "metadata expired")

	// The IdP rolled its certificate: the metadata now lists the new one only.
	attacker := strings.Join(strings.Split(strings.TrimSpace(readFile(t, "saml-attacker.crt")), "\n")[1:], "")
	attacker = strings.TrimSuffix(attacker, "-----END CERTIFICATE-----")
	start, end := strings.Index(md, "<ds:X509Certificate>")+len("<ds:X509Certificate>"), strings.Index(md, "</ds:X509Certificate>")
	rolled := md[:start] + attacker + md[end:]
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.samlARN, Kind: storage.ProviderSAML, SAMLMetadata: rolled})
	_, err = e.verify(e.samlARN, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "signature could not be verified")
	o := defaultSAML()
	o.signer = "saml-attacker"
	if _, err := e.verify(e.samlARN, buildSAML(t, o)); err != nil {
		t.Fatalf("new certificate not used: %v", err)
	}

	// Metadata inside an EntitiesDescriptor.
	inner := md[strings.Index(md, "<md:EntityDescriptor"):]
	wrapped := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.Replace(inner, ` xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"`, "", 1) + `</md:EntitiesDescriptor>`
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.samlARN, Kind: storage.ProviderSAML, SAMLMetadata: wrapped})
	if _, err := e.verify(e.samlARN, tok); err != nil {
		t.Fatalf("EntitiesDescriptor: %v", err)
	}

	// Unusable metadata.
	for _, bad := range []string{"", "<md:EntityDescriptor/>", strings.Replace(md, "use=\"signing\"", "use=\"encryption\"", 1)} {
		e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.samlARN, Kind: storage.ProviderSAML, SAMLMetadata: bad})
		_, err = e.verify(e.samlARN, tok)
		wantAWSErr(t, err, awserr.NotAuthorized, "metadata")
	}

	// An OIDC provider's ARN listed as a SAML provider.
	e.pool.SAMLProviderARNs = append(e.pool.SAMLProviderARNs, e.oidcARN)
	_, err = e.verify(e.oidcARN, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "Token is not from a supported provider")

	// Custom recipients replace the defaults.
	v := New(Config{Providers: e.providers, Now: e.clock.Now, SAMLRecipients: []string{"https://sp.example.com/acs"}})
	e.providers.put(&storage.IAMProvider{AccountID: testAccount, ARN: e.samlARN, Kind: storage.ProviderSAML, SAMLMetadata: md})
	o = defaultSAML()
	o.recipient, o.destination = "https://sp.example.com/acs", "https://sp.example.com/acs"
	if _, err := v.VerifyLogin(t.Context(), e.pool, e.samlARN, buildSAML(t, o)); err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyLogin(t.Context(), e.pool, e.samlARN, tok)
	wantAWSErr(t, err, awserr.NotAuthorized, "not an accepted recipient")
}
