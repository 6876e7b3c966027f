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
	IdentityStore
	KeyStore
	ProviderStore
	RoleStore
	Dumper

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
	// pool is returned. AccountID, Region, ID and CreatedAt cannot be changed by fn. As
	// with UpdateIdentities, fn may run more than once (each time on a fresh copy), so it
	// must not have effects beyond the copy it is given.
	UpdatePool(ctx context.Context, accountID, poolID string, fn func(*Pool) error) (*Pool, error)
	// DeletePool removes the pool and everything that belongs to it, or ErrNotFound.
	DeletePool(ctx context.Context, accountID, poolID string) error
	// GetPoolByID returns a pool whatever its account, for the public operations, whose
	// callers are anonymous and name the pool (or an identity of it) only by ID.
	GetPoolByID(ctx context.Context, poolID string) (*Pool, error)
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
	// PrincipalTagMaps is keyed by identity provider name (user pool name, or the
	// OIDC/SAML provider ARN).
	PrincipalTagMaps map[string]PrincipalTagMap

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

// PrincipalTagMap says which login token claims become session tags for one provider.
type PrincipalTagMap struct {
	UseDefaults bool
	Tags        map[string]string // tag key -> claim name
}

// IdentityStore keeps identities and the logins linked to them. Identity IDs are unique
// across pools; a (pool, provider, subject) login belongs to at most one identity, which
// the backend enforces as a backstop to the business logic.
type IdentityStore interface {
	// GetIdentity returns an identity with its logins, or ErrNotFound.
	GetIdentity(ctx context.Context, identityID string) (*Identity, error)
	// FindLogin returns the ID of the identity a login is linked to, or ErrNotFound. It is
	// a read outside any transaction: the fast path of GetId for a known login.
	FindLogin(ctx context.Context, poolID, provider, subject string) (string, error)
	// ListIdentities returns up to limit identities of the pool whose ID sorts after
	// afterID, ordered by ID, without the disabled ones when hideDisabled is set.
	ListIdentities(ctx context.Context, poolID, afterID string, limit int, hideDisabled bool) ([]*Identity, error)
	// UpdateIdentities runs fn inside one write transaction: everything fn reads through
	// tx is consistent with what it writes, and concurrent calls behave as if run one after
	// the other. fn may run more than once (a backend may retry on a serialization
	// failure), so it must not have effects outside tx. An error from fn aborts the
	// transaction and is returned as is. tx is for fn's own goroutine: a backend may run
	// fn on a goroutine of its own and keep per-transaction state unlocked.
	UpdateIdentities(ctx context.Context, fn func(tx IdentityTx) error) error
}

// IdentityTx is the view of identities inside UpdateIdentities.
type IdentityTx interface {
	// Identity returns an identity with its logins, or ErrNotFound.
	Identity(ctx context.Context, identityID string) (*Identity, error)
	// OwnerOf returns the ID of the identity the login is linked to, or ErrNotFound.
	OwnerOf(ctx context.Context, poolID, provider, subject string) (string, error)
	// Put inserts the identity or replaces it whole, its set of logins included. It fails
	// with ErrConflict when one of its logins belongs to another identity, and with
	// ErrNotFound when its pool does not exist.
	Put(ctx context.Context, id *Identity) error
	// Delete removes an identity and its logins; ErrNotFound when there is none.
	Delete(ctx context.Context, identityID string) error
}

// Identity is an identity of a pool.
type Identity struct {
	PoolID string
	ID     string // "<region>:<guid>"
	// Logins are the provider logins linked to the identity, in the order they were
	// linked. An identity without logins is unauthenticated, unless Disabled.
	Logins []Login
	// Disabled identities were merged into another or lost their last login; they are
	// listed (unless hidden) but can no longer be used.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time // LastModifiedDate: moves when logins change
}

// Login is one provider's user linked to an identity.
type Login struct {
	Provider string // the Logins key: a social domain, user pool or OIDC provider name, SAML ARN, or the developer provider name
	Subject  string // the provider's user: a developer user identifier, a token's sub, ...
}

// KeyStore keeps the OpenID issuer's signing keys, shared by every node.
type KeyStore interface {
	// GetKeys returns the current keys, or ErrNotFound before the first UpdateKeys.
	GetKeys(ctx context.Context) (*Keys, error)
	// UpdateKeys calls fn with the current keys (nil when there are none) inside one
	// transaction and stores what it returns: a compare-and-swap, so that nodes racing to
	// rotate see each other's result instead of overwriting it. Returning (nil, nil) leaves
	// the keys unchanged. The stored keys are returned. fn may run more than once.
	UpdateKeys(ctx context.Context, fn func(current *Keys) (*Keys, error)) (*Keys, error)
}

// Keys is the issuer's key set. Key material is opaque to storage: the issuer serialises
// it and may encrypt private keys before they get here.
type Keys struct {
	SigningKeyID string
	SigningKey   []byte // the private key
	// VerificationKeys are published in the JWKS: the current key and retired ones until
	// the last token they signed has expired.
	VerificationKeys []VerificationKey
	NextRotation     time.Time
	// SessionKey holds the keys that seal the session tokens of the built-in STS (package
	// sts): a token carries its credentials' secret and context, encrypted, so that no
	// session is stored. Opaque to storage, like SigningKey: the issuer serialises the
	// current, next and retired keys and may encrypt them. Empty in key sets written
	// before it existed.
	SessionKey []byte
}

// VerificationKey is a public key and how long it stays published.
type VerificationKey struct {
	KeyID     string
	PublicKey []byte
	Expiry    time.Time // zero for the current signing key
}

// ProviderStore keeps the IAM identity providers (OpenID Connect and SAML) that pools
// trust, scoped by account as IAM's are: a provider of one account is ErrNotFound to all
// others.
type ProviderStore interface {
	// CreateProvider inserts p, or fails with ErrAlreadyExists when its ARN is taken.
	CreateProvider(ctx context.Context, p *IAMProvider) error
	// GetProvider returns the provider with that ARN, or ErrNotFound.
	GetProvider(ctx context.Context, accountID, arn string) (*IAMProvider, error)
	// ListProviders returns the account's providers of one kind, ordered by ARN.
	ListProviders(ctx context.Context, accountID, kind string) ([]*IAMProvider, error)
	// UpdateProvider runs fn on a copy inside one transaction and stores the result, as
	// UpdatePool does (fn may run more than once). AccountID, ARN, Kind and CreatedAt
	// cannot be changed by fn.
	UpdateProvider(ctx context.Context, accountID, arn string, fn func(*IAMProvider) error) (*IAMProvider, error)
	// DeleteProvider removes the provider, or ErrNotFound.
	DeleteProvider(ctx context.Context, accountID, arn string) error
}

// Kinds of IAM identity provider.
const (
	ProviderOIDC = "oidc"
	ProviderSAML = "saml"
)

// IAMProvider is an OpenID Connect or SAML identity provider registered through the IAM
// API (or declared in a configuration file).
type IAMProvider struct {
	AccountID string
	ARN       string // arn:aws:iam::<account>:oidc-provider/<host/path> or :saml-provider/<name>
	Kind      string // ProviderOIDC or ProviderSAML

	// OpenID Connect: the issuer URL with its scheme, the audiences it may issue tokens
	// for, and the thumbprints of its TLS certificates' CAs.
	URL         string
	ClientIDs   []string
	Thumbprints []string

	// SAML: the metadata document and when it stops being valid (zero: never).
	SAMLMetadata string
	ValidUntil   time.Time

	Tags      map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RoleStore keeps the IAM roles that idpool's built-in STS lets identities assume, scoped
// by account as IAM's are: a role of one account is ErrNotFound to all others. Role
// names are unique per account case-insensitively, as in IAM ("Admin" and "admin" cannot
// both exist); a role keeps the case it was created with, and GetRole and DeleteRole find
// it whatever the case of the name they are given.
type RoleStore interface {
	// CreateRole inserts r, or fails with ErrAlreadyExists when the account has a role of
	// that name (compared case-insensitively) or r.ARN or r.RoleID is taken.
	CreateRole(ctx context.Context, r *Role) error
	// GetRole returns the account's role of that name (compared case-insensitively), or
	// ErrNotFound.
	GetRole(ctx context.Context, accountID, name string) (*Role, error)
	// ListRoles returns the account's roles ordered by name (byte order).
	ListRoles(ctx context.Context, accountID string) ([]*Role, error)
	// DeleteRole removes the role (name compared case-insensitively), or ErrNotFound.
	DeleteRole(ctx context.Context, accountID, name string) error
}

// Role is an IAM role registered through the IAM API.
type Role struct {
	AccountID string
	Name      string
	Path      string // "/" or "/.../"
	ARN       string // arn:aws:iam::<account>:role<path><name>
	RoleID    string // "AROA..."
	// AssumeRolePolicyDocument is the trust policy as given (JSON, not URL-encoded).
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int32 // seconds
	// Tags: nil and empty stay apart.
	Tags      map[string]string
	CreatedAt time.Time
}
