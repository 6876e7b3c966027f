package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/postgres"
	"github.com/idpool/idpool/internal/storage/sqlite"
)

// AuthMode says how developer operations are authenticated.
type AuthMode string

const (
	// AuthSigV4 requires a valid SigV4 signature from a configured credential.
	AuthSigV4 AuthMode = "sigv4"
	// AuthNone accepts unsigned or wrongly signed developer calls, for throwaway testing.
	AuthNone AuthMode = "none"
)

// Config is the validated configuration of `idpool serve`.
type Config struct {
	Listen          string
	DataDir         string
	DatabaseURL     string
	Region          string
	AccountID       string
	IssuerURL       string
	Auth            AuthMode
	LogFormat       string
	LogLevel        slog.Level
	CredentialsFile string
	// Credentials are the admin credentials allowed to sign developer operations, each
	// tied to the account whose pools it manages.
	Credentials []Credential
	// GeneratedCredential is set when this start generated the admin credential, so that
	// it is shown once.
	GeneratedCredential *Credential
	MaxPoolsPerAccount  int
	// MaxRulesPerMapping is the rules quota of a Rules role mapping.
	MaxRulesPerMapping int
	// KeyRotationPeriod is how often the token signing key rotates; 0 means the issuer's
	// default.
	KeyRotationPeriod time.Duration
	// KeyRefreshInterval is how often a node reloads the signing keys from storage,
	// picking up a rotation made by another node; 0 means the issuer's default.
	KeyRefreshInterval time.Duration
	// DatabaseMaxConns caps the PostgreSQL connections of this node; 0 means the
	// backend's default.
	DatabaseMaxConns int
	// DebugListen, when set, serves Go's profiler there.
	DebugListen string
	// KeyEncryptionKey, when set, encrypts signing keys at rest (32 bytes).
	KeyEncryptionKey []byte
	// Stand-ins for AWS's and the social providers' services, for tests and local
	// development; empty means the real ones.
	UserPoolIssuerBase string // "{region}" is replaced; the user pool ID is appended
	GoogleIssuer       string
	AppleIssuer        string
	FacebookGraphURL   string
	AmazonURL          string
	TwitterURL         string
	// ProvidersFile declares IAM identity providers (OIDC and SAML) at startup.
	ProvidersFile string
	// STSEndpoint, when set, is a real STS that GetCredentialsForIdentity obtains
	// credentials from instead of minting them.
	STSEndpoint string
}

// Credential is an admin access key and the account it acts for.
type Credential struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	AccountID       string `json:"account_id"`
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	akidPattern    = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// ParseServe reads the serve subcommand's flags (args without the subcommand name) and the
// environment (getenv, usually os.Getenv). A flag given on the command line wins over its
// IDPOOL_<NAME> variable.
func ParseServe(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("idpool serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &Config{}
	var auth, level string
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:4577", "address to listen on; only loopback unless you choose otherwise")
	fs.StringVar(&c.DataDir, "data-dir", "./idpool-data", "directory for the SQLite database and generated secrets")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "storage: empty means SQLite in the data directory; sqlite:<path>, or postgres://user:password@host/db for several nodes")
	fs.StringVar(&c.Region, "region", "us-east-1", "the AWS region this server is")
	fs.StringVar(&c.AccountID, "account-id", "000000000000", "account of the admin credential given by flags or generated, and of --auth=none callers")
	fs.StringVar(&c.IssuerURL, "issuer-url", "", "public URL of the OpenID token issuer (default http://<bound address>)")
	var akid, secret string
	fs.StringVar(&akid, "access-key-id", "", "admin access key ID for signed operations")
	fs.StringVar(&secret, "secret-access-key", "", "admin secret access key for signed operations")
	fs.StringVar(&c.CredentialsFile, "credentials-file", "", "JSON file of admin credentials, each tied to an account")
	fs.StringVar(&auth, "auth", string(AuthSigV4), "sigv4, or none to accept unsigned developer calls (local testing only)")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&c.MaxPoolsPerAccount, "max-pools-per-account", 1000, "identity pools per account and region")
	fs.IntVar(&c.MaxRulesPerMapping, "max-rules-per-mapping", 25, "rules in a Rules role mapping (AWS's quota is 25; the API model allows 400)")
	fs.DurationVar(&c.KeyRotationPeriod, "key-rotation-period", 0, "how often the token signing key rotates (default 24h)")
	fs.DurationVar(&c.KeyRefreshInterval, "key-refresh-interval", 0, "how often a node reloads signing keys rotated by another node (default 30s)")
	fs.StringVar(&c.DebugListen, "debug-listen", "", "address to serve Go's profiler (/debug/pprof/) on, e.g. 127.0.0.1:6060; off when empty")
	fs.IntVar(&c.DatabaseMaxConns, "database-max-conns", 0, "PostgreSQL connections of this node (default max(8, 4 x CPUs))")
	var kek string
	fs.StringVar(&c.UserPoolIssuerBase, "user-pool-issuer-base", "", "issuer base of Cognito user pools, e.g. http://127.0.0.1:9229 for a local stand-in ({region} is replaced; default https://cognito-idp.{region}.amazonaws.com)")
	fs.StringVar(&c.GoogleIssuer, "google-issuer", "", "issuer of Google ID tokens (default https://accounts.google.com)")
	fs.StringVar(&c.AppleIssuer, "apple-issuer", "", "issuer of Sign in with Apple tokens (default https://appleid.apple.com)")
	fs.StringVar(&c.FacebookGraphURL, "facebook-graph-url", "", "Facebook Graph API base URL (default https://graph.facebook.com)")
	fs.StringVar(&c.AmazonURL, "amazon-url", "", "Login with Amazon API base URL (default https://api.amazon.com)")
	fs.StringVar(&c.TwitterURL, "twitter-url", "", "Twitter API base URL (default https://api.twitter.com)")
	fs.StringVar(&c.STSEndpoint, "sts-endpoint", "", "a real STS (AWS, MinIO, ...) to obtain credentials from with AssumeRoleWithWebIdentity; empty: idpool mints them")
	fs.StringVar(&c.ProvidersFile, "providers-file", "", "JSON file declaring IAM OpenID Connect and SAML providers, loaded at startup")
	fs.StringVar(&kek, "key-encryption-key", "", "base64 of 32 bytes: encrypts signing keys at rest (prefer the environment variable)")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := "IDPOOL_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}

	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return nil, fmt.Errorf("--listen %q: %w", c.Listen, err)
	}
	if !regionPattern.MatchString(c.Region) {
		return nil, fmt.Errorf("--region %q is not a region name such as us-east-1", c.Region)
	}
	if !accountPattern.MatchString(c.AccountID) {
		return nil, fmt.Errorf("--account-id %q must be 12 digits", c.AccountID)
	}
	// An empty issuer URL defaults to the address the server binds, known only then.
	c.IssuerURL = strings.TrimRight(c.IssuerURL, "/")
	if c.STSEndpoint != "" {
		if u, err := url.Parse(c.STSEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--sts-endpoint %q: want an http(s) URL", c.STSEndpoint)
		}
	}
	if c.KeyRotationPeriod < 0 {
		return nil, errors.New("--key-rotation-period must not be negative")
	}
	if kek != "" {
		k, err := oidc.ParseKEK(kek)
		if err != nil {
			return nil, fmt.Errorf("--key-encryption-key: %w", err)
		}
		c.KeyEncryptionKey = k
	}
	switch AuthMode(auth) {
	case AuthSigV4, AuthNone:
		c.Auth = AuthMode(auth)
	default:
		return nil, fmt.Errorf("--auth %q: want sigv4 or none", auth)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	if c.MaxPoolsPerAccount < 1 {
		return nil, fmt.Errorf("--max-pools-per-account must be at least 1")
	}
	if c.MaxRulesPerMapping < 1 || c.MaxRulesPerMapping > 400 {
		return nil, fmt.Errorf("--max-rules-per-mapping must be between 1 and 400")
	}
	if c.DatabaseURL != "" && c.backend() == "" {
		// Only the scheme is echoed: the rest may hold a password, in whatever form.
		return nil, fmt.Errorf("--database-url with scheme %q: want sqlite:<path>, postgres:// or postgresql://", scheme(c.DatabaseURL))
	}
	if c.DatabaseMaxConns < 0 || c.DatabaseMaxConns > math.MaxInt32 {
		return nil, errors.New("--database-max-conns must be between 0 and 2147483647")
	}
	if c.KeyRefreshInterval < 0 {
		return nil, errors.New("--key-refresh-interval must not be negative")
	}

	if (akid == "") != (secret == "") {
		return nil, errors.New("--access-key-id and --secret-access-key must be given together")
	}
	if akid != "" {
		c.Credentials = append(c.Credentials, Credential{AccessKeyID: akid, SecretAccessKey: secret, AccountID: c.AccountID})
	}
	if c.CredentialsFile != "" {
		creds, err := readCredentials(c.CredentialsFile)
		if err != nil {
			return nil, err
		}
		c.Credentials = append(c.Credentials, creds...)
	}
	if err := checkCredentials(c.Credentials); err != nil {
		return nil, err
	}
	return c, nil
}

func checkCredentials(creds []Credential) error {
	seen := map[string]bool{}
	for _, cr := range creds {
		if !akidPattern.MatchString(cr.AccessKeyID) {
			return fmt.Errorf("access key ID %q: want 16 or more upper-case letters and digits", cr.AccessKeyID)
		}
		if len(cr.SecretAccessKey) < 16 {
			return fmt.Errorf("secret access key of %s: too short (16 characters at least)", cr.AccessKeyID)
		}
		if !accountPattern.MatchString(cr.AccountID) {
			return fmt.Errorf("account ID %q of %s must be 12 digits", cr.AccountID, cr.AccessKeyID)
		}
		if seen[cr.AccessKeyID] {
			return fmt.Errorf("access key ID %s is configured twice", cr.AccessKeyID)
		}
		seen[cr.AccessKeyID] = true
	}
	return nil
}

// EnsureCredentials makes sure there is at least one admin credential: with none
// configured it loads the one generated on an earlier start from the data directory, or
// generates, stores (mode 0600) and marks a new one to be shown once.
func (c *Config) EnsureCredentials() error {
	if len(c.Credentials) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, generatedCredentialsFile)
	creds, err := readCredentials(path)
	if err == nil {
		c.Credentials = creds
		return checkCredentials(creds)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	cr, err := generateCredential(c.AccountID)
	if err != nil {
		return err
	}
	if err := writeCredentials(path, []Credential{cr}); err != nil {
		return err
	}
	c.Credentials = []Credential{cr}
	c.GeneratedCredential = &cr
	return nil
}

// backend names the storage backend --database-url selects: "sqlite", "postgres", or ""
// for a URL of no known backend.
func (c *Config) backend() string {
	switch {
	case c.DatabaseURL == "", strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		return "sqlite"
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return "postgres"
	}
	return ""
}

// OpenStore opens the configured storage backend.
func (c *Config) OpenStore(ctx context.Context) (storage.Store, error) {
	if c.backend() == "postgres" {
		return postgres.Open(ctx, c.DatabaseURL, postgres.Options{MaxConns: int32(c.DatabaseMaxConns)})
	}
	path := filepath.Join(c.DataDir, "idpool.db")
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok && p != "" {
		path = p
	}
	return sqlite.Open(ctx, path, sqlite.Options{})
}

// scheme is what precedes the first ':' of a database URL, or "" when there is none or
// it is not a URL scheme (a keyword connection string, say).
func scheme(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	for _, r := range s[:i] {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '+' || r == '-' || r == '.') {
			return ""
		}
	}
	return s[:i]
}
