package cognito

import (
	"errors"
	"log/slog"
	"time"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/ids"
	"github.com/idpool/idpool/internal/storage"
)

// Caller is who sent a request, as established by the transport.
type Caller struct {
	// AccountID scopes every pool the caller can see. For unsigned public operations it
	// is empty and the pool is found by its ID alone.
	AccountID string
	// AccessKeyID is the signing key, empty for unsigned calls.
	AccessKeyID string
}

// Limits are the service quotas; the zero value of a field means AWS's default.
type Limits struct {
	PoolsPerAccount int // 1,000
	TagsPerPool     int // 50
	RulesPerMapping int // 25: rules of one Rules role mapping
}

func (l Limits) withDefaults() Limits {
	if l.PoolsPerAccount <= 0 {
		l.PoolsPerAccount = 1000
	}
	if l.TagsPerPool <= 0 {
		l.TagsPerPool = 50
	}
	if l.RulesPerMapping <= 0 {
		l.RulesPerMapping = 25
	}
	return l
}

// Config configures a Service.
type Config struct {
	Region string
	Store  storage.Store
	Limits Limits
	// Issuer signs the OpenID tokens the service hands out and checks them when they come
	// back as logins.
	Issuer TokenIssuer
	// Logins verifies external providers' tokens; nil refuses them with a clear error.
	Logins LoginVerifier
	// Broker hands out credentials for chosen roles.
	Broker CredentialBroker
	// Now is the clock; injected so tests can step it.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service runs the operations.
type Service struct {
	region string
	store  storage.Store
	limits Limits
	issuer TokenIssuer
	logins LoginVerifier
	broker CredentialBroker
	now    func() time.Time
	log    *slog.Logger
	// identityIDs makes identity GUIDs that increase, which keeps their inserts cheap.
	identityIDs ids.TimeOrdered
}

// New returns a Service.
func New(c Config) *Service {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{region: c.Region, store: c.Store, limits: c.Limits.withDefaults(), issuer: c.Issuer, logins: c.Logins, broker: c.Broker, now: now, log: log}
}

// newID returns "<region>:<guid>", the form of pool and identity IDs.
func (s *Service) newID() string { return s.region + ":" + ids.GUID() }

// newIdentityID returns an identity ID whose GUID is time-ordered (ids.TimeOrdered):
// identities are by far the most numerous records, and ordered keys keep their inserts
// cheap. Pool IDs stay random, as AWS's are.
func (s *Service) newIdentityID() string { return s.region + ":" + s.identityIDs.Next(s.now()) }

func poolNotFound(id string) error {
	return awserr.Newf(awserr.ResourceNotFound, "IdentityPool '%s' not found.", id)
}

// storageErr turns a storage failure into the AWS error the client sees. Unknown failures
// pass through unchanged so the transport logs them and answers InternalErrorException.
func storageErr(err error, poolID string) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return poolNotFound(poolID)
	case errors.Is(err, storage.ErrConflict):
		return awserr.New(awserr.ConcurrentModification, "The identity pool was modified concurrently; retry the request.")
	}
	return err
}
