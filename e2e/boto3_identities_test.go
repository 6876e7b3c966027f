package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBoto3Identities runs testdata/boto3_identities.py against a pool created with the
// AWS CLI: boto3 creates unauthenticated and developer identities, looks them up, merges,
// unlinks and deletes them, with AWS's results and errors, and PyJWT verifies every token
// against the served JWKS. The script runs twice, with a key rotation in between: the
// second run checks that a new token carries the new kid and that the tokens from before
// and after the rotation both verify against a freshly fetched JWKS.
func TestBoto3Identities(t *testing.T) {
	t.Parallel()
	haveBoto3 := isExecutable(python3Path) &&
		exec.Command(python3Path, "-I", "-c", "import boto3, botocore").Run() == nil
	requireClient(t, "boto3 (import boto3 with "+python3Path+")", haveBoto3)
	// PyJWT needs the cryptography package for RSA (has_crypto); PyJWKClient is PyJWT 2.
	havePyJWT := exec.Command(python3Path, "-I", "-c",
		"import jwt, jwt.algorithms, sys; sys.exit(0 if jwt.algorithms.has_crypto and hasattr(jwt, 'PyJWKClient') else 1)").Run() == nil
	requireClient(t, "PyJWT with RSA support (Debian python3-jwt and python3-cryptography; import jwt with "+python3Path+")", havePyJWT)

	script, err := filepath.Abs(filepath.Join("testdata", "boto3_identities.py"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)

	var pool cliPool
	newAWSCLI(t, srv).ok(&pool, "create-identity-pool", "--identity-pool-name", "boto3 identities",
		"--allow-unauthenticated-identities", "--developer-provider-name", devProvider)
	if !poolIDPattern.MatchString(pool.IdentityPoolId) || !pool.AllowUnauthenticatedIdentities || pool.DeveloperProviderName != devProvider {
		t.Fatalf("create-identity-pool: %+v", pool)
	}

	env := clientEnv(t,
		"IDPOOL_ENDPOINT="+srv.URL,
		"IDPOOL_ACCOUNT="+testAccount,
		"IDPOOL_POOL_ID="+pool.IdentityPoolId,
		"IDPOOL_DEV_PROVIDER="+devProvider,
		"IDPOOL_STATE="+filepath.Join(t.TempDir(), "state.json"),
	)
	run := func(phase string) {
		t.Helper()
		r := runClient(t, t.TempDir(), env, python3Path, "-I", "-B", script, phase)
		t.Logf("boto3_identities.py %s output:\n%s", phase, r.Stdout)
		if r.ExitCode != 0 {
			t.Fatalf("boto3_identities.py %s exited %d\nstderr:\n%s", phase, r.ExitCode, r.Stderr)
		}
		if lines := strings.Split(strings.TrimSpace(r.Stdout), "\n"); lines[len(lines)-1] != "OK" {
			t.Fatalf("boto3_identities.py %s did not print OK last\nstderr:\n%s", phase, r.Stderr)
		}
	}

	run("phase1")
	if err := srv.Server.RotateKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	run("phase2")
}
