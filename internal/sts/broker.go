package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage"
)

// Limits of a session, as STS has them for AssumeRoleWithWebIdentity.
const (
	// DefaultSessionName is the session name of Cognito Identity's enhanced flow.
	DefaultSessionName = "CognitoIdentityCredentials"
	// DefaultDuration is how long credentials last unless asked otherwise: an hour, as
	// GetCredentialsForIdentity's always do and DurationSeconds' default.
	DefaultDuration = time.Hour
	// MinDuration and MaxDuration bound DurationSeconds (900 to 43200 seconds).
	MinDuration = 15 * time.Minute
	MaxDuration = 12 * time.Hour

	accessKeyPrefix = "ASIA" // temporary credentials, as STS issues them
	accessKeyLen    = len(accessKeyPrefix) + 16
	secretLen       = 40
	// tokenBytes of randomness make a session token of 4*tokenBytes/3 base64 characters,
	// in the range of AWS's (several hundred, depending on the session's tags).
	tokenBytes = 288
	// maxIssueTries bounds the retries on an access key collision (80 random bits: never in
	// practice, but CreateSession would report one as ErrAlreadyExists).
	maxIssueTries = 3
)

// Errors of Issue for requests it refuses; anything else it returns is a failure of the
// store or of the random source.
var (
	ErrInvalidRole        = errors.New("sts: not an IAM role ARN")
	ErrInvalidSessionName = errors.New("sts: invalid role session name")
	ErrInvalidDuration    = errors.New("sts: session duration out of range")
	ErrAccountMismatch    = errors.New("sts: account is not the role's")
)

// sessionNamePattern is STS's for RoleSessionName: [\w+=,.@-]*, 2 to 64 characters.
var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// ValidSessionName reports whether s is a valid RoleSessionName.
func ValidSessionName(s string) bool { return sessionNamePattern.MatchString(s) }

// Request describes the credentials to issue.
type Request struct {
	// AccountID is the role's account; empty means the account of RoleARN, anything else
	// must equal it.
	AccountID string
	// RoleARN is the role assumed: arn:<partition>:iam::<account>:role/<path/name>.
	RoleARN string
	// SessionName defaults to DefaultSessionName.
	SessionName string
	// IdentityID and PoolID say which identity the credentials were issued to; both may
	// be empty.
	IdentityID, PoolID string
	// Tags are the session tags (Cognito's principal tags).
	Tags map[string]string
	// Duration defaults to DefaultDuration and lies within [MinDuration, MaxDuration].
	Duration time.Duration
}

// Broker issues temporary credentials and resolves their access keys. It is safe for
// concurrent use.
type Broker struct {
	store storage.SessionStore
	now   func() time.Time
}

// NewBroker returns a Broker over store; now is the clock, nil meaning time.Now.
func NewBroker(store storage.SessionStore, now func() time.Time) *Broker {
	if now == nil {
		now = time.Now
	}
	return &Broker{store: store, now: now}
}

// Issue mints and stores a session for req and returns it. Expiry is whole seconds, as
// STS reports it (Expiration in ISO 8601 to the second), so that what the client is told
// and what the server enforces agree.
func (b *Broker) Issue(ctx context.Context, req Request) (*storage.Session, error) {
	role, err := arn.Parse(req.RoleARN)
	if err != nil || !arn.IsRole(req.RoleARN) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidRole, req.RoleARN)
	}
	account := req.AccountID
	if account == "" {
		account = role.AccountID
	} else if account != role.AccountID {
		return nil, fmt.Errorf("%w: %s for %s", ErrAccountMismatch, account, req.RoleARN)
	}
	name := req.SessionName
	if name == "" {
		name = DefaultSessionName
	}
	if !ValidSessionName(name) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidSessionName, name)
	}
	d := req.Duration
	if d == 0 {
		d = DefaultDuration
	}
	if d < MinDuration || d > MaxDuration {
		return nil, fmt.Errorf("%w: %s", ErrInvalidDuration, d)
	}

	now := b.now()
	for try := 1; ; try++ {
		s := &storage.Session{
			AccessKeyID:     newAccessKeyID(now),
			SecretAccessKey: newSecret(),
			SessionToken:    newSessionToken(),
			AccountID:       account,
			RoleARN:         req.RoleARN,
			SessionName:     name,
			IdentityID:      req.IdentityID,
			PoolID:          req.PoolID,
			Tags:            maps.Clone(req.Tags),
			CreatedAt:       now,
			Expiry:          now.Add(d).Truncate(time.Second),
		}
		err := b.store.CreateSession(ctx, s)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, storage.ErrAlreadyExists) || try == maxIssueTries {
			return nil, fmt.Errorf("sts: storing session: %w", err)
		}
	}
}

// LookupAccessKey implements sigv4.CredentialSource over the issued sessions. A key that
// is unknown, deleted or expired is ok=false, so the Verifier answers it as AWS answers an
// unknown key (UnrecognizedClient, "The security token included in the request is
// invalid."). AWS answers an expired STS key with ExpiredToken ("The security token
// included in the request is expired") instead; sigv4.CredentialSource has no way to
// say "known but expired" (see doc.go). Keys that cannot be an STS key (not ASIA..., or
// of another length) are refused without a storage read, so admin keys looked up through
// a chain cost nothing here.
func (b *Broker) LookupAccessKey(ctx context.Context, accessKeyID string) (sigv4.Credential, bool, error) {
	if len(accessKeyID) != accessKeyLen || !strings.HasPrefix(accessKeyID, accessKeyPrefix) {
		return sigv4.Credential{}, false, nil
	}
	s, err := b.store.GetSession(ctx, accessKeyID)
	if errors.Is(err, storage.ErrNotFound) {
		return sigv4.Credential{}, false, nil
	}
	if err != nil {
		return sigv4.Credential{}, false, err
	}
	if !b.now().Before(s.Expiry) {
		return sigv4.Credential{}, false, nil
	}
	return sigv4.Credential{
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		AccountID:       s.AccountID,
	}, true, nil
}

// Session returns the live session of an access key: ok=false when it is unknown or
// expired, as for LookupAccessKey.
func (b *Broker) Session(ctx context.Context, accessKeyID string) (*storage.Session, bool, error) {
	s, err := b.store.GetSession(ctx, accessKeyID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !b.now().Before(s.Expiry) {
		return nil, false, nil
	}
	return s, true, nil
}

// DeleteExpired removes the sessions that have expired by now and returns how many. The
// server runs it periodically; expired sessions are refused whether or not it has run.
func (b *Broker) DeleteExpired(ctx context.Context) (int, error) {
	return b.store.DeleteExpiredSessions(ctx, b.now())
}

// ChainCredentials returns a sigv4.CredentialSource that asks sources in order and
// returns the first credential found. A source's error stops the search and is returned:
// a key must not resolve differently because a store was briefly unreachable.
func ChainCredentials(sources ...sigv4.CredentialSource) sigv4.CredentialSource {
	return chain(append([]sigv4.CredentialSource(nil), sources...))
}

type chain []sigv4.CredentialSource

func (c chain) LookupAccessKey(ctx context.Context, accessKeyID string) (sigv4.Credential, bool, error) {
	for _, s := range c {
		cred, ok, err := s.LookupAccessKey(ctx, accessKeyID)
		if err != nil || ok {
			return cred, ok, err
		}
	}
	return sigv4.Credential{}, false, nil
}

// RoleName is the last path segment of a role ARN's resource: "r" for
// arn:aws:iam::123456789012:role/path/r.
func RoleName(roleARN string) string {
	res := roleARN
	if a, err := arn.Parse(roleARN); err == nil {
		res = a.Resource
	}
	return res[strings.LastIndexByte(res, '/')+1:]
}

// RoleID is the role's unique ID as STS shows it in AssumedRoleId and UserId: "AROA"
// and 17 characters. idpool keeps no IAM roles, so it derives the ID from the role ARN:
// stable for a role, distinct between roles, shaped like AWS's. (In AWS a role deleted and
// recreated under the same name gets a new ID; here it keeps its ID.)
func RoleID(roleARN string) string {
	sum := sha256.Sum256([]byte(roleARN))
	return "AROA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// AssumedRoleARN is the ARN of a role session:
// arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>.
func AssumedRoleARN(roleARN, sessionName string) string {
	partition, account := "aws", ""
	if a, err := arn.Parse(roleARN); err == nil {
		partition, account = a.Partition, a.AccountID
	}
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + RoleName(roleARN) + "/" + sessionName
}

// newAccessKeyID returns "ASIA" and 16 base32 characters: 32 bits of the Unix time in
// seconds, then 48 random bits. Keys issued later sort later, so storing a session
// appends to the sessions table instead of dirtying a random page per key; access key IDs
// are not secret (the secret key is), and 48 random bits a second keep them unique (a
// collision is retried).
func newAccessKeyID(now time.Time) string {
	var b [10]byte // 80 bits: 16 base32 characters, no padding
	rand.Read(b[4:])
	sec := uint32(now.Unix())
	b[0], b[1], b[2], b[3] = byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec)
	return accessKeyPrefix + base32.StdEncoding.EncodeToString(b[:])
}

func newSecret() string {
	var b [secretLen * 3 / 4]byte // 30 bytes: 40 base64 characters, no padding
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func newSessionToken() string {
	var b [tokenBytes]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
