package idp

import "github.com/idpool/idpool/internal/storage"

// Login is a provider login whose token has been verified.
type Login struct {
	storage.Login // Provider is the Logins key; Subject the provider's user
	// AMRDetail is the provider-specific third amr entry of the tokens idpool issues, e.g.
	// "cognito-idp.<r>.amazonaws.com/<pool>:CognitoSignIn:<sub>" or "<provider>:<sub>".
	AMRDetail string
	// Claims of the token, for role mapping and principal tags. JWT claims are the decoded
	// payload: strings, bool, json.Number for numbers, []any for arrays, map[string]any
	// for objects. SAML assertions expose their attributes by name (string, or []string
	// when several values), the Role attribute as
	// "https://aws.amazon.com/SAML/Attributes/Role" ([]string of "roleArn,providerArn"),
	// and the NameID as SAMLNameIDClaim. Facebook, Amazon and Twitter logins carry sub
	// (the user) and aud (the app).
	Claims map[string]any
}
