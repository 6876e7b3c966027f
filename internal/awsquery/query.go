package awsquery

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Params are the decoded parameters of one request, by name. A name given twice keeps
// its first value: the query protocol never repeats a name, and taking the first is as
// good a rule as any for clients that do.
type Params map[string]string

// Get returns the parameter name, or "" if the request has none.
func (p Params) Get(name string) string { return p[name] }

// Has reports whether the request has the parameter name, empty or not.
func (p Params) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// MaxParams bounds the distinct parameters of one request. The largest legitimate IAM
// request (100 client IDs, 50 tags, 5 thumbprints) has a few hundred; without a bound, a
// body of tiny parameters could cost many times its size in map entries.
const MaxParams = 10_000

// errMalformedQuery is AWS's common error for a query string that does not decode; AWS
// documents it with status 404.
func errMalformedQuery() *Error {
	return NewError("MalformedQueryString", http.StatusNotFound, "The query string contains a syntax error.")
}

func errTooManyParams() *Error {
	return NewError("InvalidQueryParameter", http.StatusBadRequest, "The request has more than %d parameters.", MaxParams)
}

// ParseQuery adds the parameters of an application/x-www-form-urlencoded string (a query
// string or a POST body) to p.
//
// It is stricter than url.ParseQuery in one way and looser in another, both to match AWS:
// an invalid percent escape fails the whole request (MalformedQueryString) rather than
// being skipped, and ';' is an ordinary character rather than an error. Bytes that do not
// form UTF-8 become U+FFFD, as they do when AWS's Java front end decodes them, so every
// value downstream is valid UTF-8 and survives the trip through JSON storage and XML
// responses unchanged. More than MaxParams distinct names is InvalidQueryParameter.
func ParseQuery(p Params, s string) error {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return errMalformedQuery()
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return errMalformedQuery()
		}
		key, val = strings.ToValidUTF8(key, "\uFFFD"), strings.ToValidUTF8(val, "\uFFFD")
		if _, dup := p[key]; !dup {
			if len(p) >= MaxParams {
				return errTooManyParams()
			}
			p[key] = val
		}
	}
	return nil
}

// Decode returns the parameters of r: those of its query string and, for a form POST,
// those of body, the query string's first where a name is in both.
func Decode(r *http.Request, body []byte) (Params, error) {
	p := Params{}
	if err := ParseQuery(p, r.URL.RawQuery); err != nil {
		return nil, err
	}
	if r.Method == http.MethodPost && IsForm(r.Header.Get("Content-Type")) {
		if err := ParseQuery(p, string(body)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// IsForm reports whether a POST body carries the parameters: form-encoded, or with no
// Content-Type at all, which some hand-written clients send.
func IsForm(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// Action returns the request's Action and Version, the Version being version when the
// request has none: every SDK sends it, and a hand-written request without one can only
// mean the current version. A request without an Action is MissingAction.
func Action(p Params, version string) (action, v string, err error) {
	action = p["Action"]
	if action == "" {
		return "", "", NewError("MissingAction", http.StatusBadRequest, "Missing Action")
	}
	v, ok := p["Version"]
	if !ok {
		v = version
	}
	return action, v, nil
}
