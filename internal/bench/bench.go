// Package bench is idpool's load generator, `idpool bench`: it drives any Cognito
// Identity endpoint (idpool, moto, AWS) with concurrent keep-alive clients, for a
// duration or a number of iterations, and reports per-operation throughput and latency.
//
// Unless it is given an existing pool (--pool-id), it creates what it needs first: an
// identity pool with unauthenticated identities and a developer provider, and, where the
// endpoint serves the IAM API as idpool does, an authenticated and an unauthenticated role
// whose trust policies name the pool, set as the pool's roles. It deletes them at the end
// (also after Ctrl-C) unless told to keep them. Setup steps the endpoint does not
// implement are skipped with a warning; a scenario whose core operation the endpoint
// lacks is refused before the run, after one probe call.
//
// The client is lean, because it usually runs on the machine of the server under test:
// one shared net/http transport (HTTP/1.1 keep-alive, one connection per client), a
// request and body buffers reused by each client, bodies appended by hand, SigV4 by the
// AWS SDK's signer, and only the response members needed decoded. Latencies are recorded
// in per-client log-linear histograms (see Histogram) and merged at the end.
package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Exit codes of Main.
const (
	ExitOK       = 0 // the run completed (request errors are reported, not failures)
	ExitSetup    = 1 // setup failed, or the endpoint can't run the scenario
	ExitBadFlags = 2
)

// Main runs `idpool bench` with the given arguments (after "bench") and returns the exit
// code. ctx ends the run early (Ctrl-C): what was measured is reported, and what the bench
// created is deleted. The report goes to stdout, progress and warnings to stderr.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := ParseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitBadFlags
	}
	rep, err := Run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "idpool bench:", err)
		return ExitSetup
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "idpool bench:", err)
		}
	} else {
		rep.WriteText(stdout)
	}
	return ExitOK
}

// SetupError is returned by Run when the bench could not prepare its run.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return "setup: " + e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// bench is one run.
type bench struct {
	cfg    *Config
	ep     *endpoint
	stderr io.Writer
	seed   uint64

	poolID      string
	devProvider string
	suffix      string // random part of the names of what the bench creates
	poolCreated bool
	roleNames   []string // roles created, to delete
	roleARNs    map[string]string
	warnings    []string
	identities  []string // pre-created identities (credentials, admin, mix)
	users       []int    // pre-created developer users (lookup)
	sign        *signer

	// run control
	measureStart time.Time
	deadline     time.Time
	claimed      atomic.Int64 // measured iterations started (with --requests)
	iterations   atomic.Int64 // measured iterations completed
	completed    atomic.Int64 // iterations completed, warmup included (for the progress line)
	errors       atomic.Int64 // measured request errors
}

// Run runs the bench configured by cfg and returns its report. The error is a
// *SetupError when the run could not start; a run cut short by ctx is reported with
// Interrupted set.
func Run(ctx context.Context, cfg *Config, stderr io.Writer) (*Report, error) {
	b := &bench{cfg: cfg, stderr: stderr, seed: cfg.Seed, devProvider: DeveloperProvider}
	if b.seed == 0 {
		var s [8]byte
		crand.Read(s[:])
		for _, x := range s {
			b.seed = b.seed<<8 | uint64(x)
		}
		b.seed |= 1
	}
	var sfx [4]byte
	crand.Read(sfx[:])
	b.suffix = hex.EncodeToString(sfx[:])
	ep, err := newEndpoint(cfg)
	if err != nil {
		return nil, &SetupError{err}
	}
	b.ep = ep
	defer ep.tr.CloseIdleConnections()
	started := time.Now()

	var clients []*client
	var cleanup *cleanupResult
	if cfg.Scenario == "sign" {
		b.note("generating a %d-bit RSA key", cfg.KeyBits)
		if b.sign, err = newSigner(cfg.KeyBits); err != nil {
			return nil, &SetupError{err}
		}
		clients = b.newClients(ctx)
	} else {
		err := b.setup(ctx)
		if err == nil {
			clients = b.newClients(ctx)
			err = b.prepare(ctx, clients)
		}
		if err != nil {
			b.cleanup(ctx)
			if ctx.Err() != nil {
				err = fmt.Errorf("interrupted (%w)", err)
			}
			return nil, &SetupError{err}
		}
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	iter := b.iteration()
	elapsed := b.load(ctx, clients, iter)
	interrupted := ctx.Err() != nil
	if cfg.Scenario != "sign" {
		cleanup = b.cleanup(ctx)
	}
	return b.report(started, elapsed, interrupted, clients, cleanup), nil
}

// note writes a line about the run's progress to stderr.
func (b *bench) note(format string, args ...any) {
	fmt.Fprintf(b.stderr, "idpool bench: "+format+"\n", args...)
}

// warn notes a warning, which the report repeats.
func (b *bench) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	b.warnings = append(b.warnings, w)
	fmt.Fprintln(b.stderr, "idpool bench: warning:", w)
}

func (b *bench) newClients(ctx context.Context) []*client {
	clients := make([]*client, b.cfg.Concurrency)
	for i := range clients {
		clients[i] = newClient(ctx, b.ep, i, b.seed)
	}
	return clients
}

// load runs the clients until the duration or the iteration count is reached, or ctx
// ends, and returns the measured time (from the end of the warmup).
func (b *bench) load(ctx context.Context, clients []*client, iter func(*client, bool) bool) time.Duration {
	start := time.Now()
	b.measureStart = start.Add(b.cfg.Warmup)
	b.deadline = b.measureStart.Add(b.cfg.Duration)
	if b.cfg.Warmup > 0 {
		b.note("warming up for %v", b.cfg.Warmup)
	}
	stopProgress := b.progress(ctx, start)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { b.worker(ctx, c, iter) })
	}
	wg.Wait()
	end := time.Now()
	stopProgress()
	if end.Before(b.measureStart) {
		return 0
	}
	return end.Sub(b.measureStart)
}

func (b *bench) worker(ctx context.Context, c *client, iter func(*client, bool) bool) {
	for ctx.Err() == nil {
		now := time.Now()
		measured := !now.Before(b.measureStart)
		if measured {
			if b.cfg.Requests > 0 {
				if b.claimed.Add(1) > b.cfg.Requests {
					return
				}
			} else if !now.Before(b.deadline) {
				return
			}
		}
		cancelled := iter(c, measured)
		if measured && !cancelled {
			b.iterations.Add(1)
		}
		b.completed.Add(1)
	}
}

// progress shows a status line on stderr once a second while the load runs, when
// stderr is a terminal. The returned function stops it and clears the line.
func (b *bench) progress(ctx context.Context, start time.Time) func() {
	f, ok := b.stderr.(*os.File)
	if !ok {
		return func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	width := 0
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-done:
				fmt.Fprintf(f, "\r%*s\r", width, "")
				return
			case <-ctx.Done():
				fmt.Fprintf(f, "\r%*s\r", width, "")
				return
			case now := <-t.C:
				n := b.completed.Load()
				line := fmt.Sprintf("%6.1fs  %8d it/s  %10d iterations  %d errors",
					now.Sub(start).Seconds(), n-last, b.iterations.Load(), b.errors.Load())
				last = n
				if now.Before(b.measureStart.Add(time.Second / 2)) {
					line += "  (warmup)"
				}
				fmt.Fprintf(f, "\r%-*s", width, line)
				width = max(width, len(line))
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
