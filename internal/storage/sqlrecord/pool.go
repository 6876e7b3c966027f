package sqlrecord

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/idpool/idpool/internal/storage"
)

// poolConfig is the JSON in identity_pools.config: every storage.Pool field that has no
// column (ID, AccountID, Region, Name and the times have one).
type poolConfig struct {
	AllowUnauthenticated      bool                       `json:"allowUnauthenticated"`
	AllowClassicFlow          *bool                      `json:"allowClassicFlow"`
	SupportedLoginProviders   map[string]string          `json:"supportedLoginProviders"`
	DeveloperProviderName     string                     `json:"developerProviderName"`
	OpenIDConnectProviderARNs []string                   `json:"openIdConnectProviderArns"`
	CognitoIdentityProviders  []cognitoProviderJSON      `json:"cognitoIdentityProviders"`
	SAMLProviderARNs          []string                   `json:"samlProviderArns"`
	Tags                      map[string]string          `json:"tags"`
	Roles                     map[string]string          `json:"roles"`
	RoleMappings              map[string]roleMappingJSON `json:"roleMappings"`
	// Configs written before PrincipalTagMaps existed lack the key and decode to nil, which
	// is what a pool that never had one holds.
	PrincipalTagMaps map[string]principalTagMapJSON `json:"principalTagMaps"`
}

// cognitoProviderJSON, mappingRuleJSON and principalTagMapJSON have exactly the fields of
// their storage counterparts, so the conversions below stop compiling when a field is
// added there.
type cognitoProviderJSON struct {
	ProviderName         string `json:"providerName"`
	ClientID             string `json:"clientId"`
	ServerSideTokenCheck bool   `json:"serverSideTokenCheck"`
}

type mappingRuleJSON struct {
	Claim     string `json:"claim"`
	MatchType string `json:"matchType"`
	Value     string `json:"value"`
	RoleARN   string `json:"roleArn"`
}

type roleMappingJSON struct {
	Type                    string            `json:"type"`
	AmbiguousRoleResolution string            `json:"ambiguousRoleResolution"`
	Rules                   []mappingRuleJSON `json:"rules"`
}

type principalTagMapJSON struct {
	UseDefaults bool              `json:"useDefaults"`
	Tags        map[string]string `json:"tags"`
}

// EncodePool returns the config JSON of p: every field that has no column of its own.
func EncodePool(p *storage.Pool) ([]byte, error) {
	return json.Marshal(poolConfig{
		AllowUnauthenticated:      p.AllowUnauthenticated,
		AllowClassicFlow:          p.AllowClassicFlow,
		SupportedLoginProviders:   p.SupportedLoginProviders,
		DeveloperProviderName:     p.DeveloperProviderName,
		OpenIDConnectProviderARNs: p.OpenIDConnectProviderARNs,
		CognitoIdentityProviders:  convertSlice(p.CognitoIdentityProviders, func(c storage.CognitoProvider) cognitoProviderJSON { return cognitoProviderJSON(c) }),
		SAMLProviderARNs:          p.SAMLProviderARNs,
		Tags:                      p.Tags,
		Roles:                     p.Roles,
		RoleMappings: convertMap(p.RoleMappings, func(m storage.RoleMapping) roleMappingJSON {
			return roleMappingJSON{
				Type:                    m.Type,
				AmbiguousRoleResolution: m.AmbiguousRoleResolution,
				Rules:                   convertSlice(m.Rules, func(r storage.MappingRule) mappingRuleJSON { return mappingRuleJSON(r) }),
			}
		}),
		PrincipalTagMaps: convertMap(p.PrincipalTagMaps, func(m storage.PrincipalTagMap) principalTagMapJSON { return principalTagMapJSON(m) }),
	})
}

// DecodePool sets the fields of p that EncodePool stores from its JSON b. What it puts in
// p shares no memory with b.
func DecodePool(b []byte, p *storage.Pool) error {
	var c poolConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	p.AllowUnauthenticated = c.AllowUnauthenticated
	p.AllowClassicFlow = c.AllowClassicFlow
	p.SupportedLoginProviders = c.SupportedLoginProviders
	p.DeveloperProviderName = c.DeveloperProviderName
	p.OpenIDConnectProviderARNs = c.OpenIDConnectProviderARNs
	p.CognitoIdentityProviders = convertSlice(c.CognitoIdentityProviders, func(c cognitoProviderJSON) storage.CognitoProvider { return storage.CognitoProvider(c) })
	p.SAMLProviderARNs = c.SAMLProviderARNs
	p.Tags = c.Tags
	p.Roles = c.Roles
	p.RoleMappings = convertMap(c.RoleMappings, func(m roleMappingJSON) storage.RoleMapping {
		return storage.RoleMapping{
			Type:                    m.Type,
			AmbiguousRoleResolution: m.AmbiguousRoleResolution,
			Rules:                   convertSlice(m.Rules, func(r mappingRuleJSON) storage.MappingRule { return storage.MappingRule(r) }),
		}
	})
	p.PrincipalTagMaps = convertMap(c.PrincipalTagMaps, func(m principalTagMapJSON) storage.PrincipalTagMap { return storage.PrincipalTagMap(m) })
	return nil
}

// PoolColumns are the columns of identity_pools, in the order of PoolArgs and PoolRow.
const PoolColumns = `id, account_id, region, name, config, created_at, updated_at`

// PoolArgs returns the values of p's PoolColumns in order: the arguments of an INSERT of p.
// Its error is EncodePool's.
func PoolArgs(p *storage.Pool) ([]any, error) {
	config, err := EncodePool(p)
	if err != nil {
		return nil, err
	}
	// JSON goes in as a string, here and in the other records' arguments: SQLite would bind
	// []byte as a BLOB, not the TEXT its column holds.
	return []any{p.ID, p.AccountID, p.Region, p.Name, string(config), ToMillis(p.CreatedAt), ToMillis(p.UpdatedAt)}, nil
}

// PoolRow is the Row of pools. It decodes the configuration afresh: UpdatePool's read of a
// configuration it is about to replace, and Export's of every pool once, would only churn
// a cache. CachedPoolRow is for the hot reads.
type PoolRow struct {
	// GetPool allocates a row on every call, so a row is kept small: the JSON is scanned
	// as a string, whose header is smaller than a []byte's, and it holds no pointer to a
	// cache (CachedPoolRow's is one for the process). With those a row fits the 288-byte
	// size class. A string also spares a copy where it matters: database/sql hands
	// SQLite's text over as a string, and the cache looks strings up as they are.
	pool             storage.Pool
	config           string
	created, updated int64
}

func (r *PoolRow) scan(row RowScanner) error {
	p := &r.pool
	return row.Scan(&p.ID, &p.AccountID, &p.Region, &p.Name, &r.config, &r.created, &r.updated)
}

func (r *PoolRow) record() (*storage.Pool, error) { return r.decode(decodePoolString) }

// decode makes the pool of what scan read, decoding the configuration with decode.
func (r *PoolRow) decode(decode func(string, *storage.Pool) error) (*storage.Pool, error) {
	if err := decode(r.config, &r.pool); err != nil {
		return nil, err
	}
	r.config = "" // the caller holds the pool, and through it r: not the JSON too
	r.pool.CreatedAt, r.pool.UpdatedAt = FromMillis(r.created), FromMillis(r.updated)
	return &r.pool, nil
}

func (*PoolRow) kind() string  { return "pool" }
func (r *PoolRow) key() string { return r.pool.ID }

// jsonBuffers lend decodePoolString the []byte that json.Unmarshal reads.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// decodePoolString is DecodePool of JSON held in a string, as PoolRow scans it. The JSON
// is copied into a buffer that later calls reuse, not into a new []byte, so that a string
// costs no more than scanning the JSON as a []byte would; DecodePool copies out all it
// keeps.
func decodePoolString(s string, p *storage.Pool) error {
	buf := jsonBuffers.Get().(*[]byte)
	*buf = append((*buf)[:0], s...)
	err := DecodePool(*buf, p)
	jsonBuffers.Put(buf)
	return err
}

// CachedPoolRow is the Row of pools for GetPool and GetPoolByID, which run on every GetId
// and credentials request: it decodes the configuration through a cache.
type CachedPoolRow struct{ PoolRow }

func (r *CachedPoolRow) record() (*storage.Pool, error) { return r.decode(decodeCached) }

// UpdatePool is what a SQL backend's UpdatePool does between reading the pool, cur, and
// writing its row back. fn runs on a copy of cur; AccountID, Region, ID and CreatedAt are
// set back to cur's whatever fn did with them, as storage.PoolStore promises. UpdatePool
// returns the config JSON to store, and the pool to hand back: what GetPool will return
// once the row is stored (what JSON and millisecond times make of fn's values), rather
// than fn's pool, which fn may still hold. The row's name and updated_at are stored.Name
// and ToMillis(stored.UpdatedAt).
//
// fn's error is returned as is; UpdatePool's own go through wrap, which gives them the
// backend's prefix.
func UpdatePool(cur *storage.Pool, fn func(*storage.Pool) error, wrap func(error) error) (stored *storage.Pool, config []byte, err error) {
	next := cur.Clone()
	if err := fn(next); err != nil {
		return nil, nil, err
	}
	next.AccountID, next.Region, next.ID, next.CreatedAt = cur.AccountID, cur.Region, cur.ID, cur.CreatedAt
	if config, err = EncodePool(next); err != nil {
		return nil, nil, wrap(fmt.Errorf("encode pool %s: %w", cur.ID, err))
	}
	stored = &storage.Pool{AccountID: cur.AccountID, Region: cur.Region, ID: cur.ID, Name: next.Name,
		CreatedAt: cur.CreatedAt, UpdatedAt: FromMillis(ToMillis(next.UpdatedAt))}
	if err := DecodePool(config, stored); err != nil {
		return nil, nil, wrap(fmt.Errorf("decode pool %s: %w", cur.ID, err))
	}
	return stored, config, nil
}
