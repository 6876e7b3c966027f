package server

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlite"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openStore opens a throwaway SQLite store, closed when the test ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "idpool.db"), sqlite.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func testRole(name string) *storage.Role {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &storage.Role{AccountID: "123456789012", Name: name, Path: "/", ARN: "arn:aws:iam::123456789012:role/" + name,
		RoleID: "AROA" + name, AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[]}`, CreatedAt: at}
}

// A role change made through this node's IAM API is seen at once; one made elsewhere (a
// write straight to the store stands for another node) within roleCacheTTL.
func TestRoleCache(t *testing.T) {
	store := openStore(t)
	clock := &testClock{t: time.Now()}
	cache := newRoleCache(store, clock.now)
	local := iamRoles{store, cache}
	ctx := t.Context()
	get := func(name string) *storage.Role {
		t.Helper()
		r, err := cache.get(ctx, "123456789012", name)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	if get("Local") != nil {
		t.Fatal("a role never created is found")
	}
	if err := local.CreateRole(ctx, testRole("Local")); err != nil {
		t.Fatal(err)
	}
	if r := get("local"); r == nil || r.Name != "Local" {
		t.Fatalf("a role created through this node is not seen at once (names fold case): %+v", r)
	}
	if err := local.DeleteRole(ctx, "123456789012", "Local"); err != nil {
		t.Fatal(err)
	}
	if get("Local") != nil {
		t.Fatal("a role deleted through this node is still seen")
	}

	if get("Remote") != nil {
		t.Fatal("a role never created is found")
	}
	if err := store.CreateRole(ctx, testRole("Remote")); err != nil {
		t.Fatal(err)
	}
	clock.add(roleCacheTTL - time.Millisecond)
	if get("Remote") != nil {
		t.Fatal("the cached answer was not used within its lifetime")
	}
	clock.add(time.Millisecond)
	if get("Remote") == nil {
		t.Fatal("a role created elsewhere is not seen after roleCacheTTL")
	}
}

func TestRoleCacheBounded(t *testing.T) {
	store := openStore(t)
	cache := newRoleCache(store, time.Now)
	for i := range roleCacheMax + 10 {
		if _, err := cache.get(t.Context(), "123456789012", "r"+string(rune('a'+i%26))+time.Duration(i).String()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(cache.entries.entries); n > roleCacheMax {
		t.Errorf("%d entries, want at most %d", n, roleCacheMax)
	}
}

// A name that folds to a registered role's only under Unicode rules (the Kelvin sign
// K) is another name to the stores, and must not share its cache entry.
func TestRoleCacheFoldsASCIIOnly(t *testing.T) {
	store := openStore(t)
	cache := newRoleCache(store, time.Now)
	if err := store.CreateRole(t.Context(), testRole("kadmin")); err != nil {
		t.Fatal(err)
	}
	if r, err := cache.get(t.Context(), "123456789012", "\u212Aadmin"); r != nil || err != nil {
		t.Fatalf("the Kelvin-sign name found %+v, %v", r, err)
	}
	if r, err := cache.get(t.Context(), "123456789012", "KADMIN"); r == nil || err != nil {
		t.Fatalf("the registered role is not found after a lookup of a look-alike name: %v", err)
	}
}
