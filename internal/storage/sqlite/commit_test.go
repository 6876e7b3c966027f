package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/idpool/idpool/internal/storage"
)

// blockWriter occupies the committer with a write that waits for release, so that the
// writes the test sends meanwhile queue up and go into one batch.
func blockWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.UpdateIdentities(context.Background(), func(storage.IdentityTx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("blocking write: %v", err)
		}
	}
}

// queued waits until n writers are blocked sending to the committer.
func queued(t *testing.T, n int, send func(i int)) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { send(i) })
	}
	return &wg
}

func newIdentity(poolID string, login string) *storage.Identity {
	id := &storage.Identity{PoolID: poolID, ID: "us-east-1:" + login}
	if login != "" {
		id.Logins = []storage.Login{{Provider: "p", Subject: login}}
	}
	return id
}

// A write that fails inside a batch rolls back its own changes only; the others of the
// batch commit.
func TestBatchFailureIsolated(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool := testPool("us-east-1:00000000-0000-0000-0000-000000000001")
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	before := s.commits.Load()
	release := blockWriter(t, s)
	const n = 10
	errs := make([]error, n)
	boom := errors.New("boom")
	wg := queued(t, n, func(i int) {
		errs[i] = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if err := tx.Put(ctx, newIdentity(pool.ID, fmt.Sprint("user-", i))); err != nil {
				return err
			}
			if i%3 == 0 {
				return boom // after writing: the write must be undone
			}
			return nil
		})
	})
	waitQueued(t, s, n)
	release()
	wg.Wait()
	for i, err := range errs {
		_, gerr := s.GetIdentity(ctx, "us-east-1:"+fmt.Sprint("user-", i))
		if i%3 == 0 {
			if !errors.Is(err, boom) || !errors.Is(gerr, storage.ErrNotFound) {
				t.Errorf("write %d: %v, identity %v; want boom and no identity", i, err, gerr)
			}
		} else if err != nil || gerr != nil {
			t.Errorf("write %d: %v, identity %v; want it committed", i, err, gerr)
		}
	}
	// Ten writes queued behind one: they share commits. (Not necessarily one: a writer
	// counted as waiting may not have reached the channel when the committer drains it.)
	if c := s.commits.Load() - before; c > 1+n/2 {
		t.Errorf("%d commits for a blocked write and %d queued ones", c, n)
	}
}

// waitQueued waits until n writes wait for the committer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for s.waiting.Load() < int64(n) {
		runtime.Gosched()
	}
}

// A panic in one write of a batch reaches its caller; the others commit, and the store
// keeps working.
func TestBatchPanicIsolated(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool := testPool("us-east-1:00000000-0000-0000-0000-000000000002")
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	release := blockWriter(t, s)
	var panicked any
	errs := make([]error, 3)
	wg := queued(t, 3, func(i int) {
		defer func() {
			if p := recover(); p != nil {
				panicked = p
			}
		}()
		errs[i] = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			if err := tx.Put(ctx, newIdentity(pool.ID, fmt.Sprint("p-", i))); err != nil {
				return err
			}
			if i == 1 {
				panic("updater bug")
			}
			return nil
		})
	})
	waitQueued(t, s, 3)
	release()
	wg.Wait()
	if panicked != "updater bug" {
		t.Errorf("panic %v reached the caller, want the updater's", panicked)
	}
	for _, i := range []int{0, 2} {
		if _, err := s.GetIdentity(ctx, "us-east-1:"+fmt.Sprint("p-", i)); err != nil || errs[i] != nil {
			t.Errorf("write %d beside the panic: %v %v", i, errs[i], err)
		}
	}
	if _, err := s.GetIdentity(ctx, "us-east-1:p-1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the panicking write was kept: %v", err)
	}
	if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Put(ctx, newIdentity(pool.ID, "after")) }); err != nil {
		t.Errorf("write after the panic: %v", err)
	}
}

// A write whose context ends while it waits is not run.
func TestQueuedWriteCancelled(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	release := blockWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	errc := make(chan error, 1)
	go func() {
		errc <- s.UpdateIdentities(ctx, func(storage.IdentityTx) error { ran = true; return nil })
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v", err)
	}
	release()
	if ran {
		t.Error("the cancelled write ran")
	}
}

// Writes after Close fail; Close waits for the batch in progress.
func TestWriteAfterClose(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "idpool.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.UpdateIdentities(t.Context(), func(storage.IdentityTx) error { return nil })
	if !errors.Is(err, errClosed) {
		t.Errorf("write after Close: %v", err)
	}
}

// Concurrent writers share commits: the point of the committer.
func TestConcurrentWritesShareCommits(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool := testPool("us-east-1:00000000-0000-0000-0000-000000000003")
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	before := s.commits.Load()
	release := blockWriter(t, s)
	const n = 64
	wg := queued(t, n, func(i int) {
		if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			return tx.Put(ctx, newIdentity(pool.ID, fmt.Sprint("c-", i)))
		}); err != nil {
			t.Error(err)
		}
	})
	waitQueued(t, s, n)
	release()
	wg.Wait()
	ids, err := s.ListIdentities(ctx, pool.ID, "", 0, false)
	if err != nil || len(ids) != n {
		t.Fatalf("%d identities, %v", len(ids), err)
	}
	// One for the blocked write and one for the batch; a writer counted as waiting may not
	// have reached the channel when the committer drains it, and then commits apart.
	if c := s.commits.Load() - before; c < 2 || c > 4 {
		t.Errorf("%d commits for a blocked write and %d queued ones, want 2 (at most 4)", c, n)
	}
}

// A batch whose writes all succeed runs each of them once, in one transaction.
func TestBatchRunsOnceWhenAllSucceed(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	pool := testPool("us-east-1:00000000-0000-0000-0000-000000000004")
	if err := s.CreatePool(ctx, pool, 0); err != nil {
		t.Fatal(err)
	}
	before := s.commits.Load()
	release := blockWriter(t, s)
	const n = 8
	var runs [n]atomic.Int32
	wg := queued(t, n, func(i int) {
		if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
			runs[i].Add(1)
			return tx.Put(ctx, newIdentity(pool.ID, fmt.Sprint("once-", i)))
		}); err != nil {
			t.Error(err)
		}
	})
	waitQueued(t, s, n)
	release()
	wg.Wait()
	for i := range runs {
		if r := runs[i].Load(); r != 1 {
			t.Errorf("write %d ran %d times", i, r)
		}
	}
	if c := s.commits.Load() - before; c > 1+n/2 {
		t.Errorf("%d transactions for a blocked write and %d queued ones", c, n)
	}
}

// A write that must not run twice (an import) runs once even when another write of its
// batch fails and the batch runs again.
func TestWriteOnceNotRepeated(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	ctx := t.Context()
	release := blockWriter(t, s)
	var onceRuns, otherRuns atomic.Int32
	boom := errors.New("boom")
	wg := queued(t, 2, func(i int) {
		if i == 0 {
			if err := s.writeOnce(ctx, func(context.Context, *sql.Tx) error { onceRuns.Add(1); return nil }); err != nil {
				t.Error(err)
			}
			return
		}
		if err := s.write(ctx, func(context.Context, *sql.Tx) error { otherRuns.Add(1); return boom }); !errors.Is(err, boom) {
			t.Errorf("failing write: %v", err)
		}
	})
	waitQueued(t, s, 2)
	release()
	wg.Wait()
	if r := onceRuns.Load(); r != 1 {
		t.Errorf("the write-once fn ran %d times", r)
	}
	if r := otherRuns.Load(); r < 1 || r > 2 {
		t.Errorf("the failing fn ran %d times", r)
	}
}
