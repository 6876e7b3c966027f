// Package iam serves the part of the AWS IAM API that identity pools depend on: the OpenID
// Connect and SAML identity providers that a pool's OpenIdConnectProviderARNs and
// SamlProviderARNs name. With it, the same SDK calls, CLI commands and infrastructure code
// that register providers in AWS register them in idpool.
//
// # Protocol
//
// IAM speaks AWS's query protocol, not the JSON protocol of Cognito Identity: a POST with
// a form-encoded body (or a GET with a query string) carrying Action, Version=2010-05-08
// and the members, lists flattened as "ClientIDList.member.1=...", answered in XML in the
// namespace https://iam.amazonaws.com/doc/2010-05-08/:
//
//	<CreateOpenIDConnectProviderResponse xmlns="...">
//	  <CreateOpenIDConnectProviderResult>...</CreateOpenIDConnectProviderResult>
//	  <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
//	</CreateOpenIDConnectProviderResponse>
//
// Errors come as <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>, with
// IAM's codes and statuses: NoSuchEntity 404, EntityAlreadyExists and LimitExceeded 409,
// InvalidInput and ValidationError 400, ServiceFailure 500 for anything internal (whose
// details go to the log, never to the client), and AWS's common errors (InvalidAction,
// MissingAction, MalformedQueryString, and the authentication failures under their query
// protocol names: MissingAuthenticationToken, InvalidClientTokenId, SignatureDoesNotMatch,
// IncompleteSignature). The handler has the shape of internal/awsjson's: read and bound
// the body, authenticate through a small interface, decode, validate, run, write.
//
// # Where idpool differs from IAM
//
// It differs only where a self-hosted server must:
//   - an OpenID Connect provider URL may use http:// when its host is a loopback address
//     (127.0.0.0/8, ::1, localhost), so that an issuer on the developer's machine can be
//     registered, and may carry a port;
//   - thumbprints must be hexadecimal (IAM takes any 40 characters, which can never match
//     a certificate), and are not fetched from the issuer when none are given: the list
//     then stays empty;
//   - the OIDC provider's URL is stored without a trailing slash, so "https://host/" and
//     "https://host" are the same provider;
//   - SAML assertion encryption (AddPrivateKey, AssertionEncryptionMode=Required) is
//     refused, because idpool does not decrypt assertions;
//   - there is no per-account quota on the number of providers.
//
// Providers can also come from the operator's configuration file: Declare creates or
// updates one at startup, under the same rules.
package iam
