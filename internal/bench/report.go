package bench

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of a run; --json writes it as is. Its field names are stable:
// docs/performance.md is built from them. Latencies are in microseconds; they cover
// every request answered (error responses included), not those without a response
// (transport errors), which are counted as errors only.
type Report struct {
	Format              string            `json:"format"` // ReportFormat
	Config              ReportConfig      `json:"config"`
	Setup               ReportSetup       `json:"setup"`
	StartedAt           time.Time         `json:"started_at"`
	ElapsedSeconds      float64           `json:"elapsed_seconds"` // measured time, after the warmup
	Interrupted         bool              `json:"interrupted"`     // ended early (Ctrl-C)
	Iterations          uint64            `json:"iterations"`
	IterationsPerSecond float64           `json:"iterations_per_second"`
	Requests            uint64            `json:"requests"`
	Errors              uint64            `json:"errors"`
	Operations          []OperationReport `json:"operations"`
	ErrorsByType        map[string]uint64 `json:"errors_by_type"`
}

// ReportFormat names the report's layout; it changes when a field changes meaning.
const ReportFormat = "idpool-bench/1"

// ReportConfig is the run's configuration and the machine it ran on.
type ReportConfig struct {
	Endpoint        string  `json:"endpoint"`
	Region          string  `json:"region"`
	Scenario        string  `json:"scenario"`
	Concurrency     int     `json:"concurrency"`
	DurationSeconds float64 `json:"duration_seconds"` // configured; 0 when Requests is set
	Requests        int64   `json:"requests"`         // configured iteration count; 0: by duration
	WarmupSeconds   float64 `json:"warmup_seconds"`
	Users           int     `json:"users"`
	Identities      int     `json:"identities"`
	MaxPages        int     `json:"max_pages"`
	KeyBits         int     `json:"key_bits"`
	Seed            uint64  `json:"seed"`
	GoVersion       string  `json:"go_version"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	NumCPU          int     `json:"num_cpu"`
	GOOS            string  `json:"goos"`
	GOARCH          string  `json:"goarch"`
	Hostname        string  `json:"hostname"`
}

// ReportSetup says what the bench used and created.
type ReportSetup struct {
	PoolID               string            `json:"pool_id"`
	PoolCreated          bool              `json:"pool_created"`
	DeveloperProvider    string            `json:"developer_provider"`
	Roles                map[string]string `json:"roles"` // "authenticated"/"unauthenticated" -> ARN, when set on the pool
	RoleNames            []string          `json:"role_names"`
	PreCreatedIdentities int               `json:"pre_created_identities"`
	PreCreatedUsers      int               `json:"pre_created_users"`
	Warnings             []string          `json:"warnings"`
	// Cleanup: "deleted", "kept" (--keep), "none" (nothing created) or "failed".
	Cleanup       string   `json:"cleanup"`
	CleanupErrors []string `json:"cleanup_errors"`
}

// OperationReport is one operation's figures.
type OperationReport struct {
	Operation         string            `json:"operation"`
	Requests          uint64            `json:"requests"`
	Errors            uint64            `json:"errors"`
	RequestsPerSecond float64           `json:"requests_per_second"`
	LatencyUS         Latency           `json:"latency_us"`
	ErrorsByType      map[string]uint64 `json:"errors_by_type"`
}

// Latency is a latency distribution in microseconds.
type Latency struct {
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func us(d time.Duration) float64 { return math.Round(float64(d)/100) / 10 } // 0.1 µs

func rate(n uint64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return math.Round(float64(n)/elapsed.Seconds()*10) / 10
}

func (b *bench) report(started time.Time, elapsed time.Duration, interrupted bool, clients []*client, cleanup *cleanupResult) *Report {
	cfg := b.cfg
	host, _ := os.Hostname()
	r := &Report{
		Format: ReportFormat,
		Config: ReportConfig{
			Endpoint: cfg.Endpoint, Region: cfg.Region, Scenario: cfg.Scenario, Concurrency: cfg.Concurrency,
			Requests: cfg.Requests, WarmupSeconds: cfg.Warmup.Seconds(),
			Users: cfg.Users, Identities: cfg.Identities, MaxPages: cfg.MaxPages, KeyBits: cfg.KeyBits, Seed: b.seed,
			GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
			GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Hostname: host,
		},
		Setup: ReportSetup{
			PoolID: b.poolID, PoolCreated: b.poolCreated, DeveloperProvider: b.devProvider,
			Roles: map[string]string{}, RoleNames: append([]string{}, b.roleNames...),
			PreCreatedIdentities: len(b.identities), PreCreatedUsers: len(b.users),
			Warnings: append([]string{}, b.warnings...), Cleanup: "none", CleanupErrors: []string{},
		},
		StartedAt:      started.UTC().Truncate(time.Second),
		ElapsedSeconds: math.Round(elapsed.Seconds()*1000) / 1000,
		Interrupted:    interrupted,
		Iterations:     uint64(b.iterations.Load()),
		Operations:     []OperationReport{},
		ErrorsByType:   map[string]uint64{},
	}
	if cfg.Requests == 0 {
		r.Config.DurationSeconds = cfg.Duration.Seconds()
	}
	if cfg.Scenario == "sign" {
		r.Config.Endpoint = "" // no server involved
		r.Setup.DeveloperProvider = ""
	}
	for k, v := range b.roleARNs {
		r.Setup.Roles[k] = v
	}
	if cleanup != nil {
		switch {
		case cleanup.Kept:
			r.Setup.Cleanup = "kept"
		case len(cleanup.Errors) > 0:
			r.Setup.Cleanup = "failed"
			r.Setup.CleanupErrors = cleanup.Errors
		case cleanup.Done:
			r.Setup.Cleanup = "deleted"
		}
	}
	r.IterationsPerSecond = rate(r.Iterations, elapsed)
	for _, o := range scenarioOps[cfg.Scenario] {
		total := &opStats{hist: NewHistogram()}
		for _, c := range clients {
			if s := c.stats[o]; s != nil {
				total.merge(s)
			}
		}
		h := total.hist
		or := OperationReport{
			Operation: o.String(), Requests: total.requests, Errors: total.errors,
			RequestsPerSecond: rate(total.requests, elapsed),
			LatencyUS: Latency{
				Min: us(h.Min()), P50: us(h.Quantile(0.50)), P90: us(h.Quantile(0.90)), P99: us(h.Quantile(0.99)),
				P999: us(h.Quantile(0.999)), Max: us(h.Max()), Mean: us(h.Mean()),
			},
			ErrorsByType: map[string]uint64{},
		}
		for t, n := range total.errTypes {
			or.ErrorsByType[t] = n
			r.ErrorsByType[t] += n
		}
		r.Requests += total.requests
		r.Errors += total.errors
		r.Operations = append(r.Operations, or)
	}
	return r
}

// fmtLatency formats microseconds for the text table.
func fmtLatency(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1000:
		return fmt.Sprintf("%.0fµs", v)
	case v < 1e6:
		return fmt.Sprintf("%.2fms", v/1e3)
	default:
		return fmt.Sprintf("%.2fs", v/1e6)
	}
}

// WriteText writes the report as an aligned table.
func (r *Report) WriteText(w io.Writer) {
	c := r.Config
	target := c.Endpoint + " (" + c.Region + ")"
	if c.Scenario == "sign" {
		target = fmt.Sprintf("no server, RSA-%d", c.KeyBits)
	}
	run := fmt.Sprintf("%gs", c.DurationSeconds)
	if c.Requests > 0 {
		run = fmt.Sprintf("%d iterations", c.Requests)
	}
	fmt.Fprintf(w, "idpool bench: scenario %s against %s\n", c.Scenario, target)
	fmt.Fprintf(w, "  %d clients, %s after a %gs warmup; %s, GOMAXPROCS=%d, %d CPUs, host %s, seed %d\n",
		c.Concurrency, run, c.WarmupSeconds, c.GoVersion, c.GOMAXPROCS, c.NumCPU, c.Hostname, c.Seed)
	if s := r.Setup; s.PoolID != "" {
		created := "existing"
		if s.PoolCreated {
			created = "created, cleanup: " + s.Cleanup
		}
		fmt.Fprintf(w, "  pool %s (%s)", s.PoolID, created)
		if len(s.RoleNames) > 0 {
			fmt.Fprintf(w, ", roles %s", strings.Join(s.RoleNames, ", "))
		}
		fmt.Fprintln(w)
		for _, x := range s.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", x)
		}
	}
	if r.Interrupted {
		fmt.Fprintln(w, "  interrupted: figures cover the time until Ctrl-C")
	}
	fmt.Fprintln(w)
	// Numbers are right-aligned; names, padded here to one width, read left-aligned.
	nameWidth := len("operation")
	for _, o := range r.Operations {
		nameWidth = max(nameWidth, len(o.Operation))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\trequests\terrors\treq/s\tp50\tp90\tp99\tp99.9\tmax\tmean\t\n", nameWidth, "operation")
	for _, o := range r.Operations {
		l := o.LatencyUS
		fmt.Fprintf(tw, "%-*s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", nameWidth, o.Operation, o.Requests, o.Errors, o.RequestsPerSecond,
			fmtLatency(l.P50), fmtLatency(l.P90), fmtLatency(l.P99), fmtLatency(l.P999), fmtLatency(l.Max), fmtLatency(l.Mean))
	}
	tw.Flush()
	fmt.Fprintf(w, "\niterations: %d in %.2fs = %.1f/s; requests: %d, errors: %d\n",
		r.Iterations, r.ElapsedSeconds, r.IterationsPerSecond, r.Requests, r.Errors)
	if r.Errors > 0 {
		fmt.Fprintln(w, "errors by type:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, o := range r.Operations {
			types := make([]string, 0, len(o.ErrorsByType))
			for t := range o.ErrorsByType {
				types = append(types, t)
			}
			sort.Strings(types)
			for _, t := range types {
				fmt.Fprintf(tw, "  %s\t%s\t%d\n", o.Operation, t, o.ErrorsByType[t])
			}
		}
		tw.Flush()
	}
}
