package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// awsCLI is the Debian package's AWS CLI: an aws earlier on PATH may be another install.
const awsCLI = "/usr/bin/aws"

// runCLI runs the AWS CLI against url in an environment of its own: credentials in
// variables, config and credential files that do not exist, no instance metadata, no
// retries, no pager, so nothing from the machine leaks in. It returns stdout, stderr and
// the exit code.
func runCLI(t *testing.T, url string, args ...string) (string, string, int) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, append(args, "--endpoint-url", url, "--region", testRegion, "--output", "json")...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-such-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-such-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_PAGER=",
	}
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("aws %q did not finish in time\n%s", args, stderr.String())
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("aws %q: %v", args, err)
	}
	return stdout.String(), stderr.String(), 0
}

// TestAWSCLI registers a local Keycloak-style issuer with the real AWS CLI: what a
// developer following idpool's documentation types.
func TestAWSCLI(t *testing.T) {
	if fi, err := os.Stat(awsCLI); err != nil || fi.Mode().Perm()&0o111 == 0 {
		if os.Getenv("IDPOOL_REQUIRE_CLIENTS") == "1" {
			t.Fatalf("%s is not available, and IDPOOL_REQUIRE_CLIENTS=1 requires it", awsCLI)
		}
		t.Skipf("%s is not available; skipping (set IDPOOL_REQUIRE_CLIENTS=1 to make this a failure)", awsCLI)
	}
	s := newServer(t, nil)

	// --thumbprint-list is optional in IAM today, but CLIs built from older models (such
	// as Debian 12's 2.9) still insist on it.
	create := []string{"iam", "create-open-id-connect-provider", "--url", "http://127.0.0.1:9000/realms/demo",
		"--client-id-list", "app", "--thumbprint-list", thumbB}
	stdout, stderr, code := runCLI(t, s.URL, create...)
	if code != 0 {
		t.Fatalf("aws iam create-open-id-connect-provider: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	var created struct{ OpenIDConnectProviderArn string }
	if err := json.Unmarshal([]byte(stdout), &created); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/127.0.0.1:9000/realms/demo"
	if created.OpenIDConnectProviderArn != arn {
		t.Errorf("OpenIDConnectProviderArn = %q, want %q", created.OpenIDConnectProviderArn, arn)
	}
	if authz, _ := s.Auth.last(); !strings.Contains(authz, "/iam/aws4_request") {
		t.Errorf("the CLI's request was not signed for iam: Authorization %q", authz)
	}

	stdout, stderr, code = runCLI(t, s.URL, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
	if code != 0 {
		t.Fatalf("aws iam get-open-id-connect-provider: exit %d\n%s", code, stderr)
	}
	var got struct {
		Url            string
		ClientIDList   []string
		ThumbprintList []string
		CreateDate     string
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if got.Url != "127.0.0.1:9000/realms/demo" || !slices.Equal(got.ClientIDList, []string{"app"}) ||
		!slices.Equal(got.ThumbprintList, []string{thumbB}) || !strings.HasPrefix(got.CreateDate, "2025-03-04T05:06:07") {
		t.Errorf("get-open-id-connect-provider = %+v", got)
	}

	// Service errors reach the CLI with their code and message (exit status 254).
	_, stderr, code = runCLI(t, s.URL, create...)
	if code != 254 || !strings.Contains(stderr, "(EntityAlreadyExists)") ||
		!strings.Contains(stderr, "Provider with url http://127.0.0.1:9000/realms/demo already exists.") {
		t.Errorf("second create: exit %d, stderr %s", code, stderr)
	}
}
