package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Group commit.
//
// Every write of the Store runs on the one writer connection, and with synchronous=FULL
// each commit waits for an fsync of the write-ahead log, far longer than the statements.
// Committing each write on its own would cap the Store at one write per fsync whatever
// the number of clients. Instead a single goroutine takes the writes that queued up while
// the previous commit was syncing and runs them in one transaction, then commits once:
// one fsync for the whole batch. No write is acknowledged before the commit that holds it
// is durable.
//
// A write whose fn fails must leave no trace, and the others of its batch must still
// commit. Savepoints around each write would give that, but they cost: SQLite copies
// every page a write touches into its statement journal once per savepoint, and runs two
// more statements per write. Nearly every batch succeeds whole (new identities of GetId),
// so a batch first runs without them; only when one of its writes fails is the
// transaction rolled back and the batch run again with a savepoint around each write.
// Running a write twice is within the storage contract (every updater may run more than
// once, as a PostgreSQL retry runs it again); a write that cannot (an import reads its
// records once) never shares a transaction without savepoints, so it runs once. A failing
// write thus costs its whole batch a second run; the batch's fsync still dominates.

// maxBatch bounds a batch, so that one commit's latency stays bounded however deep the
// queue gets.
const maxBatch = 128

// writeReq is one write waiting for the committer. The caller owns it until it sends it
// and again once it has received from done.
type writeReq struct {
	fn   func(ctx context.Context, tx *sql.Tx) error
	ctx  context.Context // the caller's, for the check before fn runs
	done chan error      // buffered: the committer never blocks on a caller
	// panicked holds what fn panicked with, re-raised in the caller's goroutine.
	panicked any
	// once marks a fn that must not run twice (writeOnce).
	once bool
}

var reqPool = sync.Pool{New: func() any { return &writeReq{done: make(chan error, 1)} }}

// errClosed is what writes get once Close has begun.
var errClosed = errors.New("sqlite: store closed")

// write runs fn in a write transaction on the writer connection and returns once that
// transaction has committed durably. fn gets a context that carries ctx's values but not
// its cancellation: interrupting a statement inside a shared transaction would roll back
// the other writes of the batch too. ctx still bounds the wait for the committer and is
// checked just before fn runs. An error from fn is returned unchanged, which lets
// UpdatePool hand back its updater's error as is.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.enqueue(ctx, fn, false)
}

// writeOnce is write for a fn that must run at most once, such as one that consumes its
// input as it goes: a batch holding it runs with a savepoint around each write from the
// start (unless it is the batch's only write), never twice.
func (s *Store) writeOnce(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.enqueue(ctx, fn, true)
}

func (s *Store) enqueue(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, once bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := reqPool.Get().(*writeReq)
	req.fn, req.ctx, req.once = fn, ctx, once
	defer func() {
		req.fn, req.ctx, req.panicked = nil, nil, nil
		reqPool.Put(req)
	}()
	s.waiting.Add(1)
	select {
	case s.writes <- req:
		s.waiting.Add(-1)
	case <-ctx.Done():
		s.waiting.Add(-1)
		return ctx.Err()
	case <-s.closing:
		s.waiting.Add(-1)
		return errClosed
	}
	// Once sent, the request is the committer's until it answers, whatever ctx does: fn
	// may be running.
	err := <-req.done
	p := req.panicked
	if p != nil {
		panic(p)
	}
	return err
}

// commitLoop is the committer goroutine. It ends when s.closing is closed, after
// answering every request it has taken.
func (s *Store) commitLoop() {
	defer close(s.committerDone)
	batch := make([]*writeReq, 0, maxBatch)
	errs := make([]error, 0, maxBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.closing:
			return
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		errs = s.commitBatch(batch, errs[:0])
		// The transaction is over: let it and its statements go.
		s.boundTx = nil
		clear(s.bound)
		for i, r := range batch {
			r.done <- errs[i]
			batch[i] = nil
		}
	}
}

// commitBatch runs the batch in one transaction and returns each request's result.
func (s *Store) commitBatch(batch []*writeReq, errs []error) []error {
	if len(batch) == 1 || !slices.ContainsFunc(batch, func(r *writeReq) bool { return r.once }) {
		if out, ok := s.commitTogether(batch, errs); ok {
			return out
		}
		// A write failed, its changes mixed with the others': the transaction has been
		// rolled back. Run the batch again, each write in a savepoint of its own.
		for _, r := range batch {
			r.panicked = nil
		}
	}
	return s.commitIsolated(batch, errs[:0])
}

// failAll returns err as the result of every request of the batch.
func failAll(batch []*writeReq, errs []error, err error) []error {
	errs = errs[:0]
	for range batch {
		errs = append(errs, err)
	}
	return errs
}

// commitTogether runs the batch in one transaction without savepoints. When one of its
// writes fails it rolls the transaction back and, before anything has been committed,
// reports false; unless the batch is that write alone, whose failure is then its answer.
func (s *Store) commitTogether(batch []*writeReq, errs []error) ([]error, bool) {
	s.commits.Add(1)
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return failAll(batch, errs, fmt.Errorf("sqlite: begin: %w", err)), true
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs = append(errs, err) // not run: nothing to undo
			continue
		}
		if err := run(r, tx); err != nil {
			_ = tx.Rollback()
			if len(batch) == 1 {
				return append(errs, err), true
			}
			return errs[:0], false
		}
		errs = append(errs, nil)
	}
	if err := tx.Commit(); err != nil {
		return failAll(batch, errs, fmt.Errorf("sqlite: commit: %w", err)), true
	}
	return errs, true
}

// commitIsolated runs the batch in one transaction, each write inside a savepoint of its
// own, so that a failed write is undone alone.
func (s *Store) commitIsolated(batch []*writeReq, errs []error) []error {
	ctx := context.Background()
	s.commits.Add(1)
	fail := func(err error) []error { return failAll(batch, errs, err) }
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("sqlite: begin: %w", err))
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.stmt(tx, s.savepoint).ExecContext(ctx); err != nil {
			_ = tx.Rollback()
			return fail(fmt.Errorf("sqlite: savepoint: %w", err))
		}
		ferr := run(r, tx)
		if ferr != nil {
			if _, err := s.stmt(tx, s.rollbackTo).ExecContext(ctx); err != nil {
				_ = tx.Rollback()
				return fail(fmt.Errorf("sqlite: rollback to savepoint: %w", err))
			}
		}
		if _, err := s.stmt(tx, s.release).ExecContext(ctx); err != nil {
			_ = tx.Rollback()
			return fail(fmt.Errorf("sqlite: release savepoint: %w", err))
		}
		errs = append(errs, ferr)
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("sqlite: commit: %w", err))
	}
	return errs
}

// stmt returns st bound to tx, binding it once per transaction: Tx.StmtContext allocates
// a new statement on every call, and a batch runs the same few statements for each of its
// writes. Only the committer goroutine calls it (fns run there), so it needs no lock.
func (s *Store) stmt(tx *sql.Tx, st *sql.Stmt) *sql.Stmt {
	if s.boundTx != tx {
		clear(s.bound)
		s.boundTx = tx
	}
	b, ok := s.bound[st]
	if !ok {
		b = tx.Stmt(st)
		s.bound[st] = b
	}
	return b
}

// errPanicked marks a request whose fn panicked; write re-raises the panic.
var errPanicked = errors.New("sqlite: write panicked")

// run calls the request's fn, turning a panic into errPanicked (the savepoint or the
// transaction is then rolled back like any failure) so that the committer survives it.
//
// An fn must return the errors of its statements, or at least those it does not expect:
// after some (SQLITE_FULL, IOERR, NOMEM) SQLite has rolled the whole transaction back,
// and an fn that went on would run its statements, and its batch's next writes, outside
// any transaction. Today's fns swallow only "no row" and a primary-key violation.
func run(r *writeReq, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
			err = errPanicked
		}
	}()
	return r.fn(context.WithoutCancel(r.ctx), tx)
}
