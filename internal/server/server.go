package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/awsjson"
	"github.com/idpool/idpool/internal/cognito"
	"github.com/idpool/idpool/internal/config"
	"github.com/idpool/idpool/internal/iam"
	"github.com/idpool/idpool/internal/idp"
	"github.com/idpool/idpool/internal/metrics"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/sts"
)

// Version is reported by /metrics and the startup log; set with -ldflags at release.
var Version = "dev"

// Server is a running idpool.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	ln      net.Listener
	store   storage.Store
	issuer  *oidc.Issuer
	handler http.Handler
}

// Option adjusts a Server for tests.
type Option func(*options)

type options struct{ now func() time.Time }

// WithClock replaces the wall clock, so tests can step time.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New binds the listener, opens storage and wires every component. Binding first lets
// the issuer URL default to the address actually bound (port 0 in tests).
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*Server, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	issuerURL := cfg.IssuerURL
	if issuerURL == "" {
		issuerURL = "http://" + ln.Addr().String()
	}
	u, err := url.Parse(issuerURL)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("issuer URL %q: %w", issuerURL, err)
	}
	store, err := cfg.OpenStore(ctx)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("opening storage: %w", err)
	}
	issuer, err := newIssuer(ctx, cfg, issuerURL, store, o.now, log)
	if err != nil {
		ln.Close()
		store.Close()
		return nil, err
	}
	names := make([]string, 0, len(api.Operations)+1)
	for _, op := range api.Operations {
		names = append(names, op.Name)
	}
	names = append(names, "unknown")
	reg := metrics.New(names)
	reg.SetVersion(Version)

	if cfg.ProvidersFile != "" {
		if err := declareProviders(ctx, cfg.ProvidersFile, cfg.AccountID, store, o.now(), log); err != nil {
			ln.Close()
			store.Close()
			return nil, err
		}
	}
	creds := make(map[string]sigv4.Credential, len(cfg.Credentials))
	for _, c := range cfg.Credentials {
		creds[c.AccessKeyID] = sigv4.Credential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, AccountID: c.AccountID}
	}
	broker := sts.NewBroker(issuer, o.now)
	roles := newRoleCache(store, o.now)
	trust := newRoleTrust(roles)
	svc := cognito.New(cognito.Config{
		Region: cfg.Region,
		Store:  newCognitoStore(store, o.now),
		Limits: cognito.Limits{PoolsPerAccount: cfg.MaxPoolsPerAccount, RulesPerMapping: cfg.MaxRulesPerMapping},
		Issuer: issuer,
		Logins: newLoginVerifier(cfg, store, o.now, log),
		Broker: credentialBroker(cfg, broker, trust, log),
		Now:    o.now,
		Logger: log,
	})
	cognitoAPI := awsjson.New(awsjson.Config{
		Service: svc,
		Auth: &authenticator{
			verifier:       &sigv4.Verifier{Region: cfg.Region, Credentials: sigv4.StaticCredentials(creds)},
			defaultAccount: cfg.AccountID,
			insecure:       cfg.Auth == config.AuthNone,
			log:            log,
		},
		Logger:  log,
		Observe: func(op string) awsjson.Observer { return reg.Op(op) },
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("storage unreachable\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", reg.Handler())
	issuerPath := strings.TrimRight(u.Path, "/")
	mux.Handle("GET "+issuerPath+"/.well-known/openid-configuration", issuer.DiscoveryHandler())
	mux.Handle("GET "+issuerPath+"/.well-known/jwks_uri", issuer.JWKSHandler())
	insecure := cfg.Auth == config.AuthNone
	iamAPI := iam.New(iam.Config{
		Store:  iamRoles{store, roles},
		Auth:   accountAuthenticator{newQueryAuthenticator("iam", cfg.Region, sigv4.StaticCredentials(creds), cfg.AccountID, insecure)},
		Now:    o.now,
		Logger: log,
	})
	stsAPI := sts.New(sts.Config{
		Broker: broker,
		// Sessions idpool minted may call STS (GetCallerIdentity), as in AWS.
		Auth:   newQueryAuthenticator("sts", cfg.Region, sts.ChainCredentials(sigv4.StaticCredentials(creds), broker), cfg.AccountID, insecure),
		Tokens: issuer,
		Trust:  trust,
		Logger: log,
	})
	mux.Handle("/", apiRouter{json: cognitoAPI, iam: iamAPI, sts: stsAPI, maxQueryBody: iam.DefaultMaxBodyBytes})

	return &Server{cfg: cfg, log: log, ln: ln, store: store, issuer: issuer, handler: withInFlight(reg, withCORS(mux))}, nil
}

// newLoginVerifier builds the verifiers of external providers' login tokens.
func newLoginVerifier(cfg *config.Config, providers idp.Providers, now func() time.Time, log *slog.Logger) *idp.Verifier {
	c := idp.Config{
		Providers:        providers,
		Now:              now,
		Region:           cfg.Region,
		GoogleIssuer:     cfg.GoogleIssuer,
		AppleIssuer:      cfg.AppleIssuer,
		FacebookGraphURL: cfg.FacebookGraphURL,
		AmazonProfileURL: cfg.AmazonURL,
		TwitterAPIURL:    cfg.TwitterURL,
		Logger:           log.With("component", "idp"),
	}
	if base := strings.TrimRight(cfg.UserPoolIssuerBase, "/"); base != "" {
		c.UserPoolIssuer = func(region, userPoolID string) string {
			return strings.ReplaceAll(base, "{region}", region) + "/" + userPoolID
		}
	}
	return idp.New(c)
}

// newIssuer builds the OpenID token issuer on the shared key store.
func newIssuer(ctx context.Context, cfg *config.Config, issuerURL string, keys storage.KeyStore, now func() time.Time, log *slog.Logger) (*oidc.Issuer, error) {
	issuer, err := oidc.New(ctx, oidc.Config{
		IssuerURL:       issuerURL,
		Keys:            keys,
		Now:             now,
		RotationPeriod:  cfg.KeyRotationPeriod,
		RefreshInterval: cfg.KeyRefreshInterval,
		KEK:             cfg.KeyEncryptionKey,
		Logger:          log,
	})
	if err != nil {
		return nil, fmt.Errorf("preparing signing keys: %w", err)
	}
	return issuer, nil
}

// Addr is the address the server is bound to.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// RotateKeys rotates the signing key now; the other nodes pick the new key up from storage.
func (s *Server) RotateKeys(ctx context.Context) error {
	_, err := s.issuer.Rotate(ctx, true)
	return err
}

// RotateKeys rotates the signing keys of the deployment cfg names without serving it, for
// `idpool keys rotate`; running servers pick the new key up from storage.
func RotateKeys(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	store, err := cfg.OpenStore(ctx)
	if err != nil {
		return fmt.Errorf("opening storage: %w", err)
	}
	defer store.Close()
	issuerURL := cfg.IssuerURL
	if issuerURL == "" {
		issuerURL = "http://" + cfg.Listen
	}
	issuer, err := newIssuer(ctx, cfg, issuerURL, store, time.Now, log)
	if err != nil {
		return err
	}
	_, err = issuer.Rotate(ctx, true)
	return err
}

// Handler is the server's whole HTTP surface, for tests that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the listener and storage. Run calls it on its way out.
func (s *Server) Close() error {
	s.ln.Close()
	return s.store.Close()
}

// Run serves on the bound listener until ctx is done, then lets in-flight
// requests finish (up to shutdownGrace) and closes storage. ready, if not nil, receives
// the bound address once the listener is open.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) error {
	ln := s.ln
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() { s.issuer.Run(bgCtx) })
	if s.cfg.DebugListen != "" {
		background.Go(func() {
			if err := serveDebug(bgCtx, s.cfg.DebugListen, s.log); err != nil {
				s.log.Error("profiler", "err", err)
			}
		})
	}
	// closeAll stops the background loops (key rotation, the profiler) before
	// storage closes under them.
	closeAll := func() error {
		stopBackground()
		background.Wait()
		return s.Close()
	}

	select {
	case err := <-errc:
		closeAll()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if cerr := closeAll(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

const shutdownGrace = 30 * time.Second

// credentialBroker chooses where GetCredentialsForIdentity's credentials come from: a real
// STS when one is configured, else idpool's own.
func credentialBroker(cfg *config.Config, broker *sts.Broker, t roleTrust, log *slog.Logger) cognito.CredentialBroker {
	if cfg.STSEndpoint != "" {
		// The real STS enforces its own roles' trust policies.
		return &sts.ExternalBroker{Endpoint: cfg.STSEndpoint, Logger: log.With("component", "external-sts")}
	}
	return builtinBroker{broker, t}
}

// builtinBroker mints credentials with idpool's own STS, for roles whose trust policy (if
// registered) admits the identity.
type builtinBroker struct {
	b     *sts.Broker
	trust roleTrust
}

func (b builtinBroker) Credentials(ctx context.Context, req cognito.CredentialsRequest) (*cognito.Credentials, error) {
	if err := b.trust.check(ctx, req.RoleARN, req.PoolID, req.IdentityID, req.AMR, len(req.Tags) > 0); err != nil {
		return nil, err
	}
	sess, err := b.b.Issue(sts.Request{AccountID: req.AccountID, RoleARN: req.RoleARN, IdentityID: req.IdentityID, PoolID: req.PoolID, Tags: req.Tags})
	if errors.Is(err, sts.ErrInvalidRole) || errors.Is(err, sts.ErrAccountMismatch) {
		return nil, awserr.New(awserr.InvalidIdentityPoolConfiguration, "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
	}
	if err != nil {
		return nil, err
	}
	return &cognito.Credentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey, SessionToken: sess.SessionToken, Expiration: sess.Expiry}, nil
}

// withInFlight keeps the in-flight gauge.
func withInFlight(reg *metrics.Registry, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.IncInFlight()
		defer reg.DecInFlight()
		next.ServeHTTP(w, r)
	})
}
