package iam

import (
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/arn"
)

// Limits of IAM's model and quotas.
const (
	maxURLLen          = 255
	maxClientIDLen     = 255
	maxClientIDs       = 100 // quota ClientIdsPerOpenIdConnectProvider
	thumbprintLen      = 40
	maxThumbprints     = 5
	maxTags            = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
	maxSAMLNameLen     = 128
	minSAMLMetadataLen = 1000
	maxSAMLMetadataLen = 10_000_000
	minARNLen          = 20
	maxARNLen          = 2048
)

var (
	// hostLabel is one DNS label: what IAM accepts in a provider URL's host.
	hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	// The patterns of IAM's model. Go's \w is ASCII-only, like Java's by default.
	samlName    = regexp.MustCompile(`^[\w._-]+$`)
	tagKeyRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRE  = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	errBadURL   = errValidation("Invalid Open ID Connect Provider URL")
	errURLInput = errInvalidInput("Invalid Open ID Connect Provider URL.")
)

// oidcURL checks an OpenID Connect provider URL and returns its canonical form (scheme,
// host and path, without a trailing slash) and that form without the scheme, which names
// the provider in its ARN and in GetOpenIDConnectProvider's Url.
//
// The rules are IAM's, except that idpool accepts http:// for loopback hosts (so that an
// issuer run on the developer's machine, such as a local Keycloak, can be registered
// without a certificate) and accepts a port, which IAM refuses but self-hosted issuers
// commonly need.
func oidcURL(raw string) (canonical, name string, err error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || rest == "" {
		return "", "", errBadURL
	}
	// Printable ASCII only: anything else would end up in the ARN.
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f {
			return "", "", errURLInput
		}
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" || u.Opaque != "" {
		return "", "", errBadURL
	}
	host := u.Hostname()
	switch {
	case scheme == "https":
	case scheme == "http" && isLoopback(host):
	default:
		return "", "", errInvalidInput("Invalid Open ID Connect Provider URL. The URL must begin with https://.")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "#") || !validHost(host) || !validPort(u) {
		return "", "", errURLInput
	}
	name = strings.TrimRight(rest, "/")
	if name == "" || strings.HasPrefix(name, "/") {
		return "", "", errBadURL
	}
	return scheme + "://" + name, name, nil
}

// isLoopback reports whether host names this machine: localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validPort accepts no port, or a port number from 1 to 65535; "host:" is refused, so
// that the ARN cannot end its host with a bare colon.
func validPort(u *url.URL) bool {
	if strings.HasSuffix(u.Host, ":") {
		return false
	}
	p := u.Port()
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '0'
}

func validHost(host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if !hostLabel.MatchString(label) {
			return false
		}
	}
	return true
}

// clientIDs checks a client ID list and returns it without repeats, in the order given.
func clientIDs(v *validation, ids []string) []string {
	for i, id := range ids {
		v.length(memberField("clientIDList", i), id, 1, maxClientIDLen)
	}
	return dedupe(ids, func(s string) string { return s })
}

func tooManyClientIDs() error {
	return errLimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDs)
}

// thumbprints checks a thumbprint list and returns it lowercased (IAM returns thumbprints
// in lower case whatever case they were sent in) and without repeats.
func thumbprints(list []string) ([]string, error) {
	if len(list) > maxThumbprints {
		return nil, errInvalidInput("Thumbprint list must contain fewer than %d entries.", maxThumbprints)
	}
	out := make([]string, 0, len(list))
	for _, t := range list {
		if len(t) != thumbprintLen {
			return nil, errInvalidInput("Thumbprint must be exactly %d characters.", thumbprintLen)
		}
		// A SHA-1 fingerprint in hex is all a thumbprint can be; IAM itself accepts any
		// 40 characters, but anything else can never match a certificate.
		if _, err := hex.DecodeString(t); err != nil {
			return nil, errInvalidInput("Thumbprint must be a hex-encoded SHA-1 fingerprint of 40 characters.")
		}
		out = append(out, strings.ToLower(t))
	}
	return dedupe(out, func(s string) string { return s }), nil
}

// dedupe drops later repeats of an element (as compared by key), keeping nil as nil.
func dedupe(s []string, key func(string) string) []string {
	if s == nil {
		return nil
	}
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, e := range s {
		if k := key(e); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// checkTags validates the Tags member and returns it as a map, nil when there are none.
// Model violations are added to v; duplicate keys, which IAM compares without case, are
// InvalidInput.
func checkTags(v *validation, ts []tag) (map[string]string, error) {
	if len(ts) > maxTags {
		v.add("tags", "Member must have length less than or equal to 50")
		return nil, nil
	}
	if len(ts) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(ts))
	seen := make(map[string]bool, len(ts))
	dup := false
	for i, t := range ts {
		field := memberField("tags", i)
		if !v.required(field+".key", t.Key != nil) || !v.required(field+".value", t.Value != nil) {
			continue
		}
		k, val := *t.Key, *t.Value
		v.length(field+".key", k, 1, maxTagKeyLen)
		if k != "" && !tagKeyRE.MatchString(k) {
			v.add(field+".key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		v.length(field+".value", val, 0, maxTagValueLen)
		if !tagValueRE.MatchString(val) {
			v.add(field+".value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		if lk := strings.ToLower(k); seen[lk] {
			dup = true
		} else {
			seen[lk] = true
		}
		out[k] = val
	}
	if dup && v.err() == nil {
		return nil, errInvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	}
	return out, nil
}

// tagList renders tags sorted by key, as IAM returns them.
func tagList(m map[string]string) memberList[xmlTag] {
	if len(m) == 0 {
		return nil
	}
	out := make(memberList[xmlTag], 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, xmlTag{Key: k, Value: m[k]})
	}
	return out
}

// checkSAMLName validates a SAML provider name against IAM's model.
func checkSAMLName(v *validation, name string) {
	v.length("name", name, 1, maxSAMLNameLen)
	if name != "" && !samlName.MatchString(name) {
		v.add("name", `Member must satisfy regular expression pattern: [\w._-]+`)
	}
}

const mdNamespace = "urn:oasis:names:tc:SAML:2.0:metadata"

var errBadMetadata = errInvalidInput("Could not parse metadata")

// samlMetadata checks that doc is a well-formed SAML 2.0 metadata document whose root is
// an md:EntityDescriptor with an entityID, and returns the root's validUntil (zero when it
// has none). A DOCTYPE is refused: metadata has no use for one, and entity declarations
// are the classic way to make an XML parser misbehave.
func samlMetadata(doc string) (time.Time, error) {
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true // undefined entities and unclosed elements are errors
	var validUntil time.Time
	depth, roots := 0, 0
	for {
		tok, err := d.Token() // matches end tags to start tags and resolves namespaces
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return time.Time{}, errBadMetadata
		}
		switch t := tok.(type) {
		case xml.Directive:
			return time.Time{}, errBadMetadata
		case xml.CharData:
			if depth == 0 && len(strings.TrimSpace(string(t))) > 0 {
				return time.Time{}, errBadMetadata
			}
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					return time.Time{}, errBadMetadata
				}
				if validUntil, err = entityDescriptor(t); err != nil {
					return time.Time{}, err
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		return time.Time{}, errBadMetadata
	}
	return validUntil, nil
}

// entityDescriptor checks the root element, its namespace resolved, and returns its
// validUntil.
func entityDescriptor(root xml.StartElement) (time.Time, error) {
	if root.Name != (xml.Name{Space: mdNamespace, Local: "EntityDescriptor"}) {
		return time.Time{}, errBadMetadata
	}
	var entityID, until string
	for _, a := range root.Attr {
		switch a.Name {
		case xml.Name{Local: "entityID"}:
			entityID = a.Value
		case xml.Name{Local: "validUntil"}:
			until = a.Value
		}
	}
	if strings.TrimSpace(entityID) == "" {
		return time.Time{}, errBadMetadata
	}
	if until == "" {
		return time.Time{}, nil
	}
	t, err := parseDateTime(until)
	if err != nil {
		return time.Time{}, errBadMetadata
	}
	return t, nil
}

// parseDateTime reads an xs:dateTime: RFC 3339 with optional fractional seconds, or
// without a zone, which SAML metadata means as UTC.
func parseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// providerARN parses the ARN member of a request and checks that it names a provider of
// kind ("oidc-provider" or "saml-provider"), returning the errors IAM gives for a
// malformed ARN. notFound is the NoSuchEntity error for a well-formed ARN of another
// kind, which cannot name a provider of this one.
func providerARN(field, s, kind string, notFound func(string) error) error {
	var v validation
	v.length(field, s, minARNLen, maxARNLen)
	if err := v.err(); err != nil {
		return err
	}
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" {
		return errValidation("Invalid ARN: " + s)
	}
	p, err := arn.ParseIAMProvider(s)
	if err != nil || p.Kind != kind {
		return notFound(s)
	}
	return nil
}

// oidcNotFound and samlNotFound are IAM's NoSuchEntity messages; "Manifest" is what IAM
// calls a SAML provider's metadata internally, and what its message says.
func oidcNotFound(a string) error {
	return errNoSuchEntity("OpenIDConnect Provider not found for arn %s", a)
}

func samlNotFound(a string) error {
	return errNoSuchEntity("Manifest not found for arn %s", a)
}

// Kinds as they appear in ARNs.
const (
	oidcResource = "oidc-provider"
	samlResource = "saml-provider"
)

func oidcARN(accountID, name string) string {
	return "arn:aws:iam::" + accountID + ":" + oidcResource + "/" + name
}

func samlARN(accountID, name string) string {
	return "arn:aws:iam::" + accountID + ":" + samlResource + "/" + name
}
