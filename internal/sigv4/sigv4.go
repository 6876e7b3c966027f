package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/awserr"
)

// Credential is what the server knows about an access key.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is non-empty for temporary credentials: the request must then carry the
	// same X-Amz-Security-Token.
	SessionToken string
	AccountID    string
	// Expiry is when temporary credentials stop working; zero for long-term ones. A
	// request signed with expired ones is ExpiredToken, which SDKs take as their cue to
	// fetch new credentials.
	Expiry time.Time
	// PrincipalARN and UserID name who temporary credentials act as (an assumed-role
	// session), for GetCallerIdentity; empty for long-term keys, which act as the account.
	PrincipalARN, UserID string
}

// String omits the secret and the session token so that a credential printed by accident
// (a log line, a test failure) leaks nothing.
func (c Credential) String() string {
	return "{AccessKeyID:" + c.AccessKeyID + " AccountID:" + c.AccountID + "}"
}

// GoString is String for %#v, for the same reason.
func (c Credential) GoString() string { return "sigv4.Credential" + c.String() }

// LogValue keeps the secret out of slog output, whichever handler is used.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.String("account_id", c.AccountID))
}

// CredentialSource finds the credential for an access key. sessionToken is the request's
// X-Amz-Security-Token, empty when it has none: temporary credentials travel in their
// token (package sts), so a source may need it to find the secret. ok=false means the key
// is unknown; err is for failures of the source itself, and is returned to Verify's
// caller unchanged (wrapped), not as an AWS error.
type CredentialSource interface {
	LookupAccessKey(ctx context.Context, accessKeyID, sessionToken string) (c Credential, ok bool, err error)
}

// StaticCredentials is a fixed set of credentials keyed by access key ID, for the admin keys
// of the configuration file.
type StaticCredentials map[string]Credential

// LookupAccessKey implements CredentialSource.
func (s StaticCredentials) LookupAccessKey(_ context.Context, accessKeyID, _ string) (Credential, bool, error) {
	c, ok := s[accessKeyID]
	return c, ok, nil
}

// Verifier checks SigV4 signatures. Set the exported fields before first use and do not copy
// a Verifier after that (it holds a cache and a mutex). It is safe for concurrent use.
type Verifier struct {
	// Region is the server's region; the credential scope must name it.
	Region string
	// Credentials resolves access keys. Required.
	Credentials CredentialSource
	// Now is the clock; nil means time.Now. Injected for tests.
	Now func() time.Time
	// MaxSkew is how far the request date may be from Now, either way; 0 means 5 minutes.
	MaxSkew time.Duration
	// AllowUnsignedPayload accepts "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD", leaving the body
	// out of the signature. AWS allows this for S3 only; leave it false for JSON/query APIs.
	AllowUnsignedPayload bool

	keys keyCache
}

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	iso8601Basic    = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	defaultMaxSkew  = 5 * time.Minute
	// maxExpires is the longest X-Amz-Expires AWS accepts: seven days.
	maxExpires = 7 * 24 * time.Hour

	msgMissingToken  = "Missing Authentication Token"
	msgInvalidToken  = "The security token included in the request is invalid."
	msgExpiredToken  = "The security token included in the request is expired"
	msgMismatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
)

// Signed reports whether the request carries any SigV4 material: an Authorization header
// starting "AWS4-", or an X-Amz-Algorithm or X-Amz-Signature query parameter. A request for
// which Signed is true must pass Verify; one for which it is false is anonymous. An
// Authorization header of another scheme (Bearer, SigV2) does not count, as on AWS, where such
// a request is treated as carrying no token.
func Signed(r *http.Request) bool {
	if strings.HasPrefix(firstHeader(r.Header, "Authorization"), "AWS4-") {
		return true
	}
	q := r.URL.RawQuery
	return q != "" && (hasQueryKey(q, "X-Amz-Algorithm") || hasQueryKey(q, "X-Amz-Signature"))
}

// authParams is the signature material of one request, from its headers or its query.
type authParams struct {
	credential    string // accesskey/date/region/service/terminator
	signedHeaders string // as the client wrote it: lowercase names joined with ';'
	signature     string // hex
	date          string // X-Amz-Date, or the Date header when httpDate is set
	httpDate      bool
	token         string
	hasToken      bool
	presigned     bool
	query         url.Values // decoded query, presigned requests only
	expires       time.Duration
	hasExpires    bool
}

// Verify checks r, whose body has already been read into body, for the signing name service
// (for example "cognito-identity", "sts", "iam"), and returns the credential that signed it.
// Failures are *awserr.Error values with AWS's codes and messages; only a failure of the
// CredentialSource is returned as a plain (wrapped) error.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, service string) (Credential, error) {
	p, err := v.params(r)
	if err != nil {
		return Credential{}, err
	}

	if !signsHost(p.signedHeaders) {
		return Credential{}, awserr.New(awserr.InvalidSignature, msgHostNotSigned)
	}

	reqTime, amzDate, err := requestTime(p.date, p.httpDate)
	if err != nil {
		return Credential{}, err
	}
	if err := v.checkTime(reqTime, p); err != nil {
		return Credential{}, err
	}

	accessKey, scopeDate, err := v.checkScope(p.credential, amzDate, service)
	if err != nil {
		return Credential{}, err
	}

	// The payload line of the canonical request. AWS hashes the body it received; a client
	// that claims another hash in X-Amz-Content-Sha256 cannot have signed this body.
	bodySum := sha256.Sum256(body)
	var payload [2 * sha256.Size]byte
	hex.Encode(payload[:], bodySum[:])
	payloadHash := payload[:]
	if claimed, ok := r.Header["X-Amz-Content-Sha256"]; ok && len(claimed) > 0 {
		switch c := claimed[0]; {
		case c == unsignedPayload:
			if v.AllowUnsignedPayload {
				payloadHash = []byte(unsignedPayload)
			}
		case c != string(payload[:]):
			return Credential{}, awserr.New(awserr.InvalidSignature, msgMismatch)
		}
	}

	cred, ok, err := v.Credentials.LookupAccessKey(ctx, accessKey, p.token)
	if err != nil {
		return Credential{}, fmt.Errorf("sigv4: looking up access key: %w", err)
	}
	if !ok {
		return Credential{}, awserr.New(awserr.UnrecognizedClient, msgInvalidToken)
	}

	var want [sha256.Size]byte
	if !decodeSignature(&want, p.signature) {
		return Credential{}, awserr.New(awserr.InvalidSignature, msgMismatch)
	}
	key := v.keys.signingKey(cred.SecretAccessKey, scopeDate, v.Region, service)
	c := canon{r: r, p: &p, payloadHash: payloadHash}
	got := c.signature(&key, amzDate, scopeDate, v.Region, service, false)
	matched := hmac.Equal(got[:], want[:])
	if !matched && needsNormalising(c.path()) {
		// botocore normalises "a/../b" and "a//b" before signing; the Go SDK does not. The
		// request is the same either way, so either canonical form is accepted.
		got = c.signature(&key, amzDate, scopeDate, v.Region, service, true)
		matched = hmac.Equal(got[:], want[:])
	}
	if !matched {
		return Credential{}, awserr.New(awserr.InvalidSignature, msgMismatch)
	}

	// Temporary credentials are valid only with their token; long-term ones with none. The
	// comparison is constant time because the token is a bearer secret.
	if cred.SessionToken != "" || p.hasToken {
		if !p.hasToken || !equalConstantTime(p.token, cred.SessionToken) {
			return Credential{}, awserr.New(awserr.UnrecognizedClient, msgInvalidToken)
		}
	}
	// Only now, after the signature: only the credentials' owner learns they expired.
	if !cred.Expiry.IsZero() && !v.now().Before(cred.Expiry) {
		return Credential{}, awserr.New(awserr.ExpiredToken, msgExpiredToken)
	}
	return cred, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// params finds the signature material: header or query, never both.
func (v *Verifier) params(r *http.Request) (authParams, error) {
	authz := firstHeader(r.Header, "Authorization")
	inHeader := strings.HasPrefix(authz, "AWS4-")
	inQuery := r.URL.RawQuery != "" && hasQueryKey(r.URL.RawQuery, "X-Amz-Algorithm")
	switch {
	case inHeader && inQuery:
		// AWS refuses the ambiguity with a plain signature mismatch.
		return authParams{}, awserr.New(awserr.InvalidSignature, msgMismatch)
	case inHeader:
		return headerParams(authz, r.Header)
	case inQuery:
		return queryParams(r.URL.RawQuery)
	}
	return authParams{}, awserr.New(awserr.MissingAuthenticationToken, msgMissingToken)
}

// headerParams reads the Authorization header and the date and token headers.
func headerParams(authz string, h http.Header) (authParams, error) {
	a, err := parseAuthorization(authz)
	if err != nil {
		return authParams{}, err
	}
	p := authParams{credential: a.credential, signedHeaders: a.signedHeaders, signature: a.signature}
	if d, ok := h["X-Amz-Date"]; ok && len(d) > 0 {
		p.date = d[0]
	} else if d, ok := h["Date"]; ok && len(d) > 0 {
		p.date, p.httpDate = d[0], true
	}
	if !a.hasCredential || !a.hasSignature || !a.hasSignedHeaders || p.date == "" {
		var b strings.Builder
		if !a.hasCredential {
			b.WriteString("Authorization header requires 'Credential' parameter. ")
		}
		if !a.hasSignature {
			b.WriteString("Authorization header requires 'Signature' parameter. ")
		}
		if !a.hasSignedHeaders {
			b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
		}
		if p.date == "" {
			b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		b.WriteString("Authorization=")
		b.WriteString(authz)
		return authParams{}, awserr.New(awserr.IncompleteSignature, b.String())
	}
	if t, ok := h["X-Amz-Security-Token"]; ok && len(t) > 0 {
		if len(t) > 1 {
			// Two tokens cannot both be right; refuse rather than pick one.
			return authParams{}, awserr.New(awserr.UnrecognizedClient, msgInvalidToken)
		}
		p.token, p.hasToken = t[0], true
	}
	return p, nil
}

// queryParams reads presigned-URL parameters. Only reached when X-Amz-Algorithm is present, so
// the map it builds costs nothing on the header-signed path.
func queryParams(rawQuery string) (authParams, error) {
	// url.ParseQuery is what the AWS SDKs use to read the query they sign, so pairs it drops
	// (bad escapes, ';') are dropped from the canonical query here too.
	q, _ := url.ParseQuery(rawQuery)
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return authParams{}, awserr.Newf(awserr.IncompleteSignature, "Unsupported AWS 'algorithm': '%s' (only %s for now). ", alg, algorithm)
	}
	p := authParams{presigned: true, query: q}
	var missing strings.Builder
	get := func(name string, dst *string) {
		vs, ok := q[name]
		if !ok || len(vs) == 0 {
			missing.WriteString("AWS query-string parameters must include '" + name + "'. ")
			return
		}
		*dst = vs[0]
	}
	get("X-Amz-Credential", &p.credential)
	get("X-Amz-Signature", &p.signature)
	get("X-Amz-SignedHeaders", &p.signedHeaders)
	get("X-Amz-Date", &p.date)
	if missing.Len() > 0 {
		return authParams{}, awserr.New(awserr.IncompleteSignature, missing.String()+"Re-examine the query-string parameters.")
	}
	if vs, ok := q["X-Amz-Security-Token"]; ok && len(vs) > 0 {
		if len(vs) > 1 {
			return authParams{}, awserr.New(awserr.UnrecognizedClient, msgInvalidToken)
		}
		p.token, p.hasToken = vs[0], true
	}
	if vs, ok := q["X-Amz-Expires"]; ok && len(vs) > 0 {
		d, err := parseExpires(vs[0])
		if err != nil {
			return authParams{}, err
		}
		p.expires, p.hasExpires = d, true
	}
	return p, nil
}

// parseExpires reads X-Amz-Expires: whole seconds, at most a week, as AWS requires.
func parseExpires(s string) (time.Duration, error) {
	if strings.HasPrefix(s, "-") {
		return 0, awserr.New(awserr.IncompleteSignature, "X-Amz-Expires must be non-negative")
	}
	if s == "" {
		return 0, awserr.New(awserr.IncompleteSignature, "X-Amz-Expires should be a number")
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, awserr.New(awserr.IncompleteSignature, "X-Amz-Expires should be a number")
		}
		if n <= int64(maxExpires/time.Second) { // stop growing once over the limit: no overflow
			n = n*10 + int64(c-'0')
		}
	}
	d := time.Duration(n) * time.Second
	if d > maxExpires {
		return 0, awserr.New(awserr.IncompleteSignature, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	return d, nil
}

// signsHost reports whether the signed headers include the host. Without it a signature made
// for one endpoint would be valid at any other that shares the key.
func signsHost(signed string) bool {
	for rest := signed; ; {
		name, tail, more := strings.Cut(rest, ";")
		if strings.EqualFold(name, "host") || name == ":authority" {
			return true
		}
		if !more {
			return false
		}
		rest = tail
	}
}

// requestTime parses the request date and returns it with its ISO 8601 basic form, which is
// what goes into the string to sign.
func requestTime(date string, httpDate bool) (time.Time, string, error) {
	if httpDate {
		t, err := http.ParseTime(date)
		if err != nil {
			return time.Time{}, "", badDate(date)
		}
		t = t.UTC()
		return t, t.Format(iso8601Basic), nil
	}
	t, ok := parseBasic(date)
	if !ok {
		return time.Time{}, "", badDate(date)
	}
	return t, date, nil
}

func badDate(date string) error {
	return awserr.Newf(awserr.IncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", date)
}

// parseBasic parses exactly YYYYMMDDTHHMMSSZ. It is stricter than time.Parse (which accepts
// out-of-range fields in some layouts) and does not allocate.
func parseBasic(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(4, 2)
	d, ok3 := num(6, 2)
	h, ok4 := num(9, 2)
	mi, ok5 := num(11, 2)
	sec, ok6 := num(13, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // 20230231 normalises to March
		return time.Time{}, false
	}
	return t, true
}

// checkTime enforces the clock window: MaxSkew either way, or for a presigned URL with
// X-Amz-Expires, that long after its date.
func (v *Verifier) checkTime(reqTime time.Time, p authParams) error {
	now := v.now().UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = defaultMaxSkew
	}
	past := skew
	if p.presigned && p.hasExpires {
		past = p.expires
	}
	if earliest := now.Add(-past); reqTime.Before(earliest) {
		return awserr.Newf(awserr.InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s.)",
			reqTime.Format(iso8601Basic), earliest.Format(iso8601Basic), now.Format(iso8601Basic), durationString(past))
	}
	if latest := now.Add(skew); reqTime.After(latest) {
		return awserr.Newf(awserr.InvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s.)",
			reqTime.Format(iso8601Basic), latest.Format(iso8601Basic), now.Format(iso8601Basic), durationString(skew))
	}
	return nil
}

// durationString renders a window the way AWS does: "5 min", or "90 sec" when not whole
// minutes.
func durationString(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d sec", d/time.Second)
}

// checkScope validates accesskey/date/region/service/terminator and returns the access key
// and the scope date. All scope errors are reported together, as AWS does.
func (v *Verifier) checkScope(credential, amzDate, service string) (accessKey, date string, err error) {
	// AWS ignores trailing slashes here.
	trimmed := strings.TrimRight(credential, "/")
	var parts [5]string
	n := 0
	for rest := trimmed; ; n++ {
		part, tail, more := strings.Cut(rest, "/")
		if n < len(parts) {
			parts[n] = part
		}
		if !more {
			n++
			break
		}
		rest = tail
	}
	if n != len(parts) {
		return "", "", awserr.Newf(awserr.IncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", credential)
	}
	accessKey, date = parts[0], parts[1]
	region, svc, term := parts[2], parts[3], parts[4]
	if region == v.Region && svc == service && term == terminator && date == amzDate[:8] {
		return accessKey, date, nil
	}
	var b strings.Builder
	if region != v.Region {
		b.WriteString("Credential should be scoped to a valid region, not '" + region + "'. ")
	}
	if svc != service {
		b.WriteString("Credential should be scoped to correct service: '" + service + "'. ")
	}
	if term != terminator {
		b.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '" + term + "'. ")
	}
	if date != amzDate[:8] {
		b.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			date + "' != '" + amzDate[:8] + "', from '" + amzDate + "'.")
	}
	return "", "", awserr.New(awserr.InvalidSignature, b.String())
}

// decodeSignature decodes a lowercase hex signature. AWS compares the hex text, so uppercase
// hex is a mismatch there and here.
func decodeSignature(dst *[sha256.Size]byte, s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// firstHeader is Header.Get for a name already in canonical form, without canonicalising it
// again.
func firstHeader(h http.Header, canonicalName string) string {
	if vs := h[canonicalName]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// hasQueryKey reports whether the raw query has a parameter named key, without building a map.
func hasQueryKey(rawQuery, key string) bool {
	for rest := rawQuery; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, _, _ := strings.Cut(pair, "=")
		if k == key {
			return true
		}
		if strings.ContainsAny(k, "%+") {
			if u, err := url.QueryUnescape(k); err == nil && u == key {
				return true
			}
		}
	}
	return false
}

// equalConstantTime compares two strings in time that depends only on their lengths. It works
// on the strings directly because converting a long token to []byte would allocate.
func equalConstantTime(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := 0; i < len(a); i++ {
		d |= a[i] ^ b[i]
	}
	return d == 0
}
