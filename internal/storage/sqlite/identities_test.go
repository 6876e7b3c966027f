package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

// seedIdentities creates a pool with n identities, each with a developer login and a
// Google login, and returns the pool ID and the identities.
func seedIdentities(tb testing.TB, s *Store, n int) (string, []*storage.Identity) {
	tb.Helper()
	ctx := context.Background()
	pool := testPool("us-east-1:00000000-0000-4000-8000-000000000001")
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	ids := make([]*storage.Identity, n)
	for i := range ids {
		ids[i] = &storage.Identity{
			PoolID: pool.ID,
			ID:     fmt.Sprintf("us-east-1:%08x-1111-4222-8333-%012x", i*2654435761%(1<<32), i),
			Logins: []storage.Login{
				{Provider: "login.example.com", Subject: fmt.Sprintf("user-%06d", i)},
				{Provider: "accounts.google.com", Subject: fmt.Sprintf("1170000000%010d", i)},
			},
			CreatedAt: now, UpdatedAt: now,
		}
	}
	const batch = 500
	for lo := 0; lo < n; lo += batch {
		if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			for _, id := range ids[lo:min(lo+batch, n)] {
				if err := tx.Put(ctx, id); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	return pool.ID, ids
}

// TestIdentityQueryPlans keeps the identity queries on their indexes: no full scan of a
// table and, on the hot paths, no sort.
func TestIdentityQueryPlans(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	for _, c := range []struct {
		name, query string
		want        []string
		sortOK      bool
	}{
		{"GetIdentity", selectIdentity, []string{"SEARCH i USING PRIMARY KEY", "logins_identity_position (identity_id=?)"}, false},
		{"FindLogin", selectOwner, []string{"SEARCH logins USING PRIMARY KEY (pool_id=? AND provider=? AND subject=?)"}, false},
		{"GetPoolByID", selectAnyPool, []string{"SEARCH identity_pools USING INDEX sqlite_autoindex_identity_pools_1 (id=?)"}, false},
		// The sort is of each identity's logins by position, not of the page.
		{"ListIdentities", listIdentities, []string{"identities_pool_id (pool_id=? AND id>?)", "logins_identity_position (identity_id=?)"}, true},
		{"ListIdentities hideDisabled", listEnabledIdentities, []string{"identities_pool_id_enabled (pool_id=? AND id>?)", "logins_identity_position (identity_id=?)"}, true},
		// The deletes, with the cascades they trigger.
		{"Put's delete of logins", deleteLogins, []string{"logins_identity_position (identity_id=?)"}, false},
		{"Delete", deleteIdentity, []string{"SEARCH identities USING PRIMARY KEY", "logins_identity_position (identity_id=?)"}, false},
		// The plan shows one level of cascade; the next (identities to logins) is Delete's.
		{"DeletePool", `DELETE FROM identity_pools WHERE id = ? AND account_id = ?`, []string{"identities_pool_id (pool_id=?)"}, false},
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query, "a", "b", "c", "d", "e", "f")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
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
		for _, w := range c.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s: plan lacks %q: %s", c.name, w, joined)
			}
		}
		for _, p := range plan {
			if strings.HasPrefix(p, "SCAN identities") || strings.HasPrefix(p, "SCAN logins") || (!c.sortOK && strings.Contains(p, "TEMP B-TREE")) {
				t.Errorf("%s: plan has %q: %s", c.name, p, joined)
			}
		}
	}
	// DeletePool's cascade is planned at run time; make sure it runs against real rows.
	ctx := t.Context()
	pool, ids := seedIdentities(t, s, 3)
	if err := s.DeletePool(ctx, "111111111111", pool); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM identities) + (SELECT count(*) FROM logins)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d identity and login rows left after DeletePool (%v)", n, err)
	}
	if _, err := s.GetIdentity(ctx, ids[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetIdentity after DeletePool: %v", err)
	}
}

// TestFailedPutChangesNothing checks what the conformance suite cannot demand: a Put that
// fails leaves no trace even when fn swallows its error and commits.
func TestFailedPutChangesNothing(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool, ids := seedIdentities(t, s, 2)
	a, b := ids[0], ids[1]
	var errs []error
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		// a takes one of b's logins: ErrConflict.
		steal := *a
		steal.Logins = []storage.Login{{Provider: "new", Subject: "x"}, b.Logins[1]}
		steal.Disabled = true
		errs = append(errs, tx.Put(ctx, &steal))
		// a moves to a missing pool: ErrNotFound.
		moved := *a
		moved.PoolID = "us-east-1:missing"
		moved.Logins = nil
		errs = append(errs, tx.Put(ctx, &moved))
		// a lists a login twice: an error, no sentinel.
		twice := *a
		twice.Logins = []storage.Login{{Provider: "p", Subject: "s"}, {Provider: "p", Subject: "s"}}
		errs = append(errs, tx.Put(ctx, &twice))
		errs = append(errs, tx.Put(ctx, nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, target := range []error{storage.ErrConflict, storage.ErrNotFound, nil, nil} {
		if errs[i] == nil || target != nil && !errors.Is(errs[i], target) {
			t.Errorf("Put %d: %v, want an error (%v)", i, errs[i], target)
		}
	}
	got, err := s.GetIdentity(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Disabled || got.PoolID != pool || len(got.Logins) != 2 || got.Logins[0] != a.Logins[0] || got.Logins[1] != a.Logins[1] {
		t.Errorf("identity after failed Puts = %+v, want %+v", got, a)
	}
	for _, l := range []storage.Login{{Provider: "new", Subject: "x"}, {Provider: "p", Subject: "s"}} {
		if id, err := s.FindLogin(ctx, pool, l.Provider, l.Subject); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("FindLogin(%v) = %s, %v after a failed Put", l, id, err)
		}
	}
	if id, err := s.FindLogin(ctx, pool, b.Logins[1].Provider, b.Logins[1].Subject); err != nil || id != b.ID {
		t.Errorf("FindLogin of b's login = %s, %v", id, err)
	}
}

func TestUpdateIdentitiesPanicReleasesWriter(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool, _ := seedIdentities(t, s, 0)
	half := &storage.Identity{PoolID: pool, ID: "us-east-1:half", Logins: []storage.Login{{Provider: "p", Subject: "s"}}}
	func() {
		defer func() { _ = recover() }()
		_ = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if err := tx.Put(ctx, half); err != nil {
				t.Error(err)
			}
			panic("updater bug")
		})
	}()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.UpdateIdentities(tctx, func(tx storage.IdentityTx) error { return nil }); err != nil {
		t.Fatalf("UpdateIdentities after a panicking fn: %v", err)
	}
	if _, err := s.GetIdentity(ctx, half.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetIdentity of the panicking fn's identity: %v, want ErrNotFound", err)
	}
	if _, err := s.FindLogin(ctx, pool, "p", "s"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("FindLogin of the panicking fn's login: %v, want ErrNotFound", err)
	}
}

// TestTxUnusableAfterFn: a tx kept past fn must not write outside any transaction.
func TestTxUnusableAfterFn(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool, _ := seedIdentities(t, s, 0)
	var kept storage.IdentityTx
	if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	late := &storage.Identity{PoolID: pool, ID: "us-east-1:late"}
	if err := kept.Put(ctx, late); err == nil {
		t.Error("Put through a tx after fn returned succeeded")
	}
	if _, err := kept.OwnerOf(ctx, pool, "p", "s"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("OwnerOf through a tx after fn returned: %v, want a failure that is not ErrNotFound", err)
	}
	if _, err := s.GetIdentity(ctx, late.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetIdentity of the late Put: %v", err)
	}
}

// TestPointReadsHonourEndedContext: the point reads drop ctx's cancellation for the
// statement (pointRead), but not when ctx has already ended.
func TestPointReadsHonourEndedContext(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	pool, ids := seedIdentities(t, s, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err1 := s.GetIdentity(ctx, ids[0].ID)
	_, err2 := s.FindLogin(ctx, pool, ids[0].Logins[0].Provider, ids[0].Logins[0].Subject)
	_, err3 := s.GetPoolByID(ctx, pool)
	_, err4 := s.GetPool(ctx, "111111111111", pool)
	for i, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read %d with a cancelled context: %v, want context.Canceled", i, err)
		}
	}
}

func TestDecodeConfigBeforePrincipalTagMaps(t *testing.T) {
	// A config as written before PrincipalTagMaps existed.
	var p storage.Pool
	if err := sqlrecord.DecodePool([]byte(`{"allowUnauthenticated":true,"allowClassicFlow":null,"supportedLoginProviders":null,"developerProviderName":"","openIdConnectProviderArns":null,"cognitoIdentityProviders":null,"samlProviderArns":null,"tags":{},"roles":null,"roleMappings":null}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.PrincipalTagMaps != nil || !p.AllowUnauthenticated || p.Tags == nil {
		t.Errorf("decoded %+v", p)
	}
}

func TestUpdateKeysNilOnEmptyStore(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	got, err := s.UpdateKeys(t.Context(), func(cur *storage.Keys) (*storage.Keys, error) { return nil, nil })
	if got != nil || err != nil {
		t.Errorf("UpdateKeys returning (nil, nil) with no keys = %+v, %v; want nil, nil", got, err)
	}
	if _, err := s.GetKeys(t.Context()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetKeys: %v, want ErrNotFound", err)
	}
}

const benchIdentities = 10_000

// benchContexts are the contexts the point-read benchmarks run with: a request's is
// cancellable, which must not cost the read goroutines (see pointRead).
func benchContexts(b *testing.B) []struct {
	name string
	ctx  context.Context
} {
	return []struct {
		name string
		ctx  context.Context
	}{{"ctx=background", context.Background()}, {"ctx=cancelable", b.Context()}}
}

func BenchmarkFindLogin(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	pool, ids := seedIdentities(b, s, benchIdentities)
	for _, c := range benchContexts(b) {
		ctx := c.ctx
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				id := ids[i%len(ids)]
				i++
				got, err := s.FindLogin(ctx, pool, id.Logins[0].Provider, id.Logins[0].Subject)
				if err != nil || got != id.ID {
					b.Fatal(got, err)
				}
			}
		})
	}
}

func BenchmarkFindLoginParallel(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	ctx := context.Background()
	pool, ids := seedIdentities(b, s, benchIdentities)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			id := ids[i%len(ids)]
			i++
			if _, err := s.FindLogin(ctx, pool, id.Logins[0].Provider, id.Logins[0].Subject); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetIdentity reads identities with two logins each.
func BenchmarkGetIdentity(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	_, ids := seedIdentities(b, s, benchIdentities)
	for _, c := range benchContexts(b) {
		ctx := c.ctx
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				id := ids[i%len(ids)]
				i++
				got, err := s.GetIdentity(ctx, id.ID)
				if err != nil || len(got.Logins) != 2 {
					b.Fatal(got, err)
				}
			}
		})
	}
}

func BenchmarkGetPoolByID(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	ctx := context.Background()
	pool, _ := seedIdentities(b, s, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetPoolByID(ctx, pool); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateIdentitiesCreate is GetId for a new login: look the login up inside the
// transaction, then create an identity with it. One durable commit (fsync) per call.
func BenchmarkUpdateIdentitiesCreate(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "idpool.db"))
	ctx := context.Background()
	pool, _ := seedIdentities(b, s, benchIdentities)
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		subject := fmt.Sprintf("bench-%09d", i)
		id := fmt.Sprintf("us-east-1:bench-%09d", i)
		if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if _, err := tx.OwnerOf(ctx, pool, "login.example.com", subject); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("OwnerOf: %v", err)
			}
			return tx.Put(ctx, &storage.Identity{PoolID: pool, ID: id, CreatedAt: now, UpdatedAt: now,
				Logins: []storage.Login{{Provider: "login.example.com", Subject: subject}}})
		}); err != nil {
			b.Fatal(err)
		}
	}
}
