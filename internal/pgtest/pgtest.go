// Package pgtest gives tests a PostgreSQL database of their own.
//
// With IDPOOL_TEST_DATABASE_URL set, databases are created on that server (its user needs
// CREATEDB). Otherwise the first test that asks starts a throwaway cluster from the
// installed PostgreSQL binaries: initdb into a temporary directory as the postgres system
// user, a free loopback port, fsync off, no Unix socket. Main stops it when the package's
// tests are done. Where neither exists the test is skipped with a message saying so, or
// fails when IDPOOL_REQUIRE_CLIENTS is set, as in CI.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "IDPOOL_TEST_DATABASE_URL"

// binDirs are where Debian's packages put the server binaries, newest first.
var binDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

var (
	once    sync.Once
	shared  *cluster
	initErr error
	counter atomic.Int64
)

// cluster is a running server and the URL of its maintenance database.
type cluster struct {
	adminURL string
	dir      string // empty for a server given by EnvURL
	pgCtl    string
	runAs    []string // the command prefix that runs a binary as the cluster's owner
}

// Main runs the package's tests and stops the cluster if one was started. Call it from
// TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// NewDatabase creates an empty database for t and returns its URL; the database is
// dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, initErr = start() })
	if initErr != nil {
		if os.Getenv("IDPOOL_REQUIRE_CLIENTS") != "" {
			t.Fatalf("PostgreSQL is required (IDPOOL_REQUIRE_CLIENTS is set): %v", initErr)
		}
		t.Skipf("no PostgreSQL for this test: %v (install postgresql or set %s)", initErr, EnvURL)
	}
	name := fmt.Sprintf("idpool_test_%d_%d", os.Getpid(), counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := shared.exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := shared.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	u, err := url.Parse(shared.adminURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func (c *cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func start() (*cluster, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return &cluster{adminURL: u}, nil
	}
	bin := ""
	for _, d := range binDirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			bin = d
			break
		}
	}
	if bin == "" {
		return nil, fmt.Errorf("no initdb in %s", strings.Join(binDirs, ", "))
	}
	c := &cluster{pgCtl: filepath.Join(bin, "pg_ctl")}
	dir, err := os.MkdirTemp("", "idpool-pg-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	// PostgreSQL refuses to run as root; as root, run it as the postgres system user,
	// which must own the directory.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		c.cleanup()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		c.cleanup()
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port)
	if out, err := c.run(c.pgCtl, "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		c.cleanup()
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	c.adminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

func (c *cluster) run(name string, args ...string) ([]byte, error) {
	argv := append(append([]string(nil), c.runAs...), name)
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

func (c *cluster) stop() error {
	if c.dir == "" {
		return nil
	}
	defer c.cleanup()
	out, err := c.run(c.pgCtl, "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

func (c *cluster) cleanup() { _ = os.RemoveAll(c.dir) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
