package sigv4

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// canon builds the canonical request and string to sign of one request.
type canon struct {
	r           *http.Request
	p           *authParams
	payloadHash []byte
}

// bufPool holds the buffers the canonical request and string to sign are built in, so that
// verifying a request allocates nothing once the pool is warm. Pointers to slices are pooled
// so that Put does not allocate either.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledBuf keeps one huge request (many signed headers, a long query) from pinning a
// large buffer in the pool for ever.
const maxPooledBuf = 64 << 10

// hmacBlock is SHA-256's block size: the string to sign is written after this much room, so
// the HMAC's inner pad can be put in front of it without copying (see hmacKey32).
const hmacBlock = 64

// signature computes the request signature with the derived signing key. normalise selects
// the normalised form of the path (see needsNormalising).
func (c *canon) signature(key *[sha256.Size]byte, amzDate, scopeDate, region, service string, normalise bool) [sha256.Size]byte {
	bp := bufPool.Get().(*[]byte)
	b := c.appendCanonicalRequest((*bp)[:0], normalise)
	crHash := sha256.Sum256(b)

	// String to sign, after hmacBlock bytes of room for the inner pad.
	b = append(b[:0], make([]byte, hmacBlock)...)
	b = append(b, algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scopeDate...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	b = append(b, "/"+terminator+"\n"...)
	b = hex.AppendEncode(b, crHash[:])
	sig := hmacKey32(key, b)

	// The pad bytes are derived from the signing key: do not leave them lying in the pool.
	clear(b[:hmacBlock])
	if cap(b) <= maxPooledBuf {
		*bp = b[:0]
		bufPool.Put(bp)
	}
	return sig
}

// path is the request path as the client sent it, still percent-encoded.
func (c *canon) path() string {
	if p := c.r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// appendCanonicalRequest appends
//
//	METHOD \n URI \n QUERY \n HEADERS \n \n SIGNEDHEADERS \n PAYLOADHASH
//
// where HEADERS is one "name:value\n" line per signed header.
func (c *canon) appendCanonicalRequest(b []byte, normalise bool) []byte {
	method := c.r.Method
	if method == "" {
		method = http.MethodGet // as net/http reads an empty method
	}
	b = append(b, method...)
	b = append(b, '\n')

	// Services other than S3 encode the already-encoded path once more ("%20" becomes "%2520"):
	// the SDKs sign EscapedPath() passed through URI encoding again.
	p := c.path()
	if normalise {
		p = normalisePath(p)
	}
	b = appendEscaped(b, p, false)
	b = append(b, '\n')

	b = c.appendQuery(b)
	b = append(b, '\n')

	signed := c.p.signedHeaders
	for rest := signed; ; {
		name, tail, more := strings.Cut(rest, ";")
		b = append(b, name...)
		b = append(b, ':')
		b = c.appendHeader(b, name)
		b = append(b, '\n')
		if !more {
			break
		}
		rest = tail
	}
	b = append(b, '\n')
	b = append(b, signed...)
	b = append(b, '\n')
	return append(b, c.payloadHash...)
}

// appendHeader appends the canonical value of one signed header: each value trimmed with
// inner runs of spaces collapsed, repeated headers joined with ",".
func (c *canon) appendHeader(b []byte, name string) []byte {
	switch {
	case strings.EqualFold(name, "host") || name == ":authority":
		// net/http moves Host out of the header map.
		host := c.r.Host
		if host == "" {
			host = c.r.URL.Host
		}
		return appendTrimmed(b, host)
	case strings.EqualFold(name, "content-length") && c.r.ContentLength >= 0:
		// net/http keeps the length in ContentLength; the header may be absent on requests
		// built in process.
		return strconv.AppendInt(b, c.r.ContentLength, 10)
	}
	for i, v := range headerValues(c.r.Header, name) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrimmed(b, v)
	}
	return b
}

// headerValues looks up a header by its lowercase name. The canonical key is built on the
// stack: textproto.CanonicalMIMEHeaderKey would allocate for every lowercase name.
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) == 0 || len(name) > len(buf) {
		return h[textproto.CanonicalMIMEHeaderKey(name)]
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isTokenByte(c) {
			// textproto leaves such names as they are.
			return h[name]
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[i] = c
		upper = c == '-'
	}
	return h[string(buf[:len(name)])]
}

// isTokenByte reports whether c may appear in an HTTP header name (RFC 9110 tchar).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// appendTrimmed appends v without leading and trailing white space and with each run of
// spaces collapsed to one, as the SDKs do. Only spaces collapse: the Go SDK leaves inner tabs
// alone, and net/http has already removed the white space at the ends.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}

// appendQuery appends the canonical query string: every parameter name and value
// URI-encoded, then sorted by name and value, X-Amz-Signature left out of a presigned URL.
// The sort is after encoding, as the specification and the SDKs do it.
func (c *canon) appendQuery(b []byte) []byte {
	q := c.p.query
	if !c.p.presigned {
		if c.r.URL.RawQuery == "" {
			return b
		}
		q, _ = url.ParseQuery(c.r.URL.RawQuery)
	}
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		if c.p.presigned && k == "X-Amz-Signature" {
			continue
		}
		ek := string(appendEscaped(nil, k, true))
		for _, v := range vs {
			pairs = append(pairs, pair{ek, string(appendEscaped(nil, v, true))})
		}
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if d := cmp.Compare(x.k, y.k); d != 0 {
			return d
		}
		return cmp.Compare(x.v, y.v)
	})
	for i, kv := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, kv.k...)
		b = append(b, '=')
		b = append(b, kv.v...)
	}
	return b
}

// appendEscaped URI-encodes s per RFC 3986: everything but A-Z a-z 0-9 - _ . ~ becomes %XX
// with upper-case hex. '/' is kept unless slash is set (paths keep it, query components do
// not).
func appendEscaped(b []byte, s string, slash bool) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !slash) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return b
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// needsNormalising reports whether the path has dot segments or empty segments, which
// botocore removes before signing and the Go SDK keeps.
func needsNormalising(p string) bool {
	return strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
}

// normalisePath removes "." and ".." segments and empty segments the way botocore does
// (RFC 3986 section 5.2.4, plus collapsing "//", which AWS services also expect). A trailing
// slash is kept.
func normalisePath(p string) string {
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if strings.HasPrefix(p, "/") {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}
