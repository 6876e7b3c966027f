package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSSDK runs js/pools.mjs: the AWS SDK for JavaScript v3 drives the pool and tag
// operations and checks how it sees a ResourceNotFoundException and a ValidationException.
func TestJSSDK(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	requireClient(t, "node (on PATH)", err == nil)
	dir, err := filepath.Abs("js")
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-cognito-identity", "package.json"))
	requireClient(t, "the JS SDK in e2e/js/node_modules (run npm ci in e2e/js)", err == nil)

	srv := startServer(t)
	env := clientEnv(t,
		"IDPOOL_ENDPOINT="+srv.URL,
		"IDPOOL_ACCOUNT="+testAccount,
		"NODE_OPTIONS=",
		"AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1",
	)
	r := runClient(t, dir, env, node, "pools.mjs")
	if r.ExitCode != 0 {
		t.Fatalf("node pools.mjs exited %d\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if strings.TrimSpace(r.Stdout) != "OK" {
		t.Fatalf("node pools.mjs did not print OK\nstdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	}
}
