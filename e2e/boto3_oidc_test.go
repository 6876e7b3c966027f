package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestBoto3OIDC: an OpenID provider of the test's own, registered with
// `aws iam create-open-id-connect-provider` and attached to a pool with the AWS CLI, lets
// boto3 call GetId, GetOpenIdToken and GetCredentialsForIdentity with its ID tokens (the
// credentials checked with STS GetCallerIdentity); the same token expired, for
// another audience, from another issuer, or re-signed with none or HS256 is refused with
// AWS's error.
func TestBoto3OIDC(t *testing.T) {
	t.Parallel()
	haveBoto3 := isExecutable(python3Path) && exec.Command(python3Path, "-I", "-c", "import boto3").Run() == nil
	requireClient(t, "boto3 (import boto3 with "+python3Path+")", haveBoto3)
	requireClient(t, "the AWS CLI at "+awsCLIPath, isExecutable(awsCLIPath))
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_oidc.py"))
	if err != nil {
		t.Fatal(err)
	}

	srv := startServer(t)
	iss := startIssuer(t, "/realms/demo")
	other := startIssuer(t, "/realms/other")
	cli := newAWSCLI(t, srv)
	var created struct{ OpenIDConnectProviderArn string }
	cli.on("iam").ok(&created, "create-open-id-connect-provider", "--url", iss.URL, "--client-id-list", "my-app",
		"--thumbprint-list", "0123456789abcdef0123456789abcdef01234567")
	var pool cliPool
	cli.ok(&pool, "create-identity-pool", "--identity-pool-name", "oidc", "--no-allow-unauthenticated-identities",
		"--open-id-connect-provider-arns", created.OpenIDConnectProviderArn)

	good := iss.token(t, "alice", "my-app", time.Hour, nil)
	payload := strings.Split(good, ".")[1]
	hsKey, _ := json.Marshal(iss.key.PublicKey)
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: hsKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs256, err := jwt.Signed(hs).Claims(map[string]any{"iss": iss.URL, "sub": "alice", "aud": "my-app", "exp": time.Now().Add(time.Hour).Unix()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"good":         good,
		"good_again":   iss.token(t, "alice", "my-app", time.Hour, nil),
		"engineer":     iss.token(t, "erin", "my-app", time.Hour, map[string]any{"dept": "eng"}),
		"salesperson":  iss.token(t, "sam", "my-app", time.Hour, map[string]any{"dept": "sales"}),
		"expired":      iss.tokenAt(t, "alice", "my-app", time.Now().Add(-3*time.Hour), time.Hour, nil),
		"other_aud":    iss.token(t, "alice", "someone-else", time.Hour, nil),
		"other_issuer": other.token(t, "alice", "my-app", time.Hour, nil),
		"alg_none":     base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + ".",
		"hs256":        hs256,
	}
	tj, _ := json.Marshal(tokens)
	env := clientEnv(t,
		"IDPOOL_ENDPOINT="+srv.URL,
		"IDPOOL_POOL_ID="+pool.IdentityPoolId,
		"IDPOOL_ACCOUNT="+testAccount,
		"IDPOOL_PROVIDER="+strings.TrimPrefix(iss.URL, "http://"),
		"IDPOOL_TOKENS="+string(tj),
	)
	r := runClient(t, t.TempDir(), env, python3Path, "-I", "-B", script)
	t.Logf("boto3_oidc.py output:\n%s", r.Stdout)
	if r.ExitCode != 0 {
		t.Fatalf("boto3_oidc.py exited %d\nstderr:\n%s", r.ExitCode, r.Stderr)
	}
	if lines := strings.Split(strings.TrimSpace(r.Stdout), "\n"); lines[len(lines)-1] != "OK" {
		t.Fatalf("boto3_oidc.py did not print OK last\nstderr:\n%s", r.Stderr)
	}
}
