package oidc

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// Defaults and limits of Config.
const (
	// DefaultRotationPeriod is how long a key signs before the next one takes over. A day
	// keeps the JWKS small (current, next, and one or two retired keys with 24 h tokens)
	// while still limiting how much a leaked key is worth.
	DefaultRotationPeriod = 24 * time.Hour
	// MinRotationPeriod keeps rotation well above the refresh interval, so that every node
	// publishes a next key long before it signs (see doc.go).
	MinRotationPeriod = time.Minute
	// DefaultMaxTokenLifetime is the longest token ever issued: developer tokens go up to
	// 86400 s.
	DefaultMaxTokenLifetime = 24 * time.Hour
	// DefaultKeyBits and MinKeyBits: RSA modulus size.
	DefaultKeyBits = 2048
	MinKeyBits     = 2048
	maxKeyBits     = 8192

	// MaxTokenSize bounds a token in both directions: Verify refuses longer strings before
	// parsing anything, and Issue refuses to sign a token that Verify would refuse
	// (ErrTokenTooLarge). A typical token is about 1 KiB; only dozens of near-maximal
	// principal tags come close. (AWS STS takes web identity tokens up to 20000 characters.)
	MaxTokenSize = 16 << 10

	// DiscoveryPath and JWKSPath are where the handlers belong, under the issuer URL.
	// jwks_uri is AWS's literal path (not jwks.json).
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks_uri"

	// DefaultRefreshInterval: how often Run reloads keys from storage, so that all nodes
	// serve the same JWKS and sign with the same key within this delay of a rotation
	// elsewhere.
	DefaultRefreshInterval = 30 * time.Second
	// reloadMinInterval rate-limits storage reloads triggered by tokens with an unknown
	// kid, which anyone can forge in bulk.
	reloadMinInterval = 5 * time.Second
	// retireGrace keeps a retired key published a little longer than MaxTokenLifetime: a
	// node that has not yet seen a rotation (up to RefreshInterval) may still sign with the
	// old key, and node clocks differ by a little.
	retireGrace = 5 * time.Minute
	// futureIssuedAtLeeway: a token claiming to be issued further in the future than this
	// is malformed (nodes' clocks may differ a little, never by this much).
	futureIssuedAtLeeway = 5 * time.Minute
	// jwksMaxAge caps the JWKS Cache-Control max-age (also limited to a quarter of the
	// rotation period, see Issuer.jwksMaxAge).
	jwksMaxAge = time.Hour
	// discoveryMaxAge: the discovery document only changes with the configuration.
	discoveryMaxAge = time.Hour
)

// Config configures an Issuer.
type Config struct {
	// IssuerURL is the iss of every token and the base of the discovery and JWKS URLs,
	// e.g. http://127.0.0.1:4577 (no trailing slash).
	IssuerURL string
	// Keys is the key store shared by all nodes.
	Keys storage.KeyStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RotationPeriod is how long a key signs; 0 means DefaultRotationPeriod.
	RotationPeriod time.Duration
	// MaxTokenLifetime is the longest token Issue signs; retired keys stay published this
	// long (plus a small grace) after retirement. 0 means DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// RefreshInterval is how often Run reloads the keys from storage, picking up a
	// rotation made by another node; 0 means DefaultRefreshInterval.
	RefreshInterval time.Duration
	// KeyBits is the RSA key size; 0 means DefaultKeyBits, at least MinKeyBits.
	KeyBits int
	// KEK is an optional 32-byte key-encryption key: private keys are stored AES-256-GCM
	// encrypted with it. See doc.go for how a KEK added to an existing deployment behaves.
	KEK []byte
	// Logger receives rotation and refresh events; nil discards them.
	Logger *slog.Logger
}

// withDefaults checks cfg and fills in its defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Keys == nil {
		return cfg, errors.New("oidc: no key store")
	}
	u, err := url.Parse(cfg.IssuerURL)
	switch {
	case cfg.IssuerURL == "":
		return cfg, errors.New("oidc: no issuer URL")
	case err != nil:
		return cfg, fmt.Errorf("oidc: issuer URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return cfg, fmt.Errorf("oidc: issuer URL %q is not an absolute http(s) URL", cfg.IssuerURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		// OpenID Connect Discovery 1.0 §3: no query, no fragment.
		return cfg, fmt.Errorf("oidc: issuer URL %q has a query, fragment or user info", cfg.IssuerURL)
	case cfg.IssuerURL[len(cfg.IssuerURL)-1] == '/':
		// iss is compared byte for byte by verifiers: refuse rather than guess which form
		// the relying parties were told.
		return cfg, fmt.Errorf("oidc: issuer URL %q must not end with a slash", cfg.IssuerURL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RotationPeriod == 0 {
		cfg.RotationPeriod = DefaultRotationPeriod
	}
	if cfg.RotationPeriod < MinRotationPeriod {
		return cfg, fmt.Errorf("oidc: rotation period %s is shorter than %s", cfg.RotationPeriod, MinRotationPeriod)
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = min(DefaultRefreshInterval, cfg.RotationPeriod/4)
	}
	// A node must see a rotation well before the pre-published next key takes over.
	if cfg.RefreshInterval < 0 || cfg.RefreshInterval > cfg.RotationPeriod/4 {
		return cfg, fmt.Errorf("oidc: refresh interval %s must be positive and at most a quarter of the rotation period", cfg.RefreshInterval)
	}
	if cfg.MaxTokenLifetime == 0 {
		cfg.MaxTokenLifetime = DefaultMaxTokenLifetime
	}
	if cfg.MaxTokenLifetime < 0 {
		return cfg, fmt.Errorf("oidc: negative max token lifetime %s", cfg.MaxTokenLifetime)
	}
	if cfg.KeyBits == 0 {
		cfg.KeyBits = DefaultKeyBits
	}
	if cfg.KeyBits < MinKeyBits || cfg.KeyBits > maxKeyBits {
		return cfg, fmt.Errorf("oidc: RSA key size %d outside [%d, %d]", cfg.KeyBits, MinKeyBits, maxKeyBits)
	}
	if len(cfg.KEK) != 0 && len(cfg.KEK) != KEKSize {
		return cfg, fmt.Errorf("oidc: key-encryption key is %d bytes, want %d", len(cfg.KEK), KEKSize)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}
