package idp

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idpool/idpool/internal/storage"
)

// SAML constants of AWS's SAML federation.
const (
	// SAMLAudience is the audience AWS requires in every assertion.
	SAMLAudience = "urn:amazon:webservices"
	// SAMLRoleAttribute lists "roleArn,providerArn" pairs; Login.Claims holds it as []string.
	SAMLRoleAttribute = "https://aws.amazon.com/SAML/Attributes/Role"
	// SAMLNameIDClaim is the claim under which Login.Claims carries the assertion's NameID
	// (unless an attribute of that name exists), so that principal tags can read it.
	SAMLNameIDClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
)

// samlIdP is what idpool needs of a SAML provider's metadata.
type samlIdP struct {
	entityID string
	certs    []*x509.Certificate
}

// samlMetadata reads an EntityDescriptor, or an EntitiesDescriptor holding one, with
// namespace-agnostic tags: metadata documents use every prefix convention there is.
type samlMetadata struct {
	XMLName  xml.Name
	EntityID string `xml:"entityID,attr"`
	IDPs     []struct {
		Keys []struct {
			Use   string   `xml:"use,attr"`
			Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
	} `xml:"IDPSSODescriptor"`
	Entities []samlMetadata `xml:"EntityDescriptor"`
}

// parseSAMLMetadata returns the entity ID and signing certificates of the (first) IdP
// the metadata describes.
func parseSAMLMetadata(doc string) (*samlIdP, error) {
	var md samlMetadata
	if err := xml.Unmarshal([]byte(doc), &md); err != nil {
		return nil, err
	}
	candidates := []samlMetadata{md}
	if md.XMLName.Local == "EntitiesDescriptor" {
		candidates = md.Entities
	}
	for _, e := range candidates {
		if e.XMLName.Local != "EntityDescriptor" || len(e.IDPs) == 0 {
			continue
		}
		idp := &samlIdP{entityID: strings.TrimSpace(e.EntityID)}
		for _, d := range e.IDPs {
			for _, k := range d.Keys {
				if k.Use != "" && k.Use != "signing" {
					continue
				}
				for _, c := range k.Certs {
					der, err := base64.StdEncoding.DecodeString(stripSpace(c))
					if err != nil {
						return nil, fmt.Errorf("signing certificate: %w", err)
					}
					cert, err := x509.ParseCertificate(der)
					if err != nil {
						return nil, fmt.Errorf("signing certificate: %w", err)
					}
					idp.certs = append(idp.certs, cert)
				}
			}
		}
		if len(idp.certs) == 0 {
			return nil, errors.New("no signing certificate")
		}
		return idp, nil
	}
	return nil, errors.New("no IDPSSODescriptor")
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
}

// cachedSAMLMetadata parses metadata once per provider and version of its document.
func (v *Verifier) cachedSAMLMetadata(arn, doc string) (*samlIdP, error) {
	sum := sha256.Sum256([]byte(doc))
	v.mu.Lock()
	if e, ok := v.samlIdPs[arn]; ok && e.sum == sum {
		v.mu.Unlock()
		return e.idp, nil
	}
	v.mu.Unlock()
	idp, err := parseSAMLMetadata(doc)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.samlIdPs) >= maxKeySets {
		for k := range v.samlIdPs {
			delete(v.samlIdPs, k)
			break
		}
	}
	v.samlIdPs[arn] = samlIdPEntry{sum: sum, idp: idp}
	v.mu.Unlock()
	return idp, nil
}

type samlIdPEntry struct {
	sum [sha256.Size]byte
	idp *samlIdP
}

// verifySAML checks a base64 SAML response of the provider arn, as AWS's SAML federation
// does: a valid signature by one of the metadata's signing certificates over the response
// or over every assertion (unsigned ones are refused, as is an unsigned assertion beside
// a signed one), the Issuer equal to the metadata's entityID, exactly one assertion,
// audience urn:amazon:webservices, bearer confirmation with an accepted Recipient (and
// Destination when present), and the time window with ClockSkew. Encrypted assertions are
// not supported: idpool holds no private key for the provider.
//
// The login's subject is the NameID; its AMR entry is "<provider ARN>:<NameID>", the form
// the other providers use ("<provider>:<subject>"). Claims are the attributes by name:
// one value as a string, several as []string, the Role attribute always as []string, and
// the NameID under SAMLNameIDClaim.
func (v *Verifier) verifySAML(ctx context.Context, pool *storage.Pool, arn, token string) (*Login, error) {
	if len(token) > MaxSAMLSize {
		return nil, notAuthorizedf("The SAML response is larger than %d bytes.", MaxSAMLSize)
	}
	p, err := v.loadProvider(ctx, pool, arn, storage.ProviderSAML)
	if err != nil {
		return nil, err
	}
	now := v.now()
	if !p.ValidUntil.IsZero() && !now.Before(p.ValidUntil) {
		v.log.WarnContext(ctx, "idp: SAML provider metadata expired", "provider", arn, "validUntil", p.ValidUntil)
		return nil, notAuthorizedf("The SAML provider's metadata expired at %s.", p.ValidUntil.UTC().Format(time.RFC3339))
	}
	md, err := v.cachedSAMLMetadata(arn, p.SAMLMetadata)
	if err != nil {
		v.log.WarnContext(ctx, "idp: SAML provider metadata unusable", "provider", arn, "err", err)
		return nil, notAuthorizedf("The SAML provider's metadata has no usable signing certificate.")
	}

	info, err := v.retrieveAssertion(stripSpace(token), md, now)
	if err != nil {
		v.log.InfoContext(ctx, "idp: SAML response refused", "provider", arn, "err", err)
		return nil, samlRefusal(err, now)
	}
	if len(info.Assertions) != 1 {
		return nil, notAuthorizedf("The SAML response must contain exactly one assertion.")
	}
	a := &info.Assertions[0]
	if !info.ResponseSignatureValidated && !a.SignatureValidated {
		return nil, notAuthorizedf("The SAML response is not signed.")
	}
	if err := checkSAMLConditions(a, info.WarningInfo, now); err != nil {
		return nil, err
	}
	nameID := strings.TrimSpace(info.NameID)
	if nameID == "" {
		return nil, notAuthorizedf("The SAML assertion has no NameID.")
	}

	claims := make(map[string]any, len(info.Values)+1)
	for name := range info.Values {
		vals := info.Values.GetAll(name)
		switch {
		case name == SAMLRoleAttribute:
			roles := make([]string, 0, len(vals))
			for _, r := range vals {
				if r = strings.TrimSpace(r); r != "" {
					roles = append(roles, r)
				}
			}
			claims[name] = roles
		case len(vals) == 1:
			claims[name] = vals[0]
		default:
			claims[name] = vals
		}
	}
	if _, ok := claims[SAMLNameIDClaim]; !ok {
		claims[SAMLNameIDClaim] = nameID
	}
	return &Login{
		Login:     storage.Login{Provider: arn, Subject: nameID},
		AMRDetail: arn + ":" + nameID,
		Claims:    claims,
	}, nil
}

// retrieveAssertion runs gosaml2's verification with the first accepted recipient, and
// again with another accepted one when the response names that one instead (gosaml2
// accepts a single recipient).
func (v *Verifier) retrieveAssertion(encoded string, md *samlIdP, now time.Time) (*saml2.AssertionInfo, error) {
	recipient := v.samlRecipients[0]
	tried := make([]string, 0, len(v.samlRecipients))
	for {
		tried = append(tried, recipient)
		sp := &saml2.SAMLServiceProvider{
			IdentityProviderIssuer:      md.entityID,
			AssertionConsumerServiceURL: recipient,
			AudienceURI:                 SAMLAudience,
			IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: md.certs},
			AllowMissingAttributes:      true,
			// gosaml2 compares the confirmation's NotOnOrAfter (and the certificates'
			// validity) with this clock and no tolerance; running it ClockSkew behind
			// gives expiries their skew. The Conditions window, which gosaml2 only
			// reports, is checked with skew both ways by checkSAMLConditions.
			Clock:                       dsig.NewFakeClockAt(now.Add(-ClockSkew)),
			MaximumDecompressedBodySize: MaxSAMLSize * 4,
		}
		info, err := sp.RetrieveAssertionInfo(encoded)
		if err == nil {
			return info, nil
		}
		var iv saml2.ErrInvalidValue
		if errors.As(unwrapSAML(err), &iv) && (iv.Key == saml2.RecipientAttr || iv.Key == saml2.DestinationAttr) &&
			slices.Contains(v.samlRecipients, iv.Actual) && !slices.Contains(tried, iv.Actual) {
			recipient = iv.Actual
			continue
		}
		return nil, err
	}
}

// unwrapSAML returns the cause of gosaml2's ErrVerification, which has no Unwrap.
func unwrapSAML(err error) error {
	var ev saml2.ErrVerification
	if errors.As(err, &ev) && ev.Cause != nil {
		return ev.Cause
	}
	return err
}

// samlRefusal turns gosaml2's error into AWS's kind of message. Only facts of the
// response itself reach the client, never why a signature failed.
func samlRefusal(err error, now time.Time) error {
	err = unwrapSAML(err)
	var iv saml2.ErrInvalidValue
	if errors.As(err, &iv) {
		switch iv.Key {
		case saml2.RecipientAttr, saml2.DestinationAttr:
			return notAuthorizedf("The SAML response's %s %q is not an accepted recipient.", iv.Key, iv.Actual)
		case saml2.IssuerTag:
			return errIssuer()
		case saml2.NotOnOrAfterAttr:
			if t, perr := time.Parse(time.RFC3339, iv.Actual); perr == nil {
				return errExpired(now, t.Unix())
			}
		case saml2.StatusCodeTag:
			return notAuthorizedf("The SAML response's status is not Success.")
		}
	}
	var missing saml2.ErrMissingElement
	if errors.As(err, &missing) && missing.Tag != saml2.AssertionTag {
		return notAuthorizedf("The SAML response is missing %s.", missing.Error()[len("missing "):])
	}
	if errors.Is(err, dsig.ErrMissingSignature) {
		return notAuthorizedf("The SAML response is not signed.")
	}
	return notAuthorizedf("The SAML response is not valid or its signature could not be verified.")
}

// checkSAMLConditions applies the assertion's Conditions, which gosaml2 only reports in
// WarningInfo: the time window with ClockSkew both ways, and an audience restriction
// naming SAMLAudience (required: AWS refuses assertions without one).
func checkSAMLConditions(a *types.Assertion, w *saml2.WarningInfo, now time.Time) error {
	c := a.Conditions
	if c == nil || w == nil {
		return notAuthorizedf("The SAML assertion has no Conditions.")
	}
	notBefore, err1 := time.Parse(time.RFC3339, c.NotBefore)
	notOnOrAfter, err2 := time.Parse(time.RFC3339, c.NotOnOrAfter)
	if err1 != nil || err2 != nil {
		return notAuthorizedf("The SAML assertion's Conditions have no valid time window.")
	}
	if now.Add(ClockSkew).Before(notBefore) {
		return notAuthorizedf("The SAML assertion is not valid before %s.", notBefore.UTC().Format(time.RFC3339))
	}
	if !now.Add(-ClockSkew).Before(notOnOrAfter) {
		return errExpired(now, notOnOrAfter.Unix())
	}
	if w.NotInAudience || len(c.AudienceRestrictions) == 0 {
		return notAuthorizedf("The SAML assertion's audience is not %s.", SAMLAudience)
	}
	return nil
}
