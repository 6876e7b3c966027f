package server

import (
	"errors"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// A pool change made through this node is seen at once; one made elsewhere (a write
// straight to the store stands for another node) within poolCacheTTL.
func TestPoolCache(t *testing.T) {
	store := openStore(t)
	ctx := t.Context()
	clock := &testClock{t: time.Now()}
	local := newCognitoStore(store, clock.now)
	const account, id = "123456789012", "us-east-1:0f2c7d1e-0000-4000-8000-000000000001"
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := local.CreatePool(ctx, &storage.Pool{AccountID: account, Region: "us-east-1", ID: id, Name: "p", CreatedAt: at, UpdatedAt: at}, 0); err != nil {
		t.Fatal(err)
	}
	get := func() *storage.Pool {
		t.Helper()
		p, err := local.GetPoolByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	rename := func(s storage.PoolStore, name string) {
		t.Helper()
		if _, err := s.UpdatePool(ctx, account, id, func(p *storage.Pool) error { p.Name = name; return nil }); err != nil {
			t.Fatal(err)
		}
	}

	get().Name = "changed by a caller"
	if got := get().Name; got != "p" {
		t.Fatalf("a caller's change to a returned pool reached the cache: %q", got)
	}
	rename(local, "local")
	if got := get().Name; got != "local" {
		t.Fatalf("an update through this node is not seen at once: %q", got)
	}
	rename(store, "remote")
	clock.add(poolCacheTTL - time.Millisecond)
	if got := get().Name; got != "local" {
		t.Fatalf("the cached pool was not used within its lifetime: %q", got)
	}
	clock.add(time.Millisecond)
	if got := get().Name; got != "remote" {
		t.Fatalf("an update made elsewhere is not seen after poolCacheTTL: %q", got)
	}
	if err := local.DeletePool(ctx, account, id); err != nil {
		t.Fatal(err)
	}
	if _, err := local.GetPoolByID(ctx, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetPoolByID after a delete through this node = %v, want ErrNotFound", err)
	}
}
