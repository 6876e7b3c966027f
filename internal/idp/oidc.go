package idp

import (
	"context"
	"strings"

	"github.com/idpool/idpool/internal/storage"
)

// userPoolClients returns the app client IDs the pool trusts for a user pool provider.
func userPoolClients(pool *storage.Pool, provider string) []string {
	var ids []string
	for _, cp := range pool.CognitoIdentityProviders {
		if cp.ProviderName == provider {
			ids = append(ids, cp.ClientID)
		}
	}
	return ids
}

// parseUserPoolProvider splits "cognito-idp.<region>.amazonaws.com/<userPoolId>".
func parseUserPoolProvider(provider string) (region, userPoolID string, ok bool) {
	rest, ok := strings.CutPrefix(provider, "cognito-idp.")
	if !ok {
		return "", "", false
	}
	region, userPoolID, ok = strings.Cut(rest, ".amazonaws.com/")
	if !ok || region == "" || userPoolID == "" || strings.ContainsAny(region, "/.") || strings.Contains(userPoolID, "/") {
		return "", "", false
	}
	return region, userPoolID, true
}

// verifyUserPool checks a Cognito user pool ID token. The keys are at
// <issuer>/.well-known/jwks.json, where user pools publish them (no discovery needed).
// token_use must be "id" and aud one of the app clients the pool trusts for this user
// pool; an access token has no aud and is refused as AWS refuses it. See
// ServerSideTokenCheckBehavior for what the server-side check amounts to here.
func (v *Verifier) verifyUserPool(ctx context.Context, pool *storage.Pool, provider, token string, clients []string) (*Login, error) {
	region, userPoolID, ok := parseUserPoolProvider(provider)
	if !ok {
		return nil, errNotSupported()
	}
	issuer := strings.TrimRight(v.userPoolIssuer(region, userPoolID), "/")
	if !allowedURL(issuer) {
		v.log.WarnContext(ctx, "idp: user pool issuer is neither https nor loopback http", "issuer", issuer)
		return nil, errNotSupported()
	}
	c, err := v.verifyJWT(ctx, token, []string{issuer}, v.keySet(issuer, issuer+"/.well-known/jwks.json"))
	if err != nil {
		return nil, err
	}
	if !c.hasAud {
		return nil, errMissingClaim("aud")
	}
	if !containsAny(c.aud, clients) {
		return nil, errNotSupported()
	}
	if c.tokenUse != "id" {
		return nil, errMalformed()
	}
	for _, cp := range pool.CognitoIdentityProviders {
		if cp.ProviderName == provider && cp.ServerSideTokenCheck && containsAny(c.aud, []string{cp.ClientID}) {
			v.log.DebugContext(ctx, "idp: ServerSideTokenCheck requested; revocation is not checked", "provider", provider, "client", cp.ClientID)
		}
	}
	return &Login{
		Login:     storage.Login{Provider: provider, Subject: c.sub},
		AMRDetail: provider + ":CognitoSignIn:" + c.sub,
		Claims:    c.all,
	}, nil
}

// verifyOIDCProvider checks an ID token of an OpenID Connect provider registered in IAM
// (arn names it). iss must be the provider's URL; azp, when present, must be one of the
// provider's client IDs, else aud must contain one.
func (v *Verifier) verifyOIDCProvider(ctx context.Context, pool *storage.Pool, provider, arn, token string) (*Login, error) {
	// Refuse what cannot be a token before reading the registry.
	if len(token) > MaxJWTSize {
		return nil, notAuthorizedf("The token is larger than %d bytes.", MaxJWTSize)
	}
	p, err := v.loadProvider(ctx, pool, arn, storage.ProviderOIDC)
	if err != nil {
		return nil, err
	}
	issuer := strings.TrimRight(p.URL, "/")
	if !strings.Contains(issuer, "://") {
		issuer = "https://" + issuer
	}
	if !allowedURL(issuer) {
		v.log.WarnContext(ctx, "idp: OIDC provider URL is neither https nor loopback http", "provider", arn, "url", p.URL)
		return nil, errNotSupported()
	}
	c, err := v.verifyJWT(ctx, token, []string{issuer, issuer + "/"}, v.keySet(issuer, ""))
	if err != nil {
		return nil, err
	}
	if c.azp != "" {
		if !containsAny([]string{c.azp}, p.ClientIDs) {
			return nil, errNotSupported()
		}
	} else if !containsAny(c.aud, p.ClientIDs) {
		return nil, errNotSupported()
	}
	return &Login{
		Login:     storage.Login{Provider: provider, Subject: c.sub},
		AMRDetail: provider + ":" + c.sub,
		Claims:    c.all,
	}, nil
}

// verifySocialOIDC checks an ID token of Google or Sign in with Apple: issuer discovery
// at issuer, iss one of issuers, aud one of the pool's client IDs.
func (v *Verifier) verifySocialOIDC(ctx context.Context, provider, issuer string, issuers, clientIDs []string, token string) (*Login, error) {
	if !allowedURL(issuer) {
		v.log.WarnContext(ctx, "idp: issuer is neither https nor loopback http", "provider", provider, "issuer", issuer)
		return nil, errNotSupported()
	}
	c, err := v.verifyJWT(ctx, token, issuers, v.keySet(issuer, ""))
	if err != nil {
		return nil, err
	}
	if !containsAny(c.aud, clientIDs) {
		return nil, errNotSupported()
	}
	return &Login{
		Login:     storage.Login{Provider: provider, Subject: c.sub},
		AMRDetail: provider + ":" + c.sub,
		Claims:    c.all,
	}, nil
}
