package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Scenarios, in the order the usage text lists them.
var Scenarios = []string{"appstart", "getid", "credentials", "developer", "token", "admin", "lookup", "mix", "sign"}

// DeveloperProvider is the DeveloperProviderName of the pools the bench creates.
const DeveloperProvider = "bench.idpool.dev"

// Config is a bench run's configuration, from the command line.
type Config struct {
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	Scenario        string
	Concurrency     int
	Duration        time.Duration
	Requests        int64 // iterations in total; when > 0 it overrides Duration
	Warmup          time.Duration
	Users           int
	Identities      int
	MaxPages        int
	KeyBits         int
	PoolID          string // an existing pool: no setup, no cleanup
	Keep            bool
	JSON            bool
	Seed            uint64 // 0: chosen at random (and reported)
}

const usageHead = `usage: idpool bench [flags]

Drives a Cognito Identity endpoint (idpool, moto, AWS) with concurrent keep-alive
clients and reports per-operation throughput and latency. Unless --pool-id is given it
creates an identity pool (and, where the endpoint serves IAM, its two roles) and deletes
them at the end.

scenarios (--scenario), one iteration of a client each:
  appstart     GetId for a new unauthenticated identity, then GetCredentialsForIdentity
  getid        GetId only
  credentials  GetCredentialsForIdentity for one of --identities pre-created identities
  developer    GetOpenIdTokenForDeveloperIdentity for user-<k>, k < --users, then
               GetCredentialsForIdentity with the token
  token        GetOpenIdTokenForDeveloperIdentity only
  admin        DescribeIdentityPool, then ListIdentities pages (at most --max-pages)
  lookup       LookupDeveloperIdentity of one of --users pre-created developer users
  mix          40% appstart, 30% developer, 20% credentials, 10% admin
  sign         no server: RS512 signatures of a token-sized input (the signing ceiling)

flags:
`

// ParseFlags parses the bench's command line. getenv supplies the default credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Usage and errors go to stderr; -h gives
// flag.ErrHelp.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("idpool bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Endpoint, "endpoint", "http://127.0.0.1:4577", "Cognito Identity endpoint URL (IAM setup calls go to the same URL)")
	fs.StringVar(&c.Region, "region", "us-east-1", "region signed for (SigV4 scope)")
	fs.StringVar(&c.AccessKeyID, "access-key-id", "", "access key ID to sign with (default $AWS_ACCESS_KEY_ID, else \"bench\")")
	fs.StringVar(&c.SecretAccessKey, "secret-access-key", "", "secret access key to sign with (default $AWS_SECRET_ACCESS_KEY, else \"bench\")")
	fs.StringVar(&c.Scenario, "scenario", "appstart", "what each iteration does: "+strings.Join(Scenarios, ", "))
	fs.IntVar(&c.Concurrency, "concurrency", 32, "concurrent clients, each with its own keep-alive connection")
	fs.IntVar(&c.Concurrency, "c", 32, "shorthand for --concurrency")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to measure (after the warmup)")
	fs.Int64Var(&c.Requests, "requests", 0, "stop after this many measured iterations in total; overrides --duration when > 0")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "load before measuring, whose results are discarded")
	fs.IntVar(&c.Users, "users", 10000, "developer users user-0 .. user-<N-1> (developer, token, lookup, mix)")
	fs.IntVar(&c.Identities, "identities", 1000, "identities created before the run (credentials, admin, mix)")
	fs.IntVar(&c.MaxPages, "max-pages", 5, "ListIdentities pages followed per admin iteration")
	fs.IntVar(&c.KeyBits, "key-bits", 2048, "RSA key size of the sign scenario")
	fs.StringVar(&c.PoolID, "pool-id", "", "use this existing identity pool: no setup, no cleanup")
	fs.BoolVar(&c.Keep, "keep", false, "keep the pool and roles created (no cleanup)")
	fs.BoolVar(&c.JSON, "json", false, "write the report as one JSON object on standard output")
	fs.Uint64Var(&c.Seed, "seed", 0, "random seed of the workload (0: random, reported)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	// Credentials default to the environment's, resolved here so that -h never shows a secret.
	for _, d := range []struct {
		v   *string
		env string
	}{{&c.AccessKeyID, "AWS_ACCESS_KEY_ID"}, {&c.SecretAccessKey, "AWS_SECRET_ACCESS_KEY"}} {
		if *d.v == "" {
			*d.v = getenv(d.env)
		}
		if *d.v == "" {
			*d.v = "bench"
		}
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, "idpool bench:", err)
		return nil, err
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(stderr, "idpool bench:", err)
		return nil, err
	}
	return c, nil
}

func (c *Config) validate() error {
	if !slices.Contains(Scenarios, c.Scenario) {
		return fmt.Errorf("--scenario %q: want one of %s", c.Scenario, strings.Join(Scenarios, ", "))
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--endpoint %q: want an http:// or https:// URL", c.Endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--endpoint %q: no query or fragment, please", c.Endpoint)
	}
	switch {
	case c.Region == "":
		return errors.New("--region must not be empty")
	case c.Concurrency < 1 || c.Concurrency > 100000:
		return fmt.Errorf("--concurrency %d: want 1 to 100000", c.Concurrency)
	case c.Requests < 0:
		return fmt.Errorf("--requests %d: want 0 (use --duration) or more", c.Requests)
	case c.Requests == 0 && c.Duration <= 0:
		return fmt.Errorf("--duration %v: want a positive duration (or --requests)", c.Duration)
	case c.Warmup < 0:
		return fmt.Errorf("--warmup %v: want 0 or more", c.Warmup)
	case c.Users < 1:
		return fmt.Errorf("--users %d: want 1 or more", c.Users)
	case c.Identities < 1:
		return fmt.Errorf("--identities %d: want 1 or more", c.Identities)
	case c.MaxPages < 1:
		return fmt.Errorf("--max-pages %d: want 1 or more", c.MaxPages)
	case c.KeyBits < 1024 || c.KeyBits > 16384:
		return fmt.Errorf("--key-bits %d: want 1024 to 16384", c.KeyBits)
	}
	return nil
}
