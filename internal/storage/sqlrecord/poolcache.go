package sqlrecord

import (
	"github.com/idpool/idpool/internal/memo"
	"github.com/idpool/idpool/internal/storage"
)

// configs remembers what each stored pool configuration decodes to, for CachedPoolRow.
// Every GetId and credentials request reads its pool, and decoding the JSON was most of
// that read's cost; a deep copy of the decoded form is several times cheaper. It is one
// for the whole process: keyed by the stored JSON itself, an entry would be the same in
// a memo of each Store's, and a configuration changed by any node is simply a new key.
var configs = memo.Memo[*storage.Pool]{Max: 1024}

// decodeCached sets p's configuration fields from the JSON s, as DecodePool does.
func decodeCached(s string, p *storage.Pool) error {
	t, err := configs.Get(s, func(s string) (*storage.Pool, error) {
		t := new(storage.Pool)
		return t, decodePoolString(s, t)
	})
	if err != nil {
		return err
	}
	setConfig(p, t.Clone())
	return nil
}

// setConfig copies the fields DecodePool sets from src to dst.
func setConfig(dst, src *storage.Pool) {
	dst.AllowUnauthenticated = src.AllowUnauthenticated
	dst.AllowClassicFlow = src.AllowClassicFlow
	dst.SupportedLoginProviders = src.SupportedLoginProviders
	dst.DeveloperProviderName = src.DeveloperProviderName
	dst.OpenIDConnectProviderARNs = src.OpenIDConnectProviderARNs
	dst.CognitoIdentityProviders = src.CognitoIdentityProviders
	dst.SAMLProviderARNs = src.SAMLProviderARNs
	dst.Tags = src.Tags
	dst.Roles = src.Roles
	dst.RoleMappings = src.RoleMappings
	dst.PrincipalTagMaps = src.PrincipalTagMaps
}
