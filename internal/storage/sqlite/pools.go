package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// poolConfig is the JSON in identity_pools.config: every storage.Pool field that has no
// column. Its tags, not storage.Pool's Go field names, are the persisted format, so
// renaming a Go field cannot silently orphan stored data. No field is omitempty: nil and
// empty collections must come back as they went in.
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

// cognitoProviderJSON and mappingRuleJSON have exactly the fields of their storage
// counterparts, so the conversions below stop compiling when a field is added there.
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

// convertSlice maps s element by element, keeping nil apart from empty.
func convertSlice[S ~[]E, E, T any](s S, f func(E) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, e := range s {
		out[i] = f(e)
	}
	return out
}

func convertMap[K comparable, V, T any](m map[K]V, f func(V) T) map[K]T {
	if m == nil {
		return nil
	}
	out := make(map[K]T, len(m))
	for k, v := range m {
		out[k] = f(v)
	}
	return out
}

func encodeConfig(p *storage.Pool) ([]byte, error) {
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

func decodeConfig(b []byte, p *storage.Pool) error {
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

// Times are stored as unix milliseconds: the precision the contract promises, and one
// that, unlike nanoseconds, covers every year a time.Time can hold (the zero time too).
func toMillis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

const (
	poolColumns    = `id, account_id, region, name, config, created_at, updated_at`
	selectPoolByID = `SELECT ` + poolColumns + ` FROM identity_pools WHERE id = ? AND account_id = ?`
	// selectAnyPool is GetPoolByID's: the pool whatever its account.
	selectAnyPool = `SELECT ` + poolColumns + ` FROM identity_pools WHERE id = ?`
)

type rowScanner interface{ Scan(dest ...any) error }

// scanPool reads one row of poolColumns. A missing row is storage.ErrNotFound.
func scanPool(row rowScanner, poolID string) (*storage.Pool, error) {
	var (
		p                storage.Pool
		config           []byte
		created, updated int64
	)
	err := row.Scan(&p.ID, &p.AccountID, &p.Region, &p.Name, &config, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: pool %s: %w", poolID, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read pool %s: %w", poolID, err)
	}
	if err := decodeConfig(config, &p); err != nil {
		return nil, fmt.Errorf("sqlite: decode pool %s: %w", poolID, err)
	}
	p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &p, nil
}

// CreatePool implements storage.PoolStore. A maxPerAccount of zero or less means no
// quota.
func (s *Store) CreatePool(ctx context.Context, p *storage.Pool, maxPerAccount int) error {
	if p == nil {
		return errors.New("sqlite: CreatePool: nil pool")
	}
	config, err := encodeConfig(p)
	if err != nil {
		return fmt.Errorf("sqlite: encode pool %s: %w", p.ID, err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		// Counting inside the write transaction is what makes the quota hold under
		// concurrent creates: no other insert can land between the count and ours.
		if maxPerAccount > 0 {
			var n int
			if err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM identity_pools WHERE account_id = ? AND region = ?`,
				p.AccountID, p.Region).Scan(&n); err != nil {
				return fmt.Errorf("sqlite: count pools: %w", err)
			}
			if n >= maxPerAccount {
				return fmt.Errorf("sqlite: account %s has %d pools in %s: %w", p.AccountID, n, p.Region, storage.ErrLimitExceeded)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO identity_pools (`+poolColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.AccountID, p.Region, p.Name, string(config), toMillis(p.CreatedAt), toMillis(p.UpdatedAt))
		if isPrimaryKeyViolation(err) {
			return fmt.Errorf("sqlite: pool %s: %w", p.ID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert pool %s: %w", p.ID, err)
		}
		return nil
	})
}

// GetPool implements storage.PoolStore.
func (s *Store) GetPool(ctx context.Context, accountID, poolID string) (*storage.Pool, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read pool %s: %w", poolID, err)
	}
	return scanPool(s.getPool.QueryRowContext(ctx, poolID, accountID), poolID)
}

// GetPoolByID implements storage.PoolStore. Like GetPool it runs a statement prepared at
// Open: the public operations (GetId, GetCredentialsForIdentity, ...) call it every time.
func (s *Store) GetPoolByID(ctx context.Context, poolID string) (*storage.Pool, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read pool %s: %w", poolID, err)
	}
	return scanPool(s.getAnyPool.QueryRowContext(ctx, poolID), poolID)
}

// UpdatePool implements storage.PoolStore. fn runs while this Store's writer is held, so
// every other write waits for it: it must not block or call back into the Store.
func (s *Store) UpdatePool(ctx context.Context, accountID, poolID string, fn func(*storage.Pool) error) (*storage.Pool, error) {
	var out *storage.Pool
	err := s.write(ctx, func(tx *sql.Tx) error {
		// The transaction began IMMEDIATE, so this read already holds the write lock and no
		// other update can slip in between it and the write below.
		cur, err := scanPool(tx.QueryRowContext(ctx, selectPoolByID, poolID, accountID), poolID)
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := fn(next); err != nil {
			return err
		}
		next.AccountID, next.Region, next.ID, next.CreatedAt = cur.AccountID, cur.Region, cur.ID, cur.CreatedAt
		config, err := encodeConfig(next)
		if err != nil {
			return fmt.Errorf("sqlite: encode pool %s: %w", poolID, err)
		}
		updated := toMillis(next.UpdatedAt)
		if _, err := tx.ExecContext(ctx, `UPDATE identity_pools SET name = ?, config = ?, updated_at = ? WHERE id = ?`,
			next.Name, string(config), updated, poolID); err != nil {
			return fmt.Errorf("sqlite: update pool %s: %w", poolID, err)
		}
		// Hand back what a GetPool would now return (what JSON and millisecond time made of
		// fn's values), not fn's pool itself, which fn may still hold.
		out = &storage.Pool{AccountID: cur.AccountID, Region: cur.Region, ID: cur.ID, Name: next.Name,
			CreatedAt: cur.CreatedAt, UpdatedAt: fromMillis(updated)}
		if err := decodeConfig(config, out); err != nil {
			return fmt.Errorf("sqlite: decode pool %s: %w", poolID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePool implements storage.PoolStore. Rows that belong to the pool go with it in the
// same transaction: tables that reference identity_pools do so ON DELETE CASCADE (every
// connection runs with foreign_keys on), and anything not reachable that way must be
// deleted here, inside this write.
func (s *Store) DeletePool(ctx context.Context, accountID, poolID string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM identity_pools WHERE id = ? AND account_id = ?`, poolID, accountID)
		if err != nil {
			return fmt.Errorf("sqlite: delete pool %s: %w", poolID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlite: delete pool %s: %w", poolID, err)
		}
		if n == 0 {
			return fmt.Errorf("sqlite: pool %s: %w", poolID, storage.ErrNotFound)
		}
		return nil
	})
}

// ListPools implements storage.PoolStore. A limit of zero or less means no limit. IDs
// compare with SQLite's BINARY collation, byte order, which is Go's string order.
func (s *Store) ListPools(ctx context.Context, accountID, region, afterID string, limit int) ([]storage.PoolSummary, error) {
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, name FROM identity_pools WHERE account_id = ? AND region = ? AND id > ? ORDER BY id LIMIT ?`,
		accountID, region, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list pools: %w", err)
	}
	defer rows.Close()
	var out []storage.PoolSummary
	for rows.Next() {
		var r storage.PoolSummary
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			return nil, fmt.Errorf("sqlite: list pools: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list pools: %w", err)
	}
	return out, nil
}
