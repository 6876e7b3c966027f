package sigv4

import (
	"strings"

	"github.com/idpool/idpool/internal/awserr"
)

// authorization is a parsed Authorization header. Its strings are slices of the header, so
// parsing does not allocate.
type authorization struct {
	credential, signedHeaders, signature          string
	hasCredential, hasSignedHeaders, hasSignature bool
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request, SignedHeaders=a;b, Signature=hex
//
// The parameters are separated by commas and/or white space, as AWS reads them: a stray space
// inside a value ("Credential= AKID/...") makes the rest a separate, invalid parameter, which
// is how AWS reports it. A repeated parameter keeps its last value, and unknown parameters are
// ignored. Missing parameters are reported by the caller, together with a missing date.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	alg, rest := cutWord(strings.TrimLeft(h, " \t"))
	if alg != algorithm {
		return a, awserr.New(awserr.IncompleteSignature,
			"Unsupported AWS 'algorithm': '"+alg+"' (only "+algorithm+" for now). ")
	}
	for rest != "" {
		var tok string
		tok, rest = cutParam(rest)
		if tok == "" {
			continue
		}
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return authorization{}, awserr.New(awserr.IncompleteSignature,
				"'"+tok+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+h+"'.")
		}
		switch k {
		case "Credential":
			a.credential, a.hasCredential = v, true
		case "SignedHeaders":
			a.signedHeaders, a.hasSignedHeaders = v, true
		case "Signature":
			a.signature, a.hasSignature = v, true
		}
	}
	return a, nil
}

// cutWord splits s at its first space or tab.
func cutWord(s string) (word, rest string) {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// cutParam splits s at its first comma, space or tab.
func cutParam(s string) (param, rest string) {
	if i := strings.IndexAny(s, ", \t"); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}
