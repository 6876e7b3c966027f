// Package idp verifies login tokens of external identity providers: Cognito user pools,
// OpenID Connect providers registered through the IAM API, SAML providers, and the social
// providers (Google, Apple, Facebook, Login with Amazon, Twitter). Each verifier checks a
// token against its provider exactly as Cognito does and names the user it proves.
//
// # Entry point
//
// New(Config) returns a Verifier; Verifier.VerifyLogin(ctx, pool, provider, token) is
// what package cognito calls for every Logins entry. The Logins key chooses the verifier:
//
//   - a key of pool.SupportedLoginProviders: accounts.google.com and appleid.apple.com
//     (ID tokens, OpenID Connect), graph.facebook.com, www.amazon.com and api.twitter.com
//     (opaque access tokens, checked by asking the provider). www.digits.com is refused:
//     the service no longer exists.
//   - cognito-idp.<region>.amazonaws.com/<userPoolId> named by
//     pool.CognitoIdentityProviders: a user pool ID token.
//   - one of pool.SAMLProviderARNs: a base64 SAML response.
//   - the host/path of one of pool.OpenIDConnectProviderARNs: an ID token of that IAM
//     OIDC provider, read through Config.Providers (the IAM registry; storage implements
//     it) on every login so that IAM changes apply at once.
//   - anything else: NotAuthorizedException "Token is not from a supported provider of
//     this identity pool."
//
// Every refusal is an *awserr.Error: NotAuthorizedException for a token that is not
// valid (with AWS's messages where AWS's are known: "Invalid login token. Token expired:
// <now> >= <exp>", "Invalid login token. Issuer doesn't match providerName", "Invalid
// login token. Missing a required claim: aud", "Invalid login token. Couldn't verify
// signed token.", "Invalid login token. Not a valid OpenId Connect identity token."), and
// ExternalServiceException when the provider could not be asked (unreachable, a timeout,
// 5xx or 429, an answer that is not what its API documents). The reason a token failed
// (which key, what gosaml2 said) goes to Config.Logger, never to the client. Errors of
// other types are internal: the IAM registry failed.
//
// # JSON Web Tokens
//
// User pool, IAM OIDC, Google and Apple tokens share one path (verifyJWT):
//
//   - tokens over MaxJWTSize (16 KiB) are refused before any parsing;
//   - compact serialization only, algorithms RS256/384/512, PS256/384/512 and
//     ES256/384/512; "none" and HMAC are refused at parse time, so a token "signed" with a
//     provider's public key as an HMAC secret never reaches a key. A JWK that names an
//     algorithm verifies only that algorithm; a key's type must suit the algorithm;
//   - iss is checked before the signature, so a token of another issuer is refused with
//     AWS's message and without fetching any key;
//   - the signature is checked against the key with the token's kid (every key of the
//     set when the token has no kid);
//   - exp is required; exp, nbf and iat are applied with ClockSkew (5 minutes) through
//     the injected clock; sub is required;
//   - audience rules are the provider's: user pools want aud among the pool's app
//     clients for that user pool (no aud: an access token, "Missing a required claim:
//     aud") and token_use "id"; IAM OIDC providers want azp, when present, among the
//     provider's client IDs, else aud (string or array) containing one; Google and Apple
//     want aud among the IDs of the pool's value (comma-separated).
//
// Claims are the token's payload with numbers as json.Number (exact, as the token wrote
// them). AMRDetail is "<provider>:CognitoSignIn:<sub>" for user pools and
// "<provider>:<sub>" for the others.
//
// User pools publish their keys at <issuer>/.well-known/jwks.json, which is fetched
// directly; OIDC providers, Google and Apple go through
// <issuer>/.well-known/openid-configuration, whose issuer must be the one asked for
// (OpenID Connect Discovery 1.0, 4.3). Issuers and key URLs must be https, or http to a
// loopback host (a provider emulated on the same machine); the default HTTP client
// refuses redirects off https too.
//
// # The key cache
//
// One keySet per issuer holds its keys. Keys are fetched on first use, again after KeysTTL
// (1 hour, so a withdrawn key stops verifying), and again when a token names a kid the
// set lacks (the provider rotated). Every fetch is shared: callers that need keys while a
// fetch is in flight wait for it instead of starting their own, and a new fetch starts at
// most once per MinRefetchInterval (10 s) per issuer whatever the callers send, so tokens
// with invented kids cannot make idpool hammer a provider. The fetch runs detached from
// the caller that started it (a cancelled request does not fail the others waiting) under
// its own deadline, FetchTimeout (5 s). A JWKS that is down or slow is an
// ExternalServiceException; the failure is remembered for the interval. When a refresh
// of stale keys fails, the old keys keep verifying: the provider being down must not lock
// every user out.
//
// Why go-jose rather than go-oidc's IDTokenVerifier and RemoteKeySet: the verifier has to
// answer with AWS's messages and AWS's rules, and go-oidc's verifier decides those
// itself: its own error strings, a single client ID (no list, no azp rule), no skew on
// exp, no token_use. Its RemoteKeySet does share concurrent refreshes, but refetches on
// every unknown kid with no rate limit, has no TTL, no injected clock and no deadline of
// its own beyond the HTTP client's. What is left to go-jose is what it does well: strict
// compact parsing with an algorithm allowlist, JWK decoding, and signature verification.
//
// # SAML
//
// The provider's metadata (an EntityDescriptor, or an EntitiesDescriptor holding one) is
// read through Config.Providers and parsed once per version. gosaml2 then checks the
// response: a valid XML signature by one of the metadata's signing certificates over the
// response, or over every assertion (an unsigned response with unsigned assertions is
// refused, as is an unsigned assertion beside a signed one: the wrapping attack); the
// response's and assertion's Issuer equal to the metadata's entityID; status Success;
// bearer confirmation whose Recipient (and the response's Destination, when present) is
// an accepted recipient (Config.SAMLRecipients; default https://signin.aws.amazon.com/saml
// and the regional https://<region>.signin.aws.amazon.com/saml). gosaml2 only reports the
// Conditions (in WarningInfo), so idpool applies them itself: NotBefore/NotOnOrAfter with
// ClockSkew both ways, and an AudienceRestriction naming urn:amazon:webservices, which is
// required. The confirmation's NotOnOrAfter gets its skew by running gosaml2's clock
// ClockSkew behind. Exactly one assertion is accepted. An IAM provider whose ValidUntil
// has passed is refused.
//
// The login's subject is the NameID; AMRDetail is "<provider ARN>:<NameID>", the
// "<provider>:<subject>" form of the other providers (what AWS puts there for SAML is not
// documented). Claims are the attributes by name (one value: a string; several:
// []string), SAMLRoleAttribute always as []string of "roleArn,providerArn" pairs in
// either order as the IdP wrote them, and the NameID under SAMLNameIDClaim for principal
// tags.
//
// # Social providers with opaque tokens
//
//   - Facebook: GET <graph>/app?access_token=... names the app the token was issued to
//     (one of the pool's app IDs), then GET <graph>/me?fields=id names the user.
//     debug_token would take one call but needs the app secret, which a pool does not
//     have.
//   - Login with Amazon: GET <amazon>/auth/o2/tokeninfo names the client (aud) and
//     application (app_id); either may be the pool's value. The user is tokeninfo's
//     user_id, or GET <amazon>/user/profile's when tokeninfo omits it.
//   - Twitter: the token is "accessToken;accessSecret", the pool's value
//     "consumerKey;consumerSecret"; GET <twitter>/1.1/account/verify_credentials.json
//     signed with OAuth 1.0a HMAC-SHA1 names the user (id_str).
//
// A 4xx answer (other than 429) is the provider refusing the token:
// NotAuthorizedException. Their Claims are sub (the user) and aud (the app), what
// principal tag defaults read.
//
// # Where idpool differs from AWS
//
//   - ServerSideTokenCheck: AWS also asks the user pool whether the token was revoked;
//     idpool cannot ask AWS's user pools and checks signature and claims only (see
//     ServerSideTokenCheckBehavior).
//   - IAM OIDC thumbprints are not used: keys are fetched over TLS verified against the
//     system roots, as AWS now does for most providers.
//   - SAML: encrypted assertions are not supported (no private key is held for the
//     provider); OneTimeUse is not enforced (no replay cache); signing certificates must
//     be within their validity period (goxmldsig checks it); responses with several
//     assertions are refused.
//   - Messages AWS has not documented (not yet valid, oversized, SAML failures,
//     provider unreachable) are idpool's own, in AWS's "Invalid login token. ..." form.
//   - After a failed or rate-limited key fetch, a token signed by a key the provider
//     published less than MinRefetchInterval ago is refused until the interval passes.
package idp
