package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

// Limits and tolerances shared by the verifiers. They are constants rather than settings
// because they are part of the behaviour clients see from AWS.
const (
	// ClockSkew is how far the clocks of a provider and idpool may disagree: tokens are
	// accepted up to ClockSkew after they expire and ClockSkew before they become valid.
	ClockSkew = 5 * time.Minute
	// MaxJWTSize bounds a JSON Web Token. Larger tokens are refused before any parsing so
	// that a hostile login costs nothing to turn away.
	MaxJWTSize = 16 << 10
	// MaxSAMLSize bounds a base64 SAML response (the API already limits a Logins value to
	// 50,000 characters; this is a backstop for direct callers).
	MaxSAMLSize = 100 << 10

	// DefaultFetchTimeout bounds every request to a provider: discovery, JWKS, the social
	// providers' APIs.
	DefaultFetchTimeout = 5 * time.Second
	// MinRefetchInterval is the shortest time between two JWKS fetches for one issuer. A
	// token with an unknown key ID triggers at most one fetch per interval; tokens with
	// invented key IDs cannot turn idpool into an amplifier against the provider.
	MinRefetchInterval = 10 * time.Second
	// KeysTTL is how long fetched keys are used before they are fetched again, so that a
	// key the provider withdrew stops verifying tokens within the hour.
	KeysTTL = time.Hour

	// maxResponseBody bounds what idpool reads from a provider.
	maxResponseBody = 1 << 20
	// maxKeySets bounds the JWKS cache: one entry per issuer ever seen.
	maxKeySets = 1024
)

// ServerSideTokenCheckBehavior documents what idpool does for user pool providers
// configured with ServerSideTokenCheck. AWS then also asks the user pool whether the token
// was revoked (a global sign-out or a revoked refresh token); idpool cannot ask AWS's user
// pools, so the setting is accepted and stored but verification is the same as without it.
const ServerSideTokenCheckBehavior = "idpool verifies the user pool ID token's signature (against the user pool's published JWKS) and its claims only: " +
	"it cannot ask the user pool whether the token was revoked, so ServerSideTokenCheck does not change verification."

// Well-known social provider names, as used as Logins keys.
const (
	ProviderFacebook = "graph.facebook.com"
	ProviderGoogle   = "accounts.google.com"
	ProviderAmazon   = "www.amazon.com"
	ProviderTwitter  = "api.twitter.com"
	ProviderDigits   = "www.digits.com"
	ProviderApple    = "appleid.apple.com"
)

// Providers is the IAM registry of OpenID Connect and SAML providers; storage.ProviderStore
// implements it. The verifier reads a provider on every login, so that a change made
// through the IAM API (a new client ID, new metadata) applies at once.
type Providers interface {
	GetProvider(ctx context.Context, accountID, arn string) (*storage.IAMProvider, error)
}

// Config configures a Verifier. The zero value of each field has a sensible default.
type Config struct {
	// Providers is the IAM registry; OIDC and SAML logins fail without it.
	Providers Providers
	// HTTPClient makes every request to a provider. nil: a client with a timeout of
	// FetchTimeout.
	HTTPClient *http.Client
	// FetchTimeout bounds each request to a provider (0: DefaultFetchTimeout). It is
	// applied as a context deadline too, so it also bounds a caller-supplied HTTPClient.
	FetchTimeout time.Duration
	// Now is the clock (nil: time.Now). Every time decision goes through it.
	Now func() time.Time
	// Region is idpool's region; it names the regional SAML sign-in endpoint.
	Region string

	// Where a self-hosted or emulated service stands in for AWS's or a social
	// provider's (tests and local development).

	// UserPoolIssuer returns a user pool's issuer URL (nil:
	// "https://cognito-idp.<region>.amazonaws.com/<userPoolID>").
	UserPoolIssuer func(region, userPoolID string) string
	// GoogleIssuer and AppleIssuer default to https://accounts.google.com and
	// https://appleid.apple.com.
	GoogleIssuer, AppleIssuer string
	// FacebookGraphURL, AmazonProfileURL and TwitterAPIURL default to
	// https://graph.facebook.com, https://api.amazon.com and https://api.twitter.com.
	FacebookGraphURL, AmazonProfileURL, TwitterAPIURL string

	// SAMLRecipients are the accepted Recipient (and Destination, when present) of a SAML
	// response. nil: https://signin.aws.amazon.com/saml and, with Region set,
	// https://<Region>.signin.aws.amazon.com/saml, the endpoints AWS accepts.
	SAMLRecipients []string

	// Logger receives what clients are not told: why a provider could not be reached,
	// why a token or assertion failed. nil: discard.
	Logger *slog.Logger
}

// Verifier checks login tokens of every provider kind. It is safe for concurrent use; its
// only state is the cache of providers' signing keys.
type Verifier struct {
	providers      Providers
	client         *http.Client
	fetchTimeout   time.Duration
	now            func() time.Time
	log            *slog.Logger
	userPoolIssuer func(region, userPoolID string) string
	googleIssuer   string
	appleIssuer    string
	facebookURL    string
	amazonURL      string
	twitterURL     string
	samlRecipients []string

	// mu guards the caches: keySets, the JWKS cache keyed by issuer and key source, and
	// samlIdPs, parsed SAML metadata keyed by provider ARN.
	mu       sync.Mutex
	keySets  map[string]*keySet
	samlIdPs map[string]samlIdPEntry
}

// New returns a Verifier with cfg's settings, defaults filled in.
func New(cfg Config) *Verifier {
	v := &Verifier{
		providers:      cfg.Providers,
		client:         cfg.HTTPClient,
		fetchTimeout:   cfg.FetchTimeout,
		now:            cfg.Now,
		log:            cfg.Logger,
		userPoolIssuer: cfg.UserPoolIssuer,
		googleIssuer:   strings.TrimRight(orDefault(cfg.GoogleIssuer, "https://accounts.google.com"), "/"),
		appleIssuer:    strings.TrimRight(orDefault(cfg.AppleIssuer, "https://appleid.apple.com"), "/"),
		facebookURL:    strings.TrimRight(orDefault(cfg.FacebookGraphURL, "https://graph.facebook.com"), "/"),
		amazonURL:      strings.TrimRight(orDefault(cfg.AmazonProfileURL, "https://api.amazon.com"), "/"),
		twitterURL:     strings.TrimRight(orDefault(cfg.TwitterAPIURL, "https://api.twitter.com"), "/"),
		samlRecipients: slices.Clone(cfg.SAMLRecipients),
		keySets:        make(map[string]*keySet),
		samlIdPs:       make(map[string]samlIdPEntry),
	}
	if v.fetchTimeout <= 0 {
		v.fetchTimeout = DefaultFetchTimeout
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: v.fetchTimeout, CheckRedirect: checkRedirect}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	if v.userPoolIssuer == nil {
		v.userPoolIssuer = func(region, userPoolID string) string {
			return "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
		}
	}
	if len(v.samlRecipients) == 0 {
		v.samlRecipients = []string{"https://signin.aws.amazon.com/saml"}
		if cfg.Region != "" {
			v.samlRecipients = append(v.samlRecipients, "https://"+cfg.Region+".signin.aws.amazon.com/saml")
		}
	}
	return v
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// VerifyLogin checks token, the value of the Logins key provider, against the pool's
// configuration of that provider and returns the user it proves. Refusals are
// *awserr.Error values with AWS's codes and messages: NotAuthorizedException for a token
// that is not valid, ExternalServiceException when the provider cannot be reached. Other
// errors are internal (a storage failure).
func (v *Verifier) VerifyLogin(ctx context.Context, pool *storage.Pool, provider, token string) (*Login, error) {
	l, err := v.verifyLogin(ctx, pool, provider, token)
	if err == nil && strings.IndexByte(l.Subject, 0) >= 0 {
		// A user ID with a NUL character names no one a database can store (PostgreSQL
		// text cannot hold it), whichever kind of provider proved it.
		return nil, notAuthorizedf("The token's user identifier contains a NUL character.")
	}
	return l, err
}

func (v *Verifier) verifyLogin(ctx context.Context, pool *storage.Pool, provider, token string) (*Login, error) {
	if pool == nil {
		return nil, errors.New("idp: VerifyLogin without a pool")
	}
	if _, ok := pool.SupportedLoginProviders[provider]; ok {
		return v.verifySocial(ctx, pool, provider, token)
	}
	if strings.HasPrefix(provider, "cognito-idp.") {
		if clients := userPoolClients(pool, provider); len(clients) > 0 {
			return v.verifyUserPool(ctx, pool, provider, token, clients)
		}
	}
	if slices.Contains(pool.SAMLProviderARNs, provider) {
		return v.verifySAML(ctx, pool, provider, token)
	}
	for _, a := range pool.OpenIDConnectProviderARNs {
		if _, name, ok := strings.Cut(a, ":oidc-provider/"); ok && name == provider {
			return v.verifyOIDCProvider(ctx, pool, provider, a, token)
		}
	}
	return nil, errNotSupported()
}

// verifySocial dispatches the pool's SupportedLoginProviders; appID is the pool's
// configuration of the provider (app or client IDs, Twitter's consumer key and secret).
func (v *Verifier) verifySocial(ctx context.Context, pool *storage.Pool, provider, token string) (*Login, error) {
	appID := pool.SupportedLoginProviders[provider]
	switch provider {
	case ProviderGoogle:
		issuers := []string{v.googleIssuer}
		// Google's ID tokens carry either form of its issuer.
		if rest, ok := strings.CutPrefix(v.googleIssuer, "https://"); ok {
			issuers = append(issuers, rest)
		}
		return v.verifySocialOIDC(ctx, provider, v.googleIssuer, issuers, splitIDs(appID), token)
	case ProviderApple:
		return v.verifySocialOIDC(ctx, provider, v.appleIssuer, []string{v.appleIssuer}, splitIDs(appID), token)
	case ProviderFacebook:
		return v.verifyFacebook(ctx, splitIDs(appID), token)
	case ProviderAmazon:
		return v.verifyAmazon(ctx, splitIDs(appID), token)
	case ProviderTwitter:
		return v.verifyTwitter(ctx, appID, token)
	case ProviderDigits:
		// Digits was shut down in 2017; there is nothing left to ask.
		return nil, awserr.New(awserr.NotAuthorized, "Invalid login token. Digits logins can no longer be verified.")
	}
	return nil, errNotSupported()
}

// splitIDs splits a SupportedLoginProviders value listing several app or client IDs.
func splitIDs(s string) []string {
	var ids []string
	for id := range strings.SplitSeq(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Refusals. They are built on demand (no package state), each with AWS's message.

func errNotSupported() error {
	return awserr.New(awserr.NotAuthorized, "Token is not from a supported provider of this identity pool.")
}

func errMalformed() error {
	return awserr.New(awserr.NotAuthorized, "Invalid login token. Not a valid OpenId Connect identity token.")
}

func errIssuer() error {
	return awserr.New(awserr.NotAuthorized, "Invalid login token. Issuer doesn't match providerName")
}

func errSignature() error {
	return awserr.New(awserr.NotAuthorized, "Invalid login token. Couldn't verify signed token.")
}

func errMissingClaim(name string) error {
	return awserr.Newf(awserr.NotAuthorized, "Invalid login token. Missing a required claim: %s", name)
}

func errExpired(now time.Time, exp int64) error {
	return awserr.Newf(awserr.NotAuthorized, "Invalid login token. Token expired: %d >= %d", now.Unix(), exp)
}

// errExternal is the refusal for a provider that could not be asked: unreachable, too
// slow, answering 5xx or nonsense. The details go to the log, never to the client.
func errExternal(what string) error {
	return awserr.Newf(awserr.ExternalService, "Could not verify the login token: %s could not be reached or did not answer properly. Try again later.", what)
}

// notAuthorizedf is a refusal with a message of ours, always in AWS's "Invalid login
// token." form.
func notAuthorizedf(format string, args ...any) error {
	return awserr.Newf(awserr.NotAuthorized, "Invalid login token. "+format, args...)
}

// loadProvider reads an IAM provider of the pool's account, of the expected kind.
func (v *Verifier) loadProvider(ctx context.Context, pool *storage.Pool, arn, kind string) (*storage.IAMProvider, error) {
	if v.providers == nil {
		return nil, fmt.Errorf("idp: no IAM provider registry configured, cannot verify %s", arn)
	}
	p, err := v.providers.GetProvider(ctx, pool.AccountID, arn)
	if errors.Is(err, storage.ErrNotFound) {
		v.log.WarnContext(ctx, "idp: identity pool names an IAM provider that does not exist", "pool", pool.ID, "provider", arn)
		return nil, errNotSupported()
	}
	if err != nil {
		return nil, fmt.Errorf("idp: loading provider %s: %w", arn, err)
	}
	if p.Kind != kind {
		v.log.WarnContext(ctx, "idp: IAM provider has the wrong kind", "provider", arn, "kind", p.Kind, "want", kind)
		return nil, errNotSupported()
	}
	return p, nil
}
