// Command idpool is a self-hostable server for the Amazon Cognito Identity API.
//
//	idpool serve [flags]         run the server (see idpool serve -h)
//	idpool keys rotate [flags]   rotate the token signing key of a deployment now
//	idpool bench [flags]         load-test a Cognito Identity endpoint (see idpool bench -h)
//	idpool export [--file F]     write a deployment's whole state to a file
//	idpool import [--file F]     load such a file into an empty deployment
//	idpool version               print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/idpool/idpool/internal/bench"
	"github.com/idpool/idpool/internal/config"
	"github.com/idpool/idpool/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage: idpool <command> [flags]

commands:
  serve          run the Cognito Identity server
  keys rotate    rotate the token signing key now (takes serve's storage flags);
                 running servers pick the new key up within a minute
  bench          load-test a Cognito Identity endpoint (idpool, moto, AWS) and
                 report throughput and latency per operation (idpool bench -h)
  export         write every pool, identity, key, role and provider to --file
                 (default stdout) as JSON lines; takes serve's storage flags
  import         load an export from --file (default stdin) into an empty
                 deployment, all or nothing; takes serve's storage flags
  version        print the version
`

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], getenv, stdout, stderr)
	case "keys":
		if len(args) < 2 || args[1] != "rotate" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return rotateKeys(args[2:], getenv, stdout, stderr)
	case "export":
		return exportData(args[1:], getenv, stdout, stderr)
	case "import":
		return importData(args[1:], getenv, os.Stdin, stderr)
	case "bench":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return bench.Main(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "idpool", server.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "idpool: unknown command %q\n%s", args[0], usage)
	return 2
}

// parse reads the serve flags shared by the subcommands that open a deployment. With
// ok false the command is over and code is its exit code.
func parse(args []string, getenv func(string) string, stderr io.Writer) (cfg *config.Config, log *slog.Logger, code int, ok bool) {
	cfg, err := config.ParseServe(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil, nil, 0, false
	}
	if err != nil {
		fmt.Fprintln(stderr, "idpool:", err)
		return nil, nil, 2, false
	}
	return cfg, newLogger(cfg, stderr), 0, true
}

func serve(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, log, code, ok := parse(args, getenv, stderr)
	if !ok {
		return code
	}
	if err := cfg.EnsureCredentials(); err != nil {
		log.Error("preparing admin credentials", "err", err)
		return 1
	}
	tuneGC(getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		log.Error("starting", "err", err)
		return 1
	}
	if cfg.Auth == config.AuthNone {
		log.Warn("--auth=none: developer operations accept unsigned and wrongly signed requests; use only for throwaway local testing")
	}
	err = srv.Run(ctx, func(addr net.Addr) {
		log.Info("idpool listening", "addr", addr.String(), "region", cfg.Region, "version", server.Version, "data_dir", cfg.DataDir)
		if cfg.GeneratedCredential != nil {
			printGenerated(stdout, cfg, addr)
		}
	})
	if err != nil {
		log.Error("serving", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// serverGCPercent is the collector's target for a serving node, unless GOGC says
// otherwise. A node's live heap is small (caches, connections: a few MiB) and nearly all
// it allocates is a request's garbage, so Go's default of collecting at twice the live
// heap collected thousands of times a second under load. At five times it, GetId's server
// CPU fell by 3 to 9 % for 13 MiB more memory (30 → 43 MiB RSS under load).
const serverGCPercent = 400

// tuneGC sets the collector's target for serve when the operator has not set GOGC, and
// returns the target in force (-1: GOGC's).
func tuneGC(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		return -1
	}
	debug.SetGCPercent(serverGCPercent)
	return serverGCPercent
}

func rotateKeys(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, log, code, ok := parse(args, getenv, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.RotateKeys(ctx, cfg, log); err != nil {
		log.Error("rotating keys", "err", err)
		return 1
	}
	fmt.Fprintln(stdout, "signing key rotated")
	return 0
}

// printGenerated shows a newly generated admin credential once, with the lines to use it.
// It goes to stdout, not the log, so that log shipping never carries the secret.
func printGenerated(w io.Writer, cfg *config.Config, addr net.Addr) {
	c := cfg.GeneratedCredential
	fmt.Fprintf(w, `
Generated admin credentials for account %s (stored in %s/admin-credentials.json, shown only now):

  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=%s
  aws cognito-identity list-identity-pools --max-results 10 --endpoint-url http://%s

`, c.AccountID, cfg.DataDir, c.AccessKeyID, c.SecretAccessKey, cfg.Region, addr.String())
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
