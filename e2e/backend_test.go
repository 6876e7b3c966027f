package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/pgtest"
)

// envBackend selects the storage backend of every server the tests start: unset for
// SQLite in the data directory, "postgres" for a PostgreSQL database of the data
// directory's own (pgtest).
const envBackend = "IDPOOL_E2E_BACKEND"

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func onPostgres() bool { return os.Getenv(envBackend) == "postgres" }

var (
	dbMu    sync.Mutex
	dbByDir = map[string]string{}
)

// databaseArgs returns the serve flags that put the server of data directory dir on the
// selected backend. A directory keeps its database, so that a server restarted on the
// same directory, or a second node started on it, finds the same data, as with SQLite.
func databaseArgs(t *testing.T, dir string) []string {
	t.Helper()
	if !onPostgres() {
		return nil
	}
	dbMu.Lock()
	defer dbMu.Unlock()
	u, ok := dbByDir[dir]
	if !ok {
		u = pgtest.NewDatabase(t)
		dbByDir[dir] = u
	}
	return []string{"--database-url", u}
}

// TestEndToEndOnPostgres runs this whole package again with every server on PostgreSQL:
// the end-to-end suite holds on both backends. It re-executes the test binary with
// envBackend set, so the tests themselves need not know which backend they run on.
func TestEndToEndOnPostgres(t *testing.T) {
	if os.Getenv(envBackend) != "" {
		t.Skip("this run already chose its backend")
	}
	if testing.Short() {
		t.Skip("-short: the suite runs on SQLite only")
	}
	pgtest.NewDatabase(t) // skips, or fails under IDPOOL_REQUIRE_CLIENTS, without PostgreSQL
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	args := []string{"-test.count=1", "-test.timeout=20m", "-test.skip=^TestEndToEndOnPostgres$"}
	if run := flagValue("test.run"); run != "" {
		args = append(args, "-test.run="+run)
	}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), envBackend+"=postgres")
	out, err := cmd.CombinedOutput()
	if testing.Verbose() || err != nil {
		t.Logf("the suite on PostgreSQL:\n%s", out)
	}
	if err != nil {
		t.Fatalf("the end-to-end suite failed on PostgreSQL: %v", err)
	}
	t.Logf("the end-to-end suite passed on PostgreSQL: %s", strings.TrimSpace(lastLine(out)))
}

// flagValue returns the value of a -test.* flag this binary was started with.
func flagValue(name string) string {
	for i, a := range os.Args[1:] {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+2 < len(os.Args) {
			return os.Args[i+2]
		}
	}
	return ""
}

func lastLine(b []byte) string {
	s := strings.TrimRight(string(b), "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}
