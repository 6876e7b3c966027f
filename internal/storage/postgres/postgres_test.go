package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idpool/idpool/internal/pgtest"
	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/storagetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openURL opens a Store on url and closes it when t ends.
func openURL(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, opts)
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

// open opens a Store on a new, empty database of its own. Its pool is small, so that
// many parallel subtests stay within the test server's max_connections on machines with
// many CPUs (the default MaxConns grows with GOMAXPROCS).
func open(t testing.TB) *Store {
	t.Helper()
	return openURL(t, pgtest.NewDatabase(t), Options{MaxConns: 8})
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return open(t) })
}

// TestConcurrentMigrations opens several Stores on one new database at once, as nodes
// starting together do: every Open succeeds and each migration is applied exactly once.
func TestConcurrentMigrations(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	stores := make([]*Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), url, Options{MaxConns: 2})
		})
	}
	close(start)
	wg.Wait()
	applied := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		applied += stores[i].applied
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	if t.Failed() {
		return
	}
	if applied != len(ms) {
		t.Errorf("%d migrations applied by %d concurrent Opens, want %d (each once)", applied, n, len(ms))
	}
	rows, err := stores[0].pool.Query(t.Context(), `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Version int32
		Name    string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d: %v", len(got), len(ms), got)
	}
	for i, m := range ms {
		if int(got[i].Version) != m.Version || got[i].Name != m.Name {
			t.Errorf("schema_migrations row %d = %v, want %d %s", i, got[i], m.Version, m.Name)
		}
	}
	// Opening again applies nothing, and the advisory lock was released by every Open.
	again := openURL(t, url, Options{})
	if again.applied != 0 {
		t.Errorf("a later Open applied %d migrations", again.applied)
	}
	var held int
	if err := again.pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'`).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if held != 0 {
		t.Errorf("%d advisory locks held after Open", held)
	}
}

// TestNewerSchemaRefused: a database migrated by a newer idpool is not written to.
func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := openURL(t, url, Options{})
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), url, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database with a newer schema = %v, want an error saying so", err)
	}
}

// TestRetryOnSerializationFailure has many goroutines increment one counter through
// SERIALIZABLE transactions (UpdateKeys and UpdateIdentities) that all read and write
// the same row: PostgreSQL aborts most of them, the Store runs them again, and no
// increment is lost.
func TestRetryOnSerializationFailure(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const workers, each = 12, 8

	if _, err := s.UpdateKeys(ctx, func(*storage.Keys) (*storage.Keys, error) {
		return &storage.Keys{SigningKeyID: "0"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	pool := &storage.Pool{AccountID: "111111111111", Region: "us-east-1", ID: "us-east-1:counter", Name: "counter"}
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	counter := &storage.Identity{PoolID: pool.ID, ID: "us-east-1:counter", Logins: []storage.Login{}}
	if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Put(ctx, counter) }); err != nil {
		t.Fatal(err)
	}

	var calls sync.Map // how often each fn ran
	count := func(key string) {
		v, _ := calls.LoadOrStore(key, new(int64))
		*v.(*int64)++ // one goroutine per key
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range each {
				_, err := s.UpdateKeys(ctx, func(cur *storage.Keys) (*storage.Keys, error) {
					count(fmt.Sprintf("keys %d", w))
					n, err := strconv.Atoi(cur.SigningKeyID)
					if err != nil {
						return nil, err
					}
					cur.SigningKeyID = strconv.Itoa(n + 1)
					return cur, nil
				})
				if err != nil {
					t.Errorf("worker %d, UpdateKeys %d: %v", w, i, err)
					return
				}
				// The identity's login count is the counter: each run adds one login.
				err = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
					count(fmt.Sprintf("identities %d", w))
					id, err := tx.Identity(ctx, counter.ID)
					if err != nil {
						return err
					}
					id.Logins = append(id.Logins, storage.Login{Provider: "count", Subject: fmt.Sprintf("%d-%d", w, i)})
					return tx.Put(ctx, id)
				})
				if err != nil {
					t.Errorf("worker %d, UpdateIdentities %d: %v", w, i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	keys, err := s.GetKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keys.SigningKeyID != strconv.Itoa(workers*each) {
		t.Errorf("counter = %s after %d increments: an update was lost", keys.SigningKeyID, workers*each)
	}
	id, err := s.GetIdentity(ctx, counter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Logins) != workers*each {
		t.Errorf("identity has %d logins after %d transactions each adding one", len(id.Logins), workers*each)
	}
	runs := int64(0)
	calls.Range(func(_, v any) bool { runs += *v.(*int64); return true })
	t.Logf("%d transactions, %d runs of their fns, %d retries", 2*workers*each, runs, s.retries.Load())
	if s.retries.Load() == 0 || runs <= 2*workers*each {
		t.Errorf("no transaction was retried (%d runs for %d transactions): the test did not race", runs, 2*workers*each)
	}
}

// TestUpdatePoolConcurrentIncrements: UpdatePool's row lock makes concurrent updaters
// queue, each fn running once on what the previous one stored.
func TestUpdatePoolConcurrentIncrements(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	pool := &storage.Pool{AccountID: "111111111111", Region: "us-east-1", ID: "us-east-1:p", Name: "0"}
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 10
	var (
		mu   sync.Mutex
		runs int
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range each {
				_, err := s.UpdatePool(ctx, pool.AccountID, pool.ID, func(p *storage.Pool) error {
					mu.Lock()
					runs++
					mu.Unlock()
					n, err := strconv.Atoi(p.Name)
					p.Name = strconv.Itoa(n + 1)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.GetPool(ctx, pool.AccountID, pool.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != strconv.Itoa(workers*each) {
		t.Errorf("counter = %s after %d increments", got.Name, workers*each)
	}
	if runs != workers*each {
		t.Errorf("fn ran %d times for %d updates, want once each", runs, workers*each)
	}
}

// TestRetryGivesUp: an fn that keeps failing with a serialization failure is run
// MaxAttempts times, then its error is returned.
func TestRetryGivesUp(t *testing.T) {
	s := openURL(t, pgtest.NewDatabase(t), Options{MaxAttempts: 3})
	runs := 0
	err := s.UpdateIdentities(t.Context(), func(tx storage.IdentityTx) error {
		runs++
		_, err := s.pool.Exec(t.Context(), `DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure'; END $$`)
		return err
	})
	if pgCode(err) != codeSerializationFailure || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("UpdateIdentities = %v, want the serialization failure after 3 attempts", err)
	}
	if runs != 3 {
		t.Errorf("fn ran %d times, want 3", runs)
	}

	// Cancelling the context stops the retries.
	ctx, cancel := context.WithCancel(t.Context())
	runs = 0
	err = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		runs++
		cancel()
		_, err := s.pool.Exec(t.Context(), `DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'deadlock_detected'; END $$`)
		return err
	})
	if !errors.Is(err, context.Canceled) || runs != 1 {
		t.Errorf("UpdateIdentities with a cancelled context = %v after %d runs, want context.Canceled after 1", err, runs)
	}
}

// TestFnSwallowsStatementError: when fn ignores the error of a statement that aborted the
// transaction and returns nil, UpdateIdentities reports that error rather than a commit
// that silently rolled back.
func TestFnSwallowsStatementError(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	p := &storage.Pool{AccountID: "111111111111", Region: "us-east-1", ID: "us-east-1:p", Name: "p"}
	if err := s.CreatePool(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	var putErr error
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		// Text PostgreSQL rejects: the statement fails and aborts the transaction.
		putErr = tx.Put(ctx, &storage.Identity{PoolID: p.ID, ID: "us-east-1:i", Logins: []storage.Login{{Provider: "\xff", Subject: "s"}}})
		return nil
	})
	if putErr == nil || err == nil || err.Error() != putErr.Error() {
		t.Errorf("UpdateIdentities = %v after Put failed with %v, want Put's error", err, putErr)
	}
	if _, err := s.GetIdentity(ctx, "us-east-1:i"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetIdentity after the failed transaction = %v, want ErrNotFound", err)
	}
}

// TestPasswordNotInErrors: Open's errors never show the password, whether the URL does
// not parse, names no reachable server, or is a keyword/value string.
func TestPasswordNotInErrors(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	for _, url := range []string{
		"postgres://idpool:" + pw + "@127.0.0.1:1/idpool?sslmode=disable&connect_timeout=2",
		"postgres://idpool:" + pw + "@127.0.0.1:notaport/idpool",
		"postgres://idpool:" + pw + "@/idpool?host=%zz",
		"postgres://idpool:" + pw + "@127.0.0.1:1/idpool?pool_max_conns=many",
		"postgresql://idpool:" + pw + "@h@127.0.0.1:1/x?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=1 user=idpool password=" + pw + " sslmode=disable connect_timeout=2",
		"host=127.0.0.1 port=x user=idpool password='" + pw + " x' sslmode=disable",
		"postgres://idpool:" + strings.ReplaceAll(pw, "-", "%2D") + "@127.0.0.1:1/idpool?sslmode=disable&connect_timeout=2",
	} {
		_, err := Open(t.Context(), url, Options{})
		if err == nil {
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, pw) || strings.Contains(msg, strings.ReplaceAll(pw, "-", "%2D")) || strings.Contains(msg, "s3cr3t") {
			t.Errorf("Open error shows the password: %s", msg)
		}
		if !strings.HasPrefix(msg, "postgres: ") {
			t.Errorf("Open error %q does not say where it comes from", msg)
		}
	}
}

func TestSecrets(t *testing.T) {
	for _, c := range []struct {
		conn, password string
		want           []string
	}{
		{"postgres://u:pw@h/db", "pw", []string{"pw"}},
		{"postgres://u:p%40w@h/db", "p@w", []string{"p%40w", "p@w"}},
		{"postgres://u:p@w@h/db", "", []string{"p@w", "p"}},
		{"user=u password='a b' host=h", "", []string{"'a b'", "a b"}},
		{"postgres://u@h/db", "", nil},
	} {
		got := secrets(c.conn, c.password)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("secrets(%q) = %q, want %q", c.conn, got, c.want)
		}
	}
}

func TestSetsMaxConns(t *testing.T) {
	for conn, want := range map[string]bool{
		"postgres://u@h/db?pool_max_conns=3":          true,
		"postgresql://u@h/db?sslmode=disable":         false,
		"host=h pool_max_conns=3":                     true,
		"pool_max_conns = 3 host=h":                   true,
		"host=h application_name=xpool_max_conns=3":   false,
		"postgres://u@h/db?application_name=pool_max": false,
	} {
		if got := setsMaxConns(conn); got != want {
			t.Errorf("setsMaxConns(%q) = %v, want %v", conn, got, want)
		}
	}
}

// TestOptionsAndURL: Options override the URL's pool_* parameters, which override the
// defaults.
func TestOptionsAndURL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	def := openURL(t, url, Options{})
	if got, want := def.pool.Config().MaxConns, int32(max(8, 4*runtime.GOMAXPROCS(0))); got != want {
		t.Errorf("default MaxConns = %d, want %d", got, want)
	}
	fromURL := openURL(t, url+sep+"pool_max_conns=3&pool_min_conns=1", Options{})
	if c := fromURL.pool.Config(); c.MaxConns != 3 || c.MinConns != 1 {
		t.Errorf("MaxConns, MinConns = %d, %d from the URL, want 3, 1", c.MaxConns, c.MinConns)
	}
	over := openURL(t, url+sep+"pool_max_conns=3&pool_max_conn_lifetime=1m", Options{MaxConns: 5})
	if c := over.pool.Config(); c.MaxConns != 5 || c.MaxConnLifetime != time.Minute {
		t.Errorf("pool config %+v does not follow Options and then the URL", c)
	}
	if _, err := Open(t.Context(), url+sep+"pool_min_conns=3", Options{MaxConns: 2}); err == nil {
		t.Error("Open with pool_min_conns above MaxConns succeeded")
	}
	var app string
	if err := def.pool.QueryRow(t.Context(), `SHOW application_name`).Scan(&app); err != nil || app != "idpool" {
		t.Errorf("application_name = %q, %v; want idpool", app, err)
	}
}

// TestClose: a second Close returns nil like the first, every method fails afterwards
// (a lookup never passes for ErrNotFound), and Close waits for nothing but the calls in
// flight.
func TestClose(t *testing.T) {
	s, err := Open(t.Context(), pgtest.NewDatabase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want the first one's nil", err)
	}
	checks := map[string]error{}
	_, checks["GetPool"] = s.GetPool(ctx, "a", "p")
	_, checks["GetPool with a NUL"] = s.GetPool(ctx, "a", "p\x00")
	_, checks["GetIdentity"] = s.GetIdentity(ctx, "i")
	_, checks["FindLogin"] = s.FindLogin(ctx, "p", "x", "y")
	_, checks["GetRole"] = s.GetRole(ctx, "a", "r")
	_, checks["GetKeys"] = s.GetKeys(ctx)
	_, checks["ListPools"] = s.ListPools(ctx, "a", "r", "", 1)
	_, checks["ListIdentities"] = s.ListIdentities(ctx, "p", "", 1, false)
	_, checks["ListProviders"] = s.ListProviders(ctx, "a", storage.ProviderOIDC)
	_, checks["ListRoles"] = s.ListRoles(ctx, "a")
	checks["Ping"] = s.Ping(ctx)
	checks["Export"] = s.Export(ctx, func(storage.Record) error { return nil })
	checks["Import"] = s.Import(ctx, func(func(storage.Record, error) bool) {})
	checks["UpdateIdentities"] = s.UpdateIdentities(ctx, func(storage.IdentityTx) error { return nil })
	for name, err := range checks {
		if err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s after Close = %v, want a failure that is not ErrNotFound", name, err)
		}
	}
}

// TestUnstorableKeys: strings PostgreSQL text cannot hold are never found, and a cursor
// with a NUL is a position in the order like any other.
func TestUnstorableKeys(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	p := &storage.Pool{AccountID: "111111111111", Region: "us-east-1", ID: "us-east-1:a", Name: "a"}
	if err := s.CreatePool(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"us-east-1:a\x00", "us-east-1:\xff"} {
		if _, err := s.GetPool(ctx, p.AccountID, bad); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetPool(%q) = %v, want ErrNotFound", bad, err)
		}
		if _, err := s.GetIdentity(ctx, bad); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetIdentity(%q) = %v, want ErrNotFound", bad, err)
		}
		if err := s.DeletePool(ctx, p.AccountID, bad); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("DeletePool(%q) = %v, want ErrNotFound", bad, err)
		}
		err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if _, err := tx.OwnerOf(ctx, bad, "x", "y"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("OwnerOf(%q) = %v, want ErrNotFound", bad, err)
			}
			return tx.Put(ctx, &storage.Identity{PoolID: bad, ID: "us-east-1:i"})
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Put into pool %q = %v, want ErrNotFound", bad, err)
		}
	}
	got, err := s.ListPools(ctx, p.AccountID, p.Region, "us-east-1:\x00", 10)
	if err != nil || len(got) != 1 {
		t.Errorf("ListPools after a cursor with a NUL = %v, %v", got, err)
	}
	got, err = s.ListPools(ctx, p.AccountID, p.Region, "us-east-1:a\x00", 10)
	if err != nil || len(got) != 0 {
		t.Errorf("ListPools after %q = %v, %v; want none", "us-east-1:a\x00", got, err)
	}
}

// TestQueryPlans keeps the hot lookups and listings on their indexes.
func TestQueryPlans(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	// Planner statistics of an empty table favour sequential scans; forbid them to see
	// whether an index serves the query at all.
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `RESET enable_seqscan`) }()
	for _, c := range []struct {
		query string
		args  []any
		index string
	}{
		{selectPool, []any{"p", "a"}, "identity_pools_pkey"},
		{listPools, []any{"a", "r", "", int64(10)}, "identity_pools_account_region_id"},
		{selectOwner, []any{"p", "x", "y"}, "logins_pkey"},
		{selectIdentity, []any{"i"}, "identities_pkey"},
		{listEnabledIdentities, []any{"p", "", int64(10)}, "identities_pool_id_enabled"},
		{listProviders, []any{"a", "oidc"}, "iam_providers_account_kind_arn"},
		{selectRole, []any{"a", "Name"}, "iam_roles_account_lower_name"},
		{listRoles, []any{"a"}, "iam_roles_account_name"},
	} {
		rows, err := conn.Query(ctx, "EXPLAIN "+c.query, c.args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", c.query, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		// Only the queries that join logins sort, and then only the page they read.
		sorts := c.query == selectIdentity || c.query == listEnabledIdentities
		if !strings.Contains(plan, c.index) || strings.Contains(plan, "Sort") && !sorts {
			t.Errorf("plan of %s:\n%s\nwant %s and no sort", c.query, plan, c.index)
		}
	}
}

// benchStore opens a Store with one pool and an identity with two logins in it.
func benchStore(b *testing.B) (*Store, *storage.Pool, *storage.Identity) {
	s := open(b)
	ctx := b.Context()
	now := time.Now()
	p := &storage.Pool{AccountID: "111111111111", Region: "us-east-1", ID: "us-east-1:bench", Name: "bench",
		Tags: map[string]string{"team": "identity"}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreatePool(ctx, p, 0); err != nil {
		b.Fatal(err)
	}
	id := &storage.Identity{PoolID: p.ID, ID: "us-east-1:0b6f3e2a-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
		Logins:    []storage.Login{{Provider: "login.example.com", Subject: "user-1"}, {Provider: "accounts.google.com", Subject: "117000000000000000001"}},
		CreatedAt: now, UpdatedAt: now}
	if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Put(ctx, id) }); err != nil {
		b.Fatal(err)
	}
	return s, p, id
}

func BenchmarkFindLogin(b *testing.B) {
	s, p, id := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.FindLogin(ctx, p.ID, id.Logins[0].Provider, id.Logins[0].Subject)
		if err != nil || got != id.ID {
			b.Fatalf("FindLogin = %q, %v", got, err)
		}
	}
}

func BenchmarkGetIdentity(b *testing.B) {
	s, _, id := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.GetIdentity(ctx, id.ID)
		if err != nil || len(got.Logins) != 2 {
			b.Fatalf("GetIdentity = %+v, %v", got, err)
		}
	}
}

func BenchmarkGetPool(b *testing.B) {
	s, p, _ := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetPool(ctx, p.AccountID, p.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateIdentitiesCreate is GetId's path for a new login: look its owner up
// inside the transaction, find none, and create an identity with it.
func BenchmarkUpdateIdentitiesCreate(b *testing.B) {
	s, p, _ := benchStore(b)
	ctx := b.Context()
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		subject := "bench-" + strconv.Itoa(i)
		err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if _, err := tx.OwnerOf(ctx, p.ID, "login.example.com", subject); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("OwnerOf: %v", err)
			}
			return tx.Put(ctx, &storage.Identity{PoolID: p.ID, ID: "us-east-1:" + subject,
				Logins: []storage.Login{{Provider: "login.example.com", Subject: subject}}, CreatedAt: now, UpdatedAt: now})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindLoginParallel measures FindLogin from many goroutines, as a busy node
// serves GetId.
func BenchmarkFindLoginParallel(b *testing.B) {
	s, p, id := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.FindLogin(ctx, p.ID, id.Logins[0].Provider, id.Logins[0].Subject); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestDumpLarge moves more identities than one Import batch and one Export page hold, so
// that every boundary is crossed, and checks that nothing is lost, duplicated or
// reordered.
func TestDumpLarge(t *testing.T) {
	src, dst := open(t), open(t)
	ctx := t.Context()
	const pools, perPool = 3, 9000
	created := time.Date(2024, 1, 2, 3, 4, 5, 6000000, time.UTC)
	var want []storage.Record
	for p := range pools {
		pool := &storage.Pool{AccountID: "111111111111", Region: "us-east-1", ID: fmt.Sprintf("us-east-1:pool-%d", p), Name: "p", CreatedAt: created, UpdatedAt: created}
		want = append(want, storage.Record{Pool: pool})
		for i := range perPool {
			id := &storage.Identity{PoolID: pool.ID, ID: fmt.Sprintf("us-east-1:%d-%06d", p, i), CreatedAt: created, UpdatedAt: created}
			switch i % 3 {
			case 1:
				id.Logins = []storage.Login{{Provider: "login.example.com", Subject: fmt.Sprint(i)}, {Provider: "accounts.google.com", Subject: fmt.Sprint(i)}}
			case 2:
				id.Logins, id.Disabled = []storage.Login{}, true
			}
			want = append(want, storage.Record{Identity: id})
		}
	}
	seq := func(recs []storage.Record) func(func(storage.Record, error) bool) {
		return func(yield func(storage.Record, error) bool) {
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
	start := time.Now()
	if err := src.Import(ctx, seq(want)); err != nil {
		t.Fatalf("Import: %v", err)
	}
	t.Logf("imported %d records in %v", len(want), time.Since(start))

	export := func(s *Store) []storage.Record {
		var got []storage.Record
		start := time.Now()
		if err := s.Export(ctx, func(r storage.Record) error { got = append(got, r); return nil }); err != nil {
			t.Fatalf("Export: %v", err)
		}
		t.Logf("exported %d records in %v", len(got), time.Since(start))
		return got
	}
	got := export(src)
	if len(got) != len(want) {
		t.Fatalf("exported %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i].Kind() != got[i].Kind() {
			t.Fatalf("record %d is a %s, want a %s", i, got[i].Kind(), want[i].Kind())
		}
		var g, w any = got[i], want[i]
		if id := want[i].Identity; id != nil {
			g, w = *got[i].Identity, *id
			if got[i].Identity.ID != id.ID || got[i].Identity.Disabled != id.Disabled || len(got[i].Identity.Logins) != len(id.Logins) ||
				(got[i].Identity.Logins == nil) != (id.Logins == nil) {
				t.Fatalf("record %d = %+v, want %+v", i, g, w)
			}
		}
	}
	if err := dst.Import(ctx, seq(got)); err != nil {
		t.Fatalf("Import of the export: %v", err)
	}
	if again := export(dst); len(again) != len(want) {
		t.Errorf("second export has %d records, want %d", len(again), len(want))
	}
	if owner, err := dst.FindLogin(ctx, "us-east-1:pool-2", "accounts.google.com", "8998"); err != nil || owner != "us-east-1:2-008998" {
		t.Errorf("FindLogin after Import = %q, %v", owner, err)
	}
}
