// Package sts is idpool's built-in Security Token Service: it mints the temporary
// credentials that GetCredentialsForIdentity returns, resolves their access keys for the
// SigV4 verifier, and serves the two STS actions that clients of identity pools call
// directly, AssumeRoleWithWebIdentity (the basic flow) and GetCallerIdentity.
//
// # Credentials
//
// Broker.Issue mints a Session: an access key "ASIA" + 16 base32 characters, a
// 40-character base64 secret, and an Expiry in whole seconds (DurationSeconds 900 to
// 43200, default 3600). Nothing is stored: the session token carries the secret and the
// rest of the session, sealed with the deployment's session keys (token.go), so any node
// checks any node's credentials and nothing is left to sweep when they expire.
// Broker.LookupAccessKey is a sigv4.CredentialSource over those tokens; ChainCredentials
// puts it behind the admin keys of the configuration file, so one Verifier accepts both.
//
// # Protocol
//
// AWS's query protocol, Version 2011-06-15, answered in XML in the namespace
// https://sts.amazonaws.com/doc/2011-06-15/, errors as
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
// AssumeRoleWithWebIdentity is unsigned, as in AWS (a signature, if present, is ignored);
// every other action is authenticated before it is looked up, so an unsigned caller
// learns nothing about which actions exist. Actions idpool does not serve (AssumeRole,
// GetSessionToken, AssumeRoleWithSAML, ...) are InvalidAction.
//
// # Where idpool differs from STS
//
//   - Roles need not be registered: any syntactically valid role ARN can be assumed; the
//     role ID in AssumedRoleId and UserId is derived from the ARN (RoleID); the maximum
//     session duration is STS's ceiling, 12 hours, not a per-role setting.
//   - The role's trust policy is replaced by a TrustPolicy. The default,
//     SameAccountTrust, lets a token assume roles of its identity pool's account only
//     (AccessDenied otherwise). The server can supply one that reads the pool's roles.
//   - Session policies (Policy, PolicyArns) are accepted and ignored: idpool enforces no
//     IAM permissions, so they could restrict nothing. The same goes for the scope-down
//     policy AWS applies to unauthenticated identities.
//   - Only idpool's own tokens are accepted (TokenVerifier), and Provider is
//     DefaultProvider unless configured.
package sts
