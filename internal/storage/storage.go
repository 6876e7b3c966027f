package storage

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	ErrNotFound      = errors.New("storage: not found")
	ErrAlreadyExists = errors.New("storage: already exists")
	ErrConflict      = errors.New("storage: conflict")
	ErrLimitExceeded = errors.New("storage: limit exceeded")
)

// Store is the whole persistent state of an idpool deployment.
type Store interface {
	PoolStore

	// Ping reports whether the backend is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the backend; later calls fail.
	Close() error
}

// PoolStore keeps identity pools. Pools are scoped by account: a pool of one account is
// ErrNotFound to every other account.
type PoolStore interface {
	// CreatePool inserts p. It fails with ErrLimitExceeded, inside the same transaction
	// as the insert, when the account already has maxPerAccount pools in p.Region, and
	// with ErrAlreadyExists when p.ID is taken.
	CreatePool(ctx context.Context, p *Pool, maxPerAccount int) error
	// GetPool returns the pool or ErrNotFound.
	GetPool(ctx context.Context, accountID, poolID string) (*Pool, error)
	// UpdatePool loads the pool, calls fn on a copy inside one transaction and stores what
	// fn left in it. An error from fn aborts the update and is returned as is. The stored
	// pool is returned. AccountID, Region, ID and CreatedAt cannot be changed by fn.
	UpdatePool(ctx context.Context, accountID, poolID string, fn func(*Pool) error) (*Pool, error)
	// DeletePool removes the pool and everything that belongs to it, or ErrNotFound.
	DeletePool(ctx context.Context, accountID, poolID string) error
	// ListPools returns up to limit pools of the account in region whose ID sorts after
	// afterID (all when afterID is empty), ordered by ID. Keyset order keeps pages correct
	// while pools are created and deleted between calls.
	ListPools(ctx context.Context, accountID, region, afterID string, limit int) ([]PoolSummary, error)
}

// Pool is an identity pool with its whole configuration.
type Pool struct {
	AccountID string
	Region    string
	ID        string // "<region>:<guid>"
	Name      string

	AllowUnauthenticated bool
	// AllowClassicFlow is three-valued: nil means never set (AWS then omits it).
	AllowClassicFlow          *bool
	SupportedLoginProviders   map[string]string
	DeveloperProviderName     string
	OpenIDConnectProviderARNs []string
	CognitoIdentityProviders  []CognitoProvider
	SAMLProviderARNs          []string
	Tags                      map[string]string

	// Roles maps "authenticated"/"unauthenticated" to role ARNs.
	Roles        map[string]string
	RoleMappings map[string]RoleMapping

	CreatedAt time.Time
	UpdatedAt time.Time
}

// CognitoProvider is a user pool app client trusted by a pool.
type CognitoProvider struct {
	ProviderName         string // "cognito-idp.<region>.amazonaws.com/<userPoolId>"
	ClientID             string
	ServerSideTokenCheck bool
}

// RoleMapping chooses a role for logins of one provider.
type RoleMapping struct {
	Type                    string // "Token" or "Rules"
	AmbiguousRoleResolution string // "AuthenticatedRole" or "Deny"
	Rules                   []MappingRule
}

// MappingRule is one rule of a Rules role mapping.
type MappingRule struct {
	Claim     string
	MatchType string
	Value     string
	RoleARN   string
}

// PoolSummary is a row of ListPools.
type PoolSummary struct {
	ID   string
	Name string
}
