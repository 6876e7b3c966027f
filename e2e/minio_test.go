package e2e

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// minioBinary is where .ci/run installs MinIO; IDPOOL_MINIO_BIN overrides it.
func minioBinary() string {
	if p := os.Getenv("IDPOOL_MINIO_BIN"); p != "" {
		return p
	}
	return "/tmp/idpool-tools/minio"
}

// freePort reserves a loopback port for a process started later.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestMinIO: MinIO, a real STS, trusts idpool's issuer. GetCredentialsForIdentity obtains
// credentials from MinIO's AssumeRoleWithWebIdentity, and they store and read an S3
// object; a role MinIO does not grant is refused.
func TestMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	bin := minioBinary()
	requireClient(t, "MinIO at "+bin+" (go install github.com/minio/minio@<version> as .ci/run does)", isExecutable(bin))

	minioAddr := freePort(t)
	minioURL := "http://" + minioAddr
	srv := startServer(t, "--sts-endpoint", minioURL)
	c := srv.client(t)
	ctx := t.Context()
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("minio"), AllowUnauthenticatedIdentities: true})
	if err != nil {
		t.Fatal(err)
	}
	pool := aws.ToString(out.IdentityPoolId)

	// MinIO's role for this client ID, in its role-policy mode.
	sum := sha1.Sum([]byte(pool))
	role := "arn:minio:iam:::role/" + base64.RawURLEncoding.EncodeToString(sum[:])

	runCtx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(runCtx, bin, "server", t.TempDir(), "--address", minioAddr, "--console-address", freePort(t), "--quiet")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"MINIO_ROOT_USER=idpooladmin", "MINIO_ROOT_PASSWORD=idpool-minio-secret",
		"MINIO_IDENTITY_OPENID_CONFIG_URL=" + srv.URL + "/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID=" + pool,
		"MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite",
		"MINIO_BROWSER=off",
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		cmd.Wait()
		if t.Failed() {
			t.Logf("minio output:\n%s", logs.String())
		}
	})
	waitHTTP(t, minioURL+"/minio/health/ready", 60*time.Second)

	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool, Roles: map[string]string{"unauthenticated": role}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	// MinIO answers ready before its IAM has loaded the built-in policies; until then its
	// STS refuses the role ("None of the given policies (`readwrite`) are defined"), which
	// idpool passes on as InvalidIdentityPoolConfigurationException. Seen once in CI.
	var got *ci.GetCredentialsForIdentityOutput
	for deadline := time.Now().Add(30 * time.Second); ; {
		got, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
		if err == nil || !strings.Contains(err.Error(), "InvalidIdentityPoolConfigurationException") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	cr := got.Credentials
	s3c := s3.New(s3.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(minioURL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretKey), aws.ToString(cr.SessionToken)),
		RetryMaxAttempts: 1,
	})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("idpool-test")}); err != nil {
		t.Fatal(err)
	}
	body := "stored with credentials that came through idpool"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("idpool-test"), Key: aws.String("hello.txt"), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("idpool-test"), Key: aws.String("hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(b) != body {
		t.Fatalf("read back %q", b)
	}

	// A role MinIO does not grant: MinIO refuses, idpool answers AWS's configuration error.
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool, Roles: map[string]string{"unauthenticated": "arn:minio:iam:::role/not-granted"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
}

// waitHTTP polls url until it answers 200, for at most d.
func waitHTTP(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s not ready within %v", url, d)
}
