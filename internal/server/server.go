package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awsjson"
	"github.com/idpool/idpool/internal/cognito"
	"github.com/idpool/idpool/internal/config"
	"github.com/idpool/idpool/internal/metrics"
	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage"
)

// Version is reported by /metrics and the startup log; set with -ldflags at release.
var Version = "dev"

// Server is a running idpool.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	store   storage.Store
	handler http.Handler
}

// New opens storage and wires every component.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	store, err := cfg.OpenStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening storage: %w", err)
	}
	names := make([]string, 0, len(api.Operations)+1)
	for _, op := range api.Operations {
		names = append(names, op.Name)
	}
	names = append(names, "unknown")
	reg := metrics.New(names)
	reg.SetVersion(Version)

	creds := make(map[string]sigv4.Credential, len(cfg.Credentials))
	for _, c := range cfg.Credentials {
		creds[c.AccessKeyID] = sigv4.Credential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, AccountID: c.AccountID}
	}
	svc := cognito.New(cognito.Config{
		Region: cfg.Region,
		Store:  store,
		Limits: cognito.Limits{PoolsPerAccount: cfg.MaxPoolsPerAccount},
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
	mux.Handle("/", cognitoAPI)

	return &Server{cfg: cfg, log: log, store: store, handler: withInFlight(reg, withCORS(mux))}, nil
}

// Handler is the server's whole HTTP surface, for tests that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases storage. Run calls it on its way out.
func (s *Server) Close() error { return s.store.Close() }

// Run listens on the configured address and serves until ctx is done, then lets in-flight
// requests finish (up to shutdownGrace) and closes storage. ready, if not nil, receives
// the bound address once the listener is open.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		s.Close()
		return err
	}
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

	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

const shutdownGrace = 30 * time.Second

// withInFlight keeps the in-flight gauge.
func withInFlight(reg *metrics.Registry, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.IncInFlight()
		defer reg.DecInFlight()
		next.ServeHTTP(w, r)
	})
}
