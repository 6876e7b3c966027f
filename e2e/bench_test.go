package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/idpool/idpool/internal/bench"
)

const benchIterations = 200

// runBench runs `idpool bench --json` in process against url and returns its exit code,
// report and standard error.
func runBench(t *testing.T, url, keyID, secret string, args ...string) (int, *bench.Report, string) {
	t.Helper()
	base := []string{"--json", "--endpoint", url, "--region", testRegion, "--access-key-id", keyID, "--secret-access-key", secret,
		"--requests", fmt.Sprint(benchIterations), "-c", "4", "--warmup", "0", "--seed", "1"}
	var out, errb bytes.Buffer
	code := bench.Main(t.Context(), append(base, args...), func(string) string { return "" }, &out, &errb)
	if code != bench.ExitOK {
		return code, nil, errb.String()
	}
	var r bench.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	return code, &r, errb.String()
}

// opCounts returns the report's requests per operation, failing on any request error.
func opCounts(t *testing.T, r *bench.Report, stderr string) map[string]uint64 {
	t.Helper()
	if r.Errors != 0 || len(r.ErrorsByType) != 0 {
		t.Fatalf("%d errors: %v\n%s", r.Errors, r.ErrorsByType, stderr)
	}
	if r.Iterations != benchIterations || r.Interrupted {
		t.Fatalf("%d iterations (interrupted %v), want %d", r.Iterations, r.Interrupted, benchIterations)
	}
	got := map[string]uint64{}
	var total uint64
	for _, o := range r.Operations {
		got[o.Operation] = o.Requests
		total += o.Requests
		if o.Requests > 0 && (o.LatencyUS.P50 <= 0 || o.LatencyUS.P50 > o.LatencyUS.P99 || o.LatencyUS.P99 > o.LatencyUS.Max) {
			t.Errorf("%s latencies %+v", o.Operation, o.LatencyUS)
		}
	}
	if total != r.Requests {
		t.Errorf("operations add up to %d requests, report says %d", total, r.Requests)
	}
	return got
}

// wantCounts checks per-operation counts of the scenarios whose iterations are fixed.
func wantCounts(t *testing.T, scenario string, got map[string]uint64, listPages uint64) {
	t.Helper()
	const n = benchIterations
	want := map[string]map[string]uint64{
		"appstart":    {"GetId": n, "GetCredentialsForIdentity": n},
		"getid":       {"GetId": n},
		"credentials": {"GetCredentialsForIdentity": n},
		"developer":   {"GetOpenIdTokenForDeveloperIdentity": n, "GetCredentialsForIdentity": n},
		"token":       {"GetOpenIdTokenForDeveloperIdentity": n},
		"admin":       {"DescribeIdentityPool": n, "ListIdentities": n * listPages},
		"lookup":      {"LookupDeveloperIdentity": n},
	}[scenario]
	if want == nil { // mix: every iteration has one GetCredentialsForIdentity or one DescribeIdentityPool
		if got["GetCredentialsForIdentity"]+got["DescribeIdentityPool"] != n || got["GetId"] == 0 ||
			got["GetOpenIdTokenForDeveloperIdentity"] == 0 || got["GetCredentialsForIdentity"] < got["GetId"]+got["GetOpenIdTokenForDeveloperIdentity"] {
			t.Errorf("mix counts %v", got)
		}
		return
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// TestBenchAgainstIdpool runs every scenario of `idpool bench` against idpool: no
// request fails, each operation is called as often as the scenario says, and the pool
// and roles the bench created are gone afterwards.
func TestBenchAgainstIdpool(t *testing.T) {
	srv := startServer(t)
	c, ic := srv.client(t), srv.iamClient(t)
	const identities = 100
	for _, sc := range []string{"appstart", "getid", "credentials", "developer", "token", "admin", "lookup", "mix"} {
		t.Run(sc, func(t *testing.T) {
			code, r, stderr := runBench(t, srv.URL, testKeyID, testSecret, "--scenario", sc,
				"--users", "50", "--identities", fmt.Sprint(identities), "--max-pages", "5")
			if code != bench.ExitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			// admin: the pre-created identities and the probe's, 60 to a page.
			wantCounts(t, sc, opCounts(t, r, stderr), (identities+1+59)/60)

			s := r.Setup
			if !s.PoolCreated || s.Cleanup != "deleted" || len(s.Warnings) != 0 || len(s.RoleNames) != 2 || len(s.Roles) != 2 ||
				s.DeveloperProvider != bench.DeveloperProvider {
				t.Fatalf("setup %+v\n%s", s, stderr)
			}
			if r.Config.Scenario != sc || r.Config.Concurrency != 4 || r.Config.GoVersion == "" || r.Config.GOMAXPROCS < 1 {
				t.Errorf("config %+v", r.Config)
			}
			wantCleanedUp(t, c, ic, s)
		})
	}
	// Nothing left behind by the eight runs.
	pools, err := c.ListIdentityPools(t.Context(), &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil || len(pools.IdentityPools) != 0 {
		t.Errorf("pools left: %v %v", pools, err)
	}
	roles, err := ic.ListRoles(t.Context(), &iam.ListRolesInput{})
	if err != nil || len(roles.Roles) != 0 {
		t.Errorf("roles left: %v %v", roles, err)
	}
}

// The developer operations need a signature idpool accepts: a wrong secret is a setup
// failure, reported with AWS's error.
func TestBenchWrongCredentials(t *testing.T) {
	srv := startServer(t)
	code, _, stderr := runBench(t, srv.URL, testKeyID, "not-the-secret", "--scenario", "getid")
	if code != bench.ExitSetup || !strings.Contains(stderr, "CreateIdentityPool") || !strings.Contains(stderr, "InvalidSignatureException") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

// TestBenchAgainstMoto runs the scenarios moto can serve against moto's server, when it
// is installed: moto 5.2 implements CreateIdentityPool, UpdateIdentityPool,
// DescribeIdentityPool, DeleteIdentityPool, ListIdentityPools, GetId,
// GetCredentialsForIdentity, GetOpenIdToken, GetOpenIdTokenForDeveloperIdentity and
// ListIdentities (unpaged), but not SetIdentityPoolRoles (a warning) nor
// LookupDeveloperIdentity (the lookup scenario is refused).
func TestBenchAgainstMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("moto is not installed: no python3 on PATH (pip install 'moto[server]' to run this test)")
	}
	if out, err := exec.Command(python, "-c", "import moto.server, flask").CombinedOutput(); err != nil {
		t.Skipf("moto is not installed for %s (pip install 'moto[server]' to run this test): %s", python, strings.TrimSpace(benchTail(string(out), 300)))
	}
	addr := freePort(t)
	host, port, _ := net.SplitHostPort(addr)
	ctx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, python, "-m", "moto.server", "-H", host, "-p", port)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		cmd.Wait()
		if t.Failed() {
			t.Logf("moto output (tail):\n%s", benchTail(logs.String(), 4000))
		}
	})
	url := "http://" + addr
	waitHTTP(t, url+"/moto-api/", 60*time.Second)

	moto := &testServer{URL: url}
	c, ic := moto.client(t), moto.iamClient(t)
	for _, sc := range []string{"appstart", "getid", "credentials", "developer", "token", "admin", "mix"} {
		t.Run(sc, func(t *testing.T) {
			code, r, stderr := runBench(t, url, testKeyID, testSecret, "--scenario", sc, "--users", "50", "--identities", "30")
			if code != bench.ExitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			// moto's ListIdentities returns every identity on one page.
			wantCounts(t, sc, opCounts(t, r, stderr), 1)
			s := r.Setup
			if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "SetIdentityPoolRoles") || s.Cleanup != "deleted" || len(s.RoleNames) != 2 {
				t.Fatalf("setup %+v", s)
			}
			wantCleanedUp(t, c, ic, s)
		})
	}
	t.Run("lookup refused", func(t *testing.T) {
		code, _, stderr := runBench(t, url, testKeyID, testSecret, "--scenario", "lookup", "--users", "5")
		if code != bench.ExitSetup || !strings.Contains(stderr, "needs LookupDeveloperIdentity, which the endpoint does not seem to implement") {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "deleted pool") {
			t.Errorf("no cleanup after the refusal:\n%s", stderr)
		}
	})
}

func benchTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// wantCleanedUp checks that the pool and roles a bench run made are gone.
func wantCleanedUp(t *testing.T, c *ci.Client, ic *iam.Client, s bench.ReportSetup) {
	t.Helper()
	_, err := c.DescribeIdentityPool(t.Context(), &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(s.PoolID)})
	if code := errorCode(err); code != "ResourceNotFoundException" {
		t.Errorf("pool %s after the run: %s", s.PoolID, code)
	}
	for _, name := range s.RoleNames {
		_, err := ic.GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String(name)})
		if code := errorCode(err); code != "NoSuchEntity" {
			t.Errorf("role %s after the run: %s", name, code)
		}
	}
}
