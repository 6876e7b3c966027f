package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	samlEntityID  = "https://idp.corp.example.test/saml/metadata"
	samlAWSSignin = "https://signin.aws.amazon.com/saml"
)

// samlIdP is a SAML identity provider: a key and its self-signed certificate.
type samlIdP struct {
	cert tls.Certificate
	der  []byte
}

func newSAMLIdP(t *testing.T) *samlIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "idp.corp.example.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &samlIdP{cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der: der}
}

// metadata is the IdP's EntityDescriptor, as IdPs publish it (IAM wants 1000 characters
// at least).
func (p *samlIdP) metadata() string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + samlEntityID + `">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>` + base64.StdEncoding.EncodeToString(p.der) + `</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.corp.example.test/saml/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.corp.example.test/saml/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`
}

// response returns a base64 SAML response for nameID with the given Role attribute values,
// its assertion signed (exclusive C14N, RSA-SHA256). mutate, when set, edits the document
// after signing.
func (p *samlIdP) response(t *testing.T, nameID string, roles []string, mutate func(*etree.Document)) string {
	t.Helper()
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(d).Format("2006-01-02T15:04:05Z") }
	var values strings.Builder
	for _, r := range roles {
		values.WriteString(`<saml:AttributeValue>` + r + `</saml:AttributeValue>`)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp-%d" Version="2.0" IssueInstant="%s" Destination="%s">`+
		`<saml:Issuer>%s</saml:Issuer>`+
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`+
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_assertion-%d" Version="2.0" IssueInstant="%s">`+
		`<saml:Issuer>%s</saml:Issuer>`+
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">%s</saml:NameID>`+
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation></saml:Subject>`+
		`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>`+
		`<saml:AuthnStatement AuthnInstant="%s" SessionIndex="s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`+
		`<saml:AttributeStatement>`+
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">%s</saml:Attribute>`+
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>%s</saml:AttributeValue></saml:Attribute>`+
		`</saml:AttributeStatement></saml:Assertion></samlp:Response>`,
		now.UnixNano(), ts(0), samlAWSSignin, samlEntityID, now.UnixNano(), ts(0), samlEntityID, nameID,
		ts(5*time.Minute), samlAWSSignin, ts(-time.Minute), ts(5*time.Minute), ts(0), values.String(), nameID)); err != nil {
		t.Fatal(err)
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(p.cert))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	resp := doc.Root()
	a := resp.FindElement("./saml:Assertion")
	signed, err := ctx.SignEnveloped(a)
	if err != nil {
		t.Fatal(err)
	}
	i := a.Index()
	resp.RemoveChild(a)
	resp.InsertChildAt(i, signed)
	if mutate != nil {
		mutate(doc)
	}
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString([]byte(out))
}

// A SAML provider registered through IAM signs in to a pool; the assertion's Role
// attribute offers the roles a CustomRoleArn may pick from.
func TestSAMLCredentials(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	idp := newSAMLIdP(t)
	md := idp.metadata()
	if len(md) < 1000 {
		t.Fatalf("metadata is %d characters, IAM wants 1000", len(md))
	}
	created, err := srv.iamClient(t).CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(md)})
	if err != nil {
		t.Fatal(err)
	}
	provider := aws.ToString(created.SAMLProviderArn)
	if provider != "arn:aws:iam::"+testAccount+":saml-provider/corp" {
		t.Fatalf("provider ARN %s", provider)
	}
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("saml"), AllowUnauthenticatedIdentities: false,
		SamlProviderARNs: []string{provider}})
	if err != nil {
		t.Fatal(err)
	}
	pool := out.IdentityPoolId
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: pool,
		Roles: map[string]string{"authenticated": roleARN("Member")}}); err != nil {
		t.Fatal(err)
	}

	roles := []string{roleARN("SamlAdmins") + "," + provider, roleARN("SamlReaders") + "," + provider}
	logins := map[string]string{provider: idp.response(t, "alice@corp", roles, nil)}
	id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: id.IdentityId})
	if err != nil || len(d.Logins) != 1 || d.Logins[0] != provider {
		t.Fatalf("describe %+v %v", d, err)
	}

	// The CustomRoleArn picks one of the assertion's roles.
	got, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins,
		CustomRoleArn: aws.String(roleARN("SamlReaders"))})
	if err != nil {
		t.Fatal(err)
	}
	if a := srv.callerARN(t, got.Credentials); !strings.HasSuffix(a, ":assumed-role/SamlReaders/CognitoIdentityCredentials") {
		t.Fatalf("caller %s", a)
	}

	// A role the assertion does not offer is refused.
	_, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins,
		CustomRoleArn: aws.String(roleARN("Member"))})
	wantAPIError(t, err, "NotAuthorizedException", "The ambiguous role mapping rules for: "+provider+" denied this request.")

	// A response changed after signing is refused.
	tampered := idp.response(t, "alice@corp", roles, func(doc *etree.Document) {
		n := doc.FindElement("//saml:NameID")
		if n == nil {
			t.Fatal("no NameID")
		}
		n.SetText("mallory@corp")
	})
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{provider: tampered}})
	wantAPIError(t, err, "NotAuthorizedException", "Invalid login token. The SAML response is not valid or its signature could not be verified.")
}
