package bench

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The request bodies are appended by hand into a buffer each client reuses: encoding/json
// would allocate for every request, and the bench's CPU is taken from the server under
// test.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal. Control characters, quotes and
// backslashes are escaped, so are U+2028 and U+2029 (for JavaScript readers); invalid
// UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKey appends `,"name":` (without the comma when b ends with '{').
func appendKey(b []byte, name string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = appendJSONString(b, name)
	return append(b, ':')
}

func appendStringMember(b []byte, name, value string) []byte {
	return appendJSONString(appendKey(b, name), value)
}

func appendIntMember(b []byte, name string, v int) []byte {
	return strconv.AppendInt(appendKey(b, name), int64(v), 10)
}

func appendBoolMember(b []byte, name string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, name), v)
}

// appendMapMember appends a member whose value is an object of one string entry.
func appendMapMember(b []byte, name, key, value string) []byte {
	b = append(appendKey(b, name), '{')
	b = appendStringMember(b, key, value)
	return append(b, '}')
}

// Bodies of the operations, each appended to b[:0].

func bodyPool(b []byte, poolID string) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityPoolId", poolID)
	return append(b, '}')
}

func bodyGetCredentials(b []byte, identityID, cognitoToken string) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityId", identityID)
	if cognitoToken != "" {
		b = appendMapMember(b, "Logins", "cognito-identity.amazonaws.com", cognitoToken)
	}
	return append(b, '}')
}

// appendUser appends the developer user name of user k: "user-<k>", unquoted.
func appendUser(b []byte, k int) []byte {
	return strconv.AppendInt(append(b, "user-"...), int64(k), 10)
}

func bodyDeveloperToken(b []byte, poolID, provider string, user int) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityPoolId", poolID)
	b = append(appendKey(b, "Logins"), '{')
	b = append(appendKey(b, provider), '"')
	b = appendUser(b, user) // "user-<digits>" never needs escaping
	return append(b, '"', '}', '}')
}

func bodyListIdentities(b []byte, poolID string, maxResults int, nextToken string) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityPoolId", poolID)
	b = appendIntMember(b, "MaxResults", maxResults)
	if nextToken != "" {
		b = appendStringMember(b, "NextToken", nextToken)
	}
	return append(b, '}')
}

func bodyLookup(b []byte, poolID string, user, maxResults int) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityPoolId", poolID)
	b = append(appendKey(b, "DeveloperUserIdentifier"), '"')
	b = append(appendUser(b, user), '"')
	b = appendIntMember(b, "MaxResults", maxResults)
	return append(b, '}')
}

func bodyCreatePool(b []byte, name, developerProvider string) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityPoolName", name)
	b = appendBoolMember(b, "AllowUnauthenticatedIdentities", true)
	b = appendStringMember(b, "DeveloperProviderName", developerProvider)
	return append(b, '}')
}

func bodySetRoles(b []byte, poolID, authRole, unauthRole string) []byte {
	b = append(b[:0], '{')
	b = appendStringMember(b, "IdentityPoolId", poolID)
	b = append(appendKey(b, "Roles"), '{')
	b = appendStringMember(b, "authenticated", authRole)
	b = appendStringMember(b, "unauthenticated", unauthRole)
	return append(b, '}', '}')
}

// trustPolicy is the trust policy of a bench role: Cognito web identities of the pool,
// logged in as amr says ("authenticated" or "unauthenticated"), may assume it.
func trustPolicy(poolID, amr string) string {
	b := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":`)
	b = appendJSONString(b, poolID)
	b = append(b, `},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":`...)
	b = appendJSONString(b, amr)
	b = append(b, `}}}]}`...)
	return string(b)
}

// Responses: only the members the bench needs are decoded.

type idResponse struct {
	IdentityId string
}

type tokenResponse struct {
	IdentityId string
	Token      string
}

type listResponse struct {
	NextToken string
}

type poolResponse struct {
	IdentityPoolId        string
	DeveloperProviderName string
}

type errorResponse struct {
	Type     string `json:"__type"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Message2 string `json:"Message"`
}

// ErrTransport is the error type of requests that got no HTTP response.
const ErrTransport = "transport"

// ClassifyError names the error of a failed response, from its x-amzn-ErrorType header
// and JSON body: the __type (or the header) with any "namespace#" prefix and ":..."
// suffix removed. Without either it is "HTTP<status>" (e.g. "HTTP500" for a server that
// answers an operation it does not implement with an HTML error page). The message, when
// the body has one, is returned too.
func ClassifyError(status int, headerType string, body []byte) (typ, msg string) {
	var e errorResponse
	if len(body) > 0 && body[0] == '{' {
		_ = json.Unmarshal(body, &e)
	}
	msg = e.Message
	if msg == "" {
		msg = e.Message2
	}
	for _, t := range []string{e.Type, headerType, e.Code} {
		if t = cleanErrorType(t); t != "" {
			return t, msg
		}
	}
	return "HTTP" + strconv.Itoa(status), msg
}

// cleanErrorType strips "namespace#" before and ":details" after an error type name.
func cleanErrorType(t string) string {
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	return strings.TrimSpace(t)
}

// unsupported says whether an error type means the endpoint does not implement the
// operation: AWS's UnknownOperationException (and the query protocol's InvalidAction),
// NotImplemented, or an error page without an AWS error type (moto answers operations
// it lacks with HTTP 500 and an HTML page).
func unsupported(typ string) bool {
	switch typ {
	case "UnknownOperationException", "InvalidAction", "NotImplemented", "NotImplementedException",
		"HTTP404", "HTTP405", "HTTP500", "HTTP501":
		return true
	}
	return false
}
