// Package rolemap chooses the IAM role of an authenticated login in the enhanced flow
// (GetCredentialsForIdentity), from the pool's authenticated role, the role mapping of the
// login's provider, the login token's claims and the caller's CustomRoleArn. It is pure
// (no I/O, no clock) and depends on the standard library only; the caller turns its
// *Denied and *NoRole errors into AWS's exceptions:
//
//   - *Denied: NotAuthorizedException "The ambiguous role mapping rules for: <provider>
//     denied this request."
//   - *NoRole: InvalidIdentityPoolConfigurationException "Invalid identity pool
//     configuration. Check assigned IAM roles for this pool."
//
// The rules follow Amazon Cognito's documented behaviour; where AWS does not say, this
// package decides as follows (and its tests pin each decision):
//
//   - No mapping, not SAML: the authenticated role; a CustomRoleArn is ignored, as AWS
//     documents it only for providers that send several roles.
//   - No mapping, SAML (Input.SAMLRoles non-nil): the roles of the assertion's Role
//     attribute ("roleArn,providerArn" in either order; the element with ":role/" is
//     the role). A CustomRoleArn must be one of them, else *Denied; without one, a single
//     role is used, and none or several fall back to the authenticated role.
//   - Token: cognito:roles is an array or a comma-separated string. A CustomRoleArn must
//     be one of the roles, else *Denied; then cognito:preferred_role; then a single role;
//     none or several are ambiguous. A SAML login without a cognito:roles claim uses the
//     assertion's roles instead.
//   - Rules: in order, the first matching rule wins, unless the CustomRoleArn is the role
//     of some matching rule, which then wins; a CustomRoleArn matching no rule is ignored.
//     Equals, NotEqual, StartsWith and Contains compare case-sensitively. A missing (or
//     null) claim matches no rule, NotEqual included. An array claim matches when any
//     element matches; NotEqual matches when no element equals the value (so an empty
//     array matches it). Numbers and booleans compare by their JSON text (1, 2.5, true).
//     Nested objects never match.
//   - Ambiguity or no match: AmbiguousRoleResolution "AuthenticatedRole" uses the
//     authenticated role (*NoRole when there is none); "Deny", and any other value, deny.
//   - An unknown mapping Type is a configuration error: *NoRole.
package rolemap
