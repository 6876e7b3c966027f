package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBoto3 runs testdata/boto3_pools.py: boto3 drives every pool and tag operation, the
// error cases, the ListIdentityPools paginator and a request signed with a skewed clock.
func TestBoto3(t *testing.T) {
	t.Parallel()
	haveBoto3 := isExecutable(python3Path) &&
		exec.Command(python3Path, "-I", "-c", "import boto3, botocore").Run() == nil
	requireClient(t, "boto3 (import boto3 with "+python3Path+")", haveBoto3)

	script, err := filepath.Abs(filepath.Join("testdata", "boto3_pools.py"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	env := clientEnv(t,
		"IDPOOL_ENDPOINT="+srv.URL,
		"IDPOOL_ACCOUNT="+testAccount,
	)
	r := runClient(t, t.TempDir(), env, python3Path, "-I", "-B", script)
	t.Logf("boto3_pools.py output:\n%s", r.Stdout)
	if r.ExitCode != 0 {
		t.Fatalf("boto3_pools.py exited %d\nstderr:\n%s", r.ExitCode, r.Stderr)
	}
	if lines := strings.Split(strings.TrimSpace(r.Stdout), "\n"); lines[len(lines)-1] != "OK" {
		t.Fatalf("boto3_pools.py did not print OK last\nstderr:\n%s", r.Stderr)
	}
}
