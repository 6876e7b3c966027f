//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"
)

// Bounds of the crash tests. None of them is an assertion about speed: each only keeps a
// broken server from hanging the test.
const (
	crashWorkers      = 8
	crashAckTarget    = 1000                    // signal once this many creates are acknowledged...
	crashLoadFor      = 1500 * time.Millisecond // ...or after this long, whichever comes first
	crashStartTimeout = 30 * time.Second
	crashExitTimeout  = 45 * time.Second // beyond the server's 30 s shutdown grace
)

// TestCrash builds the real binary and checks that no acknowledged CreateIdentityPool is
// lost when the process is killed (SIGKILL) or stopped (SIGTERM) in the middle of load.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it under load; skipped with -short")
	}
	bin := buildIdpool(t)
	t.Run("SIGKILL", func(t *testing.T) { crashScenario(t, bin, syscall.SIGKILL) })
	t.Run("SIGTERM", func(t *testing.T) { crashScenario(t, bin, syscall.SIGTERM) })
}

func crashScenario(t *testing.T, bin string, sig syscall.Signal) {
	dataDir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "idpool.log")
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("server log:\n%s", b)
			}
		}
	})

	p := startIdpoolProcess(t, bin, dataDir, logPath)
	ld := startLoad(t, p.URL)

	// Wait for enough acknowledged creates (or enough time), then signal mid-load.
	deadline := time.Now().Add(crashLoadFor)
	tick := time.NewTicker(5 * time.Millisecond)
	for n := ld.count(); n < crashAckTarget && (n == 0 || time.Now().Before(deadline)); n = ld.count() {
		if time.Since(deadline) > 20*time.Second {
			ld.stop()
			t.Fatalf("no create acknowledged within %v; errors: %v", 20*time.Second+crashLoadFor, ld.unexpectedErrors())
		}
		select {
		case <-tick.C:
		case <-p.done:
			ld.stop()
			t.Fatalf("server exited under load: %v", p.err)
		}
	}
	tick.Stop()
	ld.signalled.Store(true)
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	inflight := ld.inflight.Load()
	exited, exitErr := p.wait(crashExitTimeout)
	ld.stop()
	if !exited {
		t.Fatalf("server did not exit within %v of %v", crashExitTimeout, sig)
	}
	acked := ld.acknowledged()
	t.Logf("%v with %d creates acknowledged and %d in flight", sig, len(acked), inflight)
	if errs := ld.unexpectedErrors(); len(errs) > 0 {
		t.Fatalf("%d creates failed before the signal, first: %v", len(errs), errs[0])
	}
	switch sig {
	case syscall.SIGKILL:
		var ee *exec.ExitError
		if !errors.As(exitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("after SIGKILL: %v", exitErr)
		}
	case syscall.SIGTERM:
		if exitErr != nil {
			t.Fatalf("graceful shutdown on SIGTERM ended with %v, want exit code 0", exitErr)
		}
		if errs := ld.answeredErrors(); len(errs) > 0 {
			t.Fatalf("%d creates answered with an error during graceful shutdown, first: %v", len(errs), errs[0])
		}
		if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), "msg=stopped") {
			t.Fatalf("no clean stop in the log:\n%s", b)
		}
	}

	// Restart on the same data: every acknowledged pool is there.
	p2 := startIdpoolProcess(t, bin, dataDir, logPath)
	c := crashClient(t, p2.URL)
	checkDescribable(t, c, acked)

	listed := map[string]string{}
	var next *string
	for pages := 0; ; pages++ {
		if pages > len(acked)/60+crashWorkers+2 {
			t.Fatalf("ListIdentityPools still has a NextToken after %d pages", pages)
		}
		out, err := c.ListIdentityPools(t.Context(), &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(60), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, pl := range out.IdentityPools {
			id := aws.ToString(pl.IdentityPoolId)
			if _, dup := listed[id]; dup {
				t.Fatalf("pool %s listed twice", id)
			}
			listed[id] = aws.ToString(pl.IdentityPoolName)
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	for id, name := range acked {
		got, ok := listed[id]
		if !ok {
			t.Fatalf("acknowledged pool %s (%s) not listed after restart", id, name)
		}
		if got != name {
			t.Fatalf("pool %s listed as %q, created as %q", id, got, name)
		}
	}
	// Pools beyond the acknowledged ones can only be creates that were in flight: at
	// most one per worker.
	if extra := len(listed) - len(acked); extra > crashWorkers {
		t.Fatalf("%d pools listed, %d acknowledged: %d appeared from nowhere", len(listed), len(acked), extra)
	}

	// The restarted server takes writes, and stops cleanly.
	createPool(t, c, "after-restart")
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if exited, err := p2.wait(crashExitTimeout); !exited || err != nil {
		t.Fatalf("restarted server on SIGTERM: exited %v, %v", exited, err)
	}
}

// checkDescribable describes every pool in want (ID to name), a few at a time.
func checkDescribable(t *testing.T, c *ci.Client, want map[string]string) {
	t.Helper()
	ids := make(chan string)
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range crashWorkers {
		wg.Go(func() {
			for id := range ids {
				out, err := c.DescribeIdentityPool(t.Context(), &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(id)})
				var msg string
				switch {
				case err != nil:
					msg = fmt.Sprintf("acknowledged pool %s: %v", id, err)
				case aws.ToString(out.IdentityPoolName) != want[id] || !out.AllowUnauthenticatedIdentities:
					msg = fmt.Sprintf("acknowledged pool %s: described as %q (unauthenticated %v), created as %q",
						id, aws.ToString(out.IdentityPoolName), out.AllowUnauthenticatedIdentities, want[id])
				default:
					continue
				}
				mu.Lock()
				failures = append(failures, msg)
				mu.Unlock()
			}
		})
	}
	for id := range want {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d acknowledged pools lost, e.g.:\n%s", len(failures), len(want), strings.Join(failures[:min(len(failures), 10)], "\n"))
	}
}

// load is crashWorkers goroutines creating pools as fast as the server lets them.
type load struct {
	signalled atomic.Bool // set just before the server is signalled
	stopped   atomic.Bool
	inflight  atomic.Int64
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu         sync.Mutex
	acked      map[string]string // pool ID to name, for every create that succeeded
	unexpected []error           // failures before the signal
	answered   []error           // service errors (an HTTP answer, not a broken connection) after it
}

func startLoad(t *testing.T, url string) *load {
	ctx, cancel := context.WithCancel(context.Background())
	ld := &load{acked: map[string]string{}, cancel: cancel}
	for w := range crashWorkers {
		c := crashClient(t, url)
		ld.wg.Go(func() {
			for i := 0; !ld.stopped.Load(); i++ {
				name := fmt.Sprintf("crash-%d-%d", w, i)
				ld.inflight.Add(1)
				out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
					IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true,
				})
				ld.inflight.Add(-1)
				ld.mu.Lock()
				switch {
				case err == nil:
					ld.acked[aws.ToString(out.IdentityPoolId)] = name
				case !ld.signalled.Load():
					ld.unexpected = append(ld.unexpected, fmt.Errorf("%s: %w", name, err))
				default:
					var ae smithy.APIError
					if errors.As(err, &ae) {
						ld.answered = append(ld.answered, fmt.Errorf("%s: %w", name, err))
					}
				}
				ld.mu.Unlock()
				if err != nil {
					return // before the signal a failure ends the test; after it, the server is gone
				}
			}
		})
	}
	t.Cleanup(ld.stop)
	return ld
}

func (ld *load) count() int {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return len(ld.acked)
}

// stop ends the load and waits for the workers. It is called once the server is gone, so
// every worker is about to fail and return; the cancel is a backstop.
func (ld *load) stop() {
	ld.stopped.Store(true)
	done := make(chan struct{})
	go func() { ld.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		ld.cancel()
		<-done
	}
	ld.cancel()
}

func (ld *load) acknowledged() map[string]string {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	m := make(map[string]string, len(ld.acked))
	for k, v := range ld.acked {
		m[k] = v
	}
	return m
}

func (ld *load) unexpectedErrors() []error {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return append([]error(nil), ld.unexpected...)
}

func (ld *load) answeredErrors() []error {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return append([]error(nil), ld.answered...)
}

// crashClient is a Go SDK client for a server started as a separate process, signing with
// the test admin key, without retries, keeping one idle connection per worker; like the
// harness's client it hands net/http a copy of each request body (see copyBodyTransport).
func crashClient(t *testing.T, url string) *ci.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = crashWorkers
	t.Cleanup(tr.CloseIdleConnections)
	return ci.New(ci.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second, Transport: copyBodyTransport{tr}},
	})
}

// buildIdpool builds ./cmd/idpool of the module that holds this package.
func buildIdpool(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "idpool")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/idpool")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/idpool: %v\n%s", err, out)
	}
	return bin
}

type idpoolProcess struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited; err is then set
	err  error
}

// wait waits up to d for the process to exit and returns how it ended.
func (p *idpoolProcess) wait(d time.Duration) (exited bool, err error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(d):
		return false, nil
	}
}

// startIdpoolProcess runs `idpool serve` on a free loopback port with the test
// credentials and waits until /readyz answers. Its output is appended to logPath.
func startIdpoolProcess(t *testing.T, bin, dataDir, logPath string) *idpoolProcess {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	for attempt := 1; ; attempt++ {
		addr := freeLoopbackAddr(t)
		fmt.Fprintf(logf, "--- starting on %s\n", addr)
		cmd := exec.Command(bin, "serve",
			"--listen", addr,
			"--data-dir", dataDir,
			"--region", testRegion,
			"--account-id", testAccount,
			"--access-key-id", testKeyID,
			"--secret-access-key", testSecret,
			"--max-pools-per-account", "1000000",
		)
		cmd.Args = append(cmd.Args, databaseArgs(t, dataDir)...)
		// Only what the binary needs: no IDPOOL_* setting of the machine leaks in.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &idpoolProcess{URL: "http://" + addr, cmd: cmd, done: make(chan struct{})}
		go func() { p.err = cmd.Wait(); close(p.done) }()
		t.Cleanup(func() {
			select {
			case <-p.done:
			default:
				_ = cmd.Process.Kill()
				<-p.done
			}
		})
		err := waitReady(p)
		if err == nil {
			return p
		}
		select {
		case <-p.done:
			// Exited before it was ready: perhaps the port was taken meanwhile.
			if b, _ := os.ReadFile(logPath); attempt < 5 && strings.Contains(string(b), "address already in use") {
				continue
			}
		default:
		}
		t.Fatalf("idpool on %s: %v", addr, err)
	}
}

func waitReady(p *idpoolProcess) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(crashStartTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := hc.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz did not answer 200 within %v (last: %v)", crashStartTimeout, err)
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before ready: %v", p.err)
		case <-tick.C:
		}
	}
}

// freeLoopbackAddr returns a loopback address with a port nothing listens on right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
