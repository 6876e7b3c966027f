// Package oidc is idpool's own OpenID token issuer: it signs the tokens GetOpenIdToken and
// GetOpenIdTokenForDeveloperIdentity return, verifies them when they come back as the
// cognito-identity.amazonaws.com login, rotates the signing keys, and serves the discovery
// document and the JWKS that external verifiers (STS, MinIO, go-oidc, jose) use.
//
// # Tokens
//
// Compact JWS, header {"alg":"RS512","kid":...,"typ":"JWS"} as AWS writes it, claims iss,
// sub (identity ID), aud (pool ID, a string), amr, iat, exp, the pool ARN claim
// https://cognito-identity.amazonaws.com/identity-pool-arn, and principal tags as
// {"https://aws.amazon.com/tags": {"principal_tags": {"k": ["v"]}}}. Verify accepts RS512
// only, our keys only, and no clock skew on exp (we issued the token with this clock).
// Tokens longer than MaxTokenSize are neither issued nor verified.
//
// # Keys and rotation
//
// Keys live in storage.KeyStore, shared by every node; every change is a compare-and-swap
// through KeyStore.UpdateKeys, so nodes that start or rotate at the same moment agree on one
// result instead of overwriting each other. Key IDs are RFC 7638 thumbprints. The signing
// key rotates every RotationPeriod (default 24 h, DefaultRotationPeriod); the retired key
// stays published MaxTokenLifetime (default 24 h, the longest developer token) plus five
// minutes of grace for nodes that have not yet noticed the rotation, then is dropped.
//
// The next signing key is generated one rotation ahead and published in the JWKS before it
// signs anything. The stored key set therefore holds two private keys (signing and next)
// and its VerificationKeys list the signing key, the next key (both with a zero Expiry) and
// the retired keys (newest first). This is what makes JWKS caching safe: a verifier that
// fetched the JWKS at most max-age ago already knows every key a token can carry, even one
// that honours Cache-Control and never refetches on an unknown kid. The JWKS max-age is one
// hour, or a quarter of the rotation period if that is shorter; Run refreshes each node from
// storage every 30 s, well inside the margin. Exceptions: the very first key (no verifier
// can have cached a JWKS before it), and a forced rotation shortly after another one.
//
// # Private keys at rest
//
// Private keys are stored as length-prefixed PKCS#8 DER behind a format byte: 0x01 plain,
// 0x02 AES-256-GCM under the configured KEK (Config.KEK, ParseKEK), with the signing key
// ID as additional data. A node without the KEK, or with another one, refuses to start
// (ErrKEKMissing, ErrWrongKEK). A node given a KEK on a store whose keys are still plain
// encrypts them in place at startup (same keys, nothing else changes), so adding a KEK to
// a running deployment takes one restart; nodes still without the KEK then fail to reload
// the keys (they log it and keep serving what they have) until they get it too.
//
// # Multi-node behaviour
//
// Issue, Verify and the handlers read an immutable snapshot through an atomic pointer.
// Run reloads the snapshot from storage periodically and rotates when due; Verify also
// reloads (at most every 5 s) on a kid it does not know, so a token signed by a node that
// rotated a moment ago verifies everywhere.
package oidc
