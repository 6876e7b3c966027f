package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Paths of the real clients the end-to-end tests drive. The Debian packages are used on
// purpose: an aws or python3 earlier on PATH may be another install.
const (
	awsCLIPath  = "/usr/bin/aws"
	python3Path = "/usr/bin/python3"
)

// clientTimeout bounds one run of an external client.
const clientTimeout = 2 * time.Minute

// requireClient skips the test when an external client is missing (ok false), or fails it
// when IDPOOL_REQUIRE_CLIENTS=1, as in CI, where every client must be there.
func requireClient(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("IDPOOL_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s is not available, and IDPOOL_REQUIRE_CLIENTS=1 requires it", what)
	}
	t.Skipf("%s is not available; skipping (set IDPOOL_REQUIRE_CLIENTS=1 to make this a failure)", what)
}

// isExecutable says whether path is a regular file someone may execute.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// clientEnv is the whole environment of an external client: the test admin credential,
// the region, and config and credential files that do not exist, so that nothing from
// the machine (profiles, SSO, instance metadata, proxies, pagers) leaks in. extra
// entries ("K=V") come last and win.
func clientEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TMPDIR=" + dir,
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + testKeyID,
		"AWS_SECRET_ACCESS_KEY=" + testSecret,
		"AWS_REGION=" + testRegion,
		"AWS_DEFAULT_REGION=" + testRegion,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-such-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-such-credentials"),
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
		"AWS_PAGER=",
		"AWS_CLI_AUTO_PROMPT=off",
	}
	return append(env, extra...)
}

type clientResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// runClient runs an external client to completion (or clientTimeout) in dir with env.
// A client that cannot be started, or that runs out of time, fails the test; a non-zero
// exit code is returned for the caller to judge.
func runClient(t *testing.T, dir string, env []string, name string, args ...string) clientResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := clientResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %q: did not finish within %v\nstdout:\n%s\nstderr:\n%s", name, args, clientTimeout, res.Stdout, res.Stderr)
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return res
}
