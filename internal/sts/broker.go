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
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/sigv4"
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
	MaxDuration = oidc.MaxSessionLifetime

	accessKeyPrefix = "ASIA" // temporary credentials, as STS issues them
	accessKeyLen    = len(accessKeyPrefix) + 16
	secretLen       = 40
)

// Errors of Issue for requests it refuses; anything else it returns is a failure of the
// random source.
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

// Session is one set of temporary credentials and what they were issued for. Sessions
// outlive the pool and identity they were issued for, as STS credentials do in AWS: they
// stay valid until Expiry. They are not stored: SessionToken carries the rest (token.go).
type Session struct {
	AccessKeyID     string // "ASIA..."
	SecretAccessKey string
	SessionToken    string

	AccountID   string // the account of the role
	RoleARN     string
	SessionName string
	IdentityID  string // empty for sessions not issued to an identity
	PoolID      string
	// Tags are the session (principal) tags; nil and empty stay apart.
	Tags map[string]string

	CreatedAt time.Time
	Expiry    time.Time
}

// Broker issues temporary credentials and resolves their access keys. It is safe for
// concurrent use.
type Broker struct {
	keys KeySource
	now  func() time.Time
}

// NewBroker returns a Broker that seals its session tokens with the current key of keys
// (the same on every node: oidc.Issuer) and opens them with any of them; now is the clock,
// nil meaning time.Now.
func NewBroker(keys KeySource, now func() time.Time) *Broker {
	if now == nil {
		now = time.Now
	}
	return &Broker{keys: keys, now: now}
}

// Issue mints a session for req. Expiry is whole seconds, as STS reports it (Expiration
// in ISO 8601 to the second), so that what the client is told and what the server
// enforces agree. Nothing is stored: the session travels in its token.
func (b *Broker) Issue(req Request) (*Session, error) {
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
	s := &Session{
		AccessKeyID:     newAccessKeyID(now),
		SecretAccessKey: newSecret(),
		AccountID:       account,
		RoleARN:         req.RoleARN,
		SessionName:     name,
		IdentityID:      req.IdentityID,
		PoolID:          req.PoolID,
		Tags:            maps.Clone(req.Tags),
		CreatedAt:       now,
		Expiry:          now.Add(d).Truncate(time.Second),
	}
	keys := b.keys.SessionKeys()
	if len(keys) == 0 {
		return nil, errNoKey
	}
	if s.SessionToken, err = seal(keys[0], s); err != nil {
		return nil, err
	}
	return s, nil
}

// LookupAccessKey implements sigv4.CredentialSource over the tokens this deployment
// sealed. A key whose token does not open or names another key is ok=false, so the
// Verifier answers it as AWS answers an unknown key (UnrecognizedClient, "The security
// token included in the request is invalid."). An expired session is found, with its
// Expiry: the Verifier answers ExpiredToken once the signature holds, as STS does. Keys
// that cannot be an STS key (not ASIA..., of another length, or without a token) are
// refused before any decryption, so admin keys looked up through a chain cost nothing
// here.
func (b *Broker) LookupAccessKey(_ context.Context, accessKeyID, sessionToken string) (sigv4.Credential, bool, error) {
	if len(accessKeyID) != accessKeyLen || !strings.HasPrefix(accessKeyID, accessKeyPrefix) || sessionToken == "" {
		return sigv4.Credential{}, false, nil
	}
	s, err := open(b.keys.SessionKeys(), sessionToken)
	if err != nil || s.AccessKeyID != accessKeyID {
		return sigv4.Credential{}, false, nil
	}
	return sigv4.Credential{
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		AccountID:       s.AccountID,
		Expiry:          s.Expiry,
		PrincipalARN:    AssumedRoleARN(s.RoleARN, s.SessionName),
		UserID:          RoleID(s.RoleARN) + ":" + s.SessionName,
	}, true, nil
}

// ChainCredentials returns a sigv4.CredentialSource that asks sources in order and
// returns the first credential found. A source's error stops the search and is returned:
// a key must not resolve differently because a store was briefly unreachable.
func ChainCredentials(sources ...sigv4.CredentialSource) sigv4.CredentialSource {
	return chain(append([]sigv4.CredentialSource(nil), sources...))
}

type chain []sigv4.CredentialSource

func (c chain) LookupAccessKey(ctx context.Context, accessKeyID, sessionToken string) (sigv4.Credential, bool, error) {
	for _, s := range c {
		cred, ok, err := s.LookupAccessKey(ctx, accessKeyID, sessionToken)
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
// seconds, then 48 random bits, as unique as STS's. Access key IDs are not secret (the
// secret key is), and a token names its key, so even two equal IDs would not let one
// session's token stand for the other's.
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
