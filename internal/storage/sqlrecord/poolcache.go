package sqlrecord

import (
	"sync"

	"github.com/idpool/idpool/internal/storage"
)

// maxCachedConfigs bounds a configCache: far more than the pools a deployment serves at
// once, and when it fills up it simply starts over.
const maxCachedConfigs = 1024

// configCache decodes pool configurations as DecodePool does, remembering what each
// stored form decoded to. Every GetId and credentials request reads its pool, and
// decoding the JSON was most of that read's cost; a deep copy of the decoded form is
// several times cheaper. The key is the stored JSON itself, so a configuration changed by
// any node is simply a new key: nothing to invalidate, and nothing that ties an entry to
// one database either. The zero value is ready to use and safe for concurrent use.
type configCache struct {
	mu sync.RWMutex
	m  map[string]*storage.Pool // stored form -> decoded configuration; never modified
}

// configs is the cache through which CachedPoolRow decodes, one for the whole process:
// its entries would be the same in a cache of each Store's.
var configs configCache

// decode sets p's configuration fields from the JSON s, as DecodePool does.
func (c *configCache) decode(s string, p *storage.Pool) error {
	c.mu.RLock()
	t := c.m[s]
	c.mu.RUnlock()
	if t == nil {
		t = new(storage.Pool)
		if err := decodePoolString(s, t); err != nil {
			return err
		}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= maxCachedConfigs {
			c.m = make(map[string]*storage.Pool)
		}
		c.m[s] = t
		c.mu.Unlock()
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
