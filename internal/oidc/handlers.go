package oidc

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// discovery is the OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3), in the
// shape AWS publishes for cognito-identity.amazonaws.com.
type discovery struct {
	Issuer string `json:"issuer"`
	// AuthorizationEndpoint is required by the specification and published by AWS, but
	// neither AWS nor idpool serves it: tokens come from the Cognito Identity API, never
	// from a browser flow. Verifiers only need issuer and jwks_uri.
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	ResponseTypes         []string `json:"response_types_supported"`
	SubjectTypes          []string `json:"subject_types_supported"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported       []string `json:"scopes_supported"`
	ClaimsSupported       []string `json:"claims_supported"`
}

func discoveryDocument(issuer string) ([]byte, error) {
	return json.Marshal(discovery{
		Issuer:                issuer,
		AuthorizationEndpoint: issuer + "/authorize",
		JWKSURI:               issuer + JWKSPath,
		ResponseTypes:         []string{"code", "token", "id_token"},
		SubjectTypes:          []string{"public"},
		IDTokenSigningAlgs:    []string{"RS512"},
		ScopesSupported:       []string{"openid"},
		ClaimsSupported:       []string{"sub", "aud", "iss", "amr", "exp", "iat", ClaimPoolARN, ClaimTags},
	})
}

// DiscoveryHandler serves the discovery document, GET <issuer>/.well-known/openid-configuration
// (DiscoveryPath). It changes only with the configuration, so caches may keep it an hour.
func (i *Issuer) DiscoveryHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveJSON(w, r, i.discovery, int(discoveryMaxAge.Seconds()), "")
	})
}

// JWKSHandler serves the public keys, GET <issuer>/.well-known/jwks_uri (JWKSPath): the
// signing key first, then the next key (already published, not yet signing), then
// retired keys that may still verify unexpired tokens. Because the next key is published
// a whole rotation period before it signs, a verifier that caches the JWKS for its
// max-age (at most an hour, and at most a quarter of the rotation period) always has the
// key of any token it receives; an ETag makes revalidation cheap.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := i.state.Load()
		serveJSON(w, r, st.jwks, i.jwksMaxAge, st.jwksETag)
	})
}

// serveJSON writes a public, cacheable JSON document.
func serveJSON(w http.ResponseWriter, r *http.Request, body []byte, maxAge int, etag string) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	// Public keys and metadata: browsers verifying tokens client-side may read them.
	h.Set("Access-Control-Allow-Origin", "*")
	if etag != "" {
		h.Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// etagMatch implements If-None-Match's weak comparison for a strong etag.
func etagMatch(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}
