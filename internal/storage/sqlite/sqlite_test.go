package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
	"github.com/idpool/idpool/internal/storage/storagetest"
)

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	})
}

func testPool(id string) *storage.Pool {
	now := time.Now()
	return &storage.Pool{
		AccountID: "111111111111", Region: "us-east-1", ID: id, Name: "bench",
		AllowClassicFlow:        new(bool),
		SupportedLoginProviders: map[string]string{"graph.facebook.com": "7346241598935552", "accounts.google.com": "123.apps.googleusercontent.com"},
		DeveloperProviderName:   "login.example.com",
		CognitoIdentityProviders: []storage.CognitoProvider{
			{ProviderName: "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", ClientID: "1example23456789", ServerSideTokenCheck: true},
		},
		Tags:  map[string]string{"team": "identity", "env": "prod"},
		Roles: map[string]string{"authenticated": "arn:aws:iam::111111111111:role/a", "unauthenticated": "arn:aws:iam::111111111111:role/u"},
		RoleMappings: map[string]storage.RoleMapping{"graph.facebook.com": {Type: "Rules", AmbiguousRoleResolution: "Deny",
			Rules: []storage.MappingRule{{Claim: "sub", MatchType: "Equals", Value: "x", RoleARN: "arn:aws:iam::111111111111:role/x"}}}},
		CreatedAt: now, UpdatedAt: now,
	}
}

func migrationRows(t *testing.T, s *Store) [][3]any {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]any
	for rows.Next() {
		var v, at int64
		var name string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, [3]any{v, name, at})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReopenKeepsDataAndSkipsAppliedMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idpool.db")
	ctx := t.Context()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := testPool("us-east-1:11111111-2222-4333-8444-555555555555")
	if err := s.CreatePool(ctx, p, 10); err != nil {
		t.Fatal(err)
	}
	before := migrationRows(t, s)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(before), len(ms))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	time.Sleep(2 * time.Millisecond) // a re-applied migration would get a later applied_at
	s = openAt(t, path)
	got, err := s.GetPool(ctx, p.AccountID, p.ID)
	if err != nil {
		t.Fatalf("GetPool after reopen: %v", err)
	}
	if got.Name != p.Name || !reflect.DeepEqual(got.Tags, p.Tags) || !got.CreatedAt.Equal(p.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("pool after reopen = %+v, want %+v", got, p)
	}
	if after := migrationRows(t, s); !reflect.DeepEqual(after, before) {
		t.Errorf("schema_migrations changed on reopen: %v, was %v", after, before)
	}
	if n, err := migrate(ctx, s.w, ms); err != nil || n != 0 {
		t.Errorf("migrate on an up-to-date database = %d, %v; want 0, nil", n, err)
	}
}

func TestFailedMigrationLeavesPreviousVersion(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	bad := append(ms, sqlrecord.Migration{Version: len(ms) + 1, Name: "bad",
		SQL: "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);"})
	if _, err := migrate(ctx, s.w, bad); err == nil {
		t.Fatal("migrate with a failing migration succeeded")
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the failed migration's first statement persisted (count %d, %v)", n, err)
	}
	if rows := migrationRows(t, s); len(rows) != len(ms) {
		t.Errorf("schema_migrations = %v after a failed migration, want %d rows", rows, len(ms))
	}
	// The store is still usable: the failed transaction did not keep the writer.
	if err := s.CreatePool(ctx, testPool("us-east-1:after-failed-migration"), 0); err != nil {
		t.Errorf("CreatePool after a failed migration: %v", err)
	}
}

// A database written before session tokens became self-contained loses its sessions
// table, rows and index, and keeps the rest.
func TestUpgradeDropsSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idpool.db")
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	const before = 6 // 0007_drop_sessions
	if ms[before].Name != "drop_sessions" {
		t.Fatalf("migration %d is %s, want drop_sessions", before+1, ms[before].Name)
	}
	if err := createFile(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, db, ms[:before]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO sessions VALUES ('ASIA1', 's', 't', '1', 'arn', 'n', '', '', 'null', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path)
	var left []string
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE name LIKE 'sessions%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		left = append(left, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("after the upgrade the schema still has %v", left)
	}
	if n := len(migrationRows(t, s)); n != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idpool.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(t.Context(), `INSERT INTO schema_migrations VALUES (999, 'from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a newer schema")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open: %v, want an error about the newer schema", err)
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "idpool.db")
	s := openAt(t, path)
	if err := s.CreatePool(t.Context(), testPool("us-east-1:mode-check"), 0); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(name), got, want)
		}
	}
}

func TestPathNeedingEscapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir?x=1#frag%20", "idpool.db")
	s := openAt(t, path)
	if err := s.CreatePool(t.Context(), testPool("us-east-1:escape"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the literal path: %v", err)
	}
}

// TestPragmasOnEveryConnection holds several read connections at once, so that the check
// covers connections the pool opened after the first.
func TestPragmasOnEveryConnection(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "idpool.db"), Options{Synchronous: "normal", BusyTimeout: 1234 * time.Millisecond, MaxReadConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	check := func(name string, c *sql.Conn, queryOnly int) {
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "1234",
			"query_only": fmt.Sprint(queryOnly),
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	w, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("writer", w, 0)
	w.Close()
	var conns []*sql.Conn
	for i := range 3 {
		c, err := s.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		check(fmt.Sprintf("reader %d", i), c, 1)
	}
	// The read pool refuses writes, so nothing can bypass the writer queue.
	if _, err := conns[0].ExecContext(ctx, `DELETE FROM identity_pools`); err == nil {
		t.Error("a read connection accepted a write")
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestOpenRejectsUnknownSynchronous(t *testing.T) {
	if s, err := Open(t.Context(), filepath.Join(t.TempDir(), "idpool.db"), Options{Synchronous: "FULL); DROP TABLE x; --"}); err == nil {
		s.Close()
		t.Fatal("Open accepted an invalid Synchronous")
	}
}

// TestQueryPlansUseIndex keeps listing and the quota count from degrading into full table
// scans (or a sort) as the number of pools grows.
func TestQueryPlansUseIndex(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	for _, q := range []string{
		`SELECT id, name FROM identity_pools WHERE account_id = ? AND region = ? AND id > ? ORDER BY id LIMIT ?`,
		`SELECT count(*) FROM identity_pools WHERE account_id = ? AND region = ?`,
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, "a", "r", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "identity_pools_account_region_id") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("plan for %q: %s", q, joined)
		}
	}
}

// TestWriteTransactionsLockAtBegin checks that write transactions begin IMMEDIATE: the
// write lock is taken at BEGIN, so the read inside UpdatePool cannot be invalidated by
// another process's commit and a conflicting writer waits at BEGIN, where busy_timeout
// applies, rather than failing at its first write.
func TestWriteTransactionsLockAtBegin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idpool.db")
	s1 := openAt(t, path)
	s2, err := Open(t.Context(), path, Options{BusyTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()

	tx, err := s1.w.BeginTx(t.Context(), nil) // no statement yet
	if err != nil {
		t.Fatal(err)
	}
	err = s2.CreatePool(t.Context(), testPool("us-east-1:second-process"), 0)
	_ = tx.Rollback()
	if err == nil {
		t.Fatal("another connection wrote while a write transaction was open: BEGIN is not IMMEDIATE")
	}
	if err := s2.CreatePool(t.Context(), testPool("us-east-1:second-process"), 0); err != nil {
		t.Errorf("CreatePool once the lock was released: %v", err)
	}
}

func TestUpdaterPanicReleasesWriter(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	p := testPool("us-east-1:panic")
	if err := s.CreatePool(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = s.UpdatePool(ctx, p.AccountID, p.ID, func(q *storage.Pool) error {
			q.Name = "half"
			panic("updater bug")
		})
	}()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := s.UpdatePool(tctx, p.AccountID, p.ID, func(q *storage.Pool) error { return nil })
	if err != nil {
		t.Fatalf("UpdatePool after a panicking updater: %v", err)
	}
	if got.Name != p.Name {
		t.Errorf("Name = %q, the panicking updater's change persisted", got.Name)
	}
}

// TestKill9KeepsAcknowledgedWrites runs a child process that creates pools as fast as it
// can and reports each one CreatePool acknowledged, kills it with SIGKILL mid-stream, and
// checks that every acknowledged pool is in the database. (Power loss is not simulated;
// synchronous=FULL is what covers it.)
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if path := os.Getenv("IDPOOL_SQLITE_KILL_CHILD"); path != "" {
		killChild(path)
		return
	}
	if runtime.GOOS == "windows" || testing.Short() {
		t.Skip("needs SIGKILL; skipped in -short")
	}
	path := filepath.Join(t.TempDir(), "idpool.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9KeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "IDPOOL_SQLITE_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Keep reading while the kill lands, so the child is busy committing, not blocked on a
	// full pipe; every line read was printed after its CreatePool returned.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var acked []string
	for l := range lines {
		if id, ok := strings.CutPrefix(l, "acked "); ok {
			acked = append(acked, id)
			if len(acked) == 40 {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	_ = cmd.Wait()
	if len(acked) < 40 {
		t.Fatalf("child acknowledged only %d pools", len(acked))
	}
	t.Logf("%d pools acknowledged before SIGKILL", len(acked))

	s := openAt(t, path)
	for _, id := range acked {
		if _, err := s.GetPool(t.Context(), "111111111111", id); err != nil {
			t.Errorf("acknowledged pool %s after kill -9: %v", id, err)
		}
	}
}

func killChild(path string) {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("us-east-1:kill-%06d", i)
		if err := s.CreatePool(context.Background(), testPool(id), 0); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("acked %s\n", id)
	}
}

func TestClosedStoreErrors(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetPool(t.Context(), "a", "b")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetPool after Close = %v, want a failure that is not ErrNotFound", err)
	}
}

func BenchmarkGetPool(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	ctx := context.Background()
	p := testPool("us-east-1:bench")
	if err := s.CreatePool(ctx, p, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetPool(ctx, p.AccountID, p.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetPoolParallel(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	ctx := context.Background()
	p := testPool("us-east-1:bench")
	if err := s.CreatePool(ctx, p, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetPool(ctx, p.AccountID, p.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkUpdatePool measures a durable write: one fsync of the WAL per call.
func BenchmarkUpdatePool(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	ctx := context.Background()
	p := testPool("us-east-1:bench")
	if err := s.CreatePool(ctx, p, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.UpdatePool(ctx, p.AccountID, p.ID, func(q *storage.Pool) error {
			q.Tags["n"] = fmt.Sprint(i)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
