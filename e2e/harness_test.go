package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"

	"github.com/idpool/idpool/internal/config"
	"github.com/idpool/idpool/internal/logbuf"
	"github.com/idpool/idpool/internal/server"
)

// The admin credential every test server trusts.
const (
	testAccount = "123456789012"
	testKeyID   = "AKIAIDPOOLTEST000001"
	testSecret  = "idpool/test/secret/key/0000000000000000"
	testRegion  = "us-east-1"
)

type testServer struct {
	URL     string
	DataDir string
	Server  *server.Server
	// Clock drives tokens and key rotation (not SigV4, which the SDKs sign with real time).
	Clock *fakeClock
}

// fakeClock is the wall clock plus an offset tests can step forward.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// startServer runs an in-process idpool on a free loopback port with its own data
// directory. Extra args are serve flags.
func startServer(t *testing.T, args ...string) *testServer {
	t.Helper()
	dir := t.TempDir()
	return startServerIn(t, dir, args...)
}

func startServerIn(t *testing.T, dir string, args ...string) *testServer {
	t.Helper()
	base := []string{
		"--listen", "127.0.0.1:0",
		"--data-dir", dir,
		"--region", testRegion,
		"--account-id", testAccount,
		"--access-key-id", testKeyID,
		"--secret-access-key", testSecret,
	}
	base = append(base, databaseArgs(t, dir)...)
	cfg, err := config.ParseServe(append(base, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.EnsureCredentials(); err != nil {
		t.Fatal(err)
	}
	// The server's warnings and errors are kept and shown when the test fails: a refusal
	// from an external STS, say, is only in the log.
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if os.Getenv("IDPOOL_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	t.Cleanup(func() {
		if t.Failed() && logs.Len() > 0 {
			t.Logf("server log (%s):\n%s", dir, logs.String())
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	clock := &fakeClock{}
	srv, err := server.New(ctx, cfg, log, server.WithClock(clock.Now))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(a net.Addr) { addrc <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	return &testServer{URL: "http://" + addr.String(), DataDir: dir, Server: srv, Clock: clock}
}

// client returns a Go SDK client signing with the given credentials (the test admin key
// when none are given), with retries off so errors surface at once.
func (s *testServer) client(t *testing.T, creds ...aws.CredentialsProvider) *cognitoidentity.Client {
	t.Helper()
	var cp aws.CredentialsProvider = credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")
	if len(creds) > 0 {
		cp = creds[0]
	}
	return cognitoidentity.New(cognitoidentity.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      cp,
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second, Transport: copyBodyTransport{http.DefaultTransport}},
	})
}

// wantAPIError asserts err is the AWS error code with the exact message (if msg != "").
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("%s message:\n got: %s\nwant: %s", code, ae.ErrorMessage(), msg)
	}
}

// copyBodyTransport sends an in-memory copy of each request body. The Go SDK closes the
// request body once response headers arrive (aws/aws-sdk-go-v2#1825, #2737); net/http's
// last read of a closed body then counts as a write error and closes the connection,
// which cuts off responses larger than its read buffer. A copy the SDK cannot close
// avoids that flake.
type copyBodyTransport struct{ next http.RoundTripper }

func (c copyBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return c.next.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	cp := r.Clone(r.Context())
	cp.Body = io.NopCloser(bytes.NewReader(b))
	cp.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	cp.ContentLength = int64(len(b))
	return c.next.RoundTrip(cp)
}
