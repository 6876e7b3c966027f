package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

// Options tunes the backend. The zero value is the durable default.
type Options struct {
	// Synchronous is SQLite's PRAGMA synchronous. "FULL" (the default) and "EXTRA" make a
	// commit wait for fsync of the write-ahead log, so an acknowledged write survives
	// kill -9 and power loss. "NORMAL" survives kill -9 but may lose the last commits on
	// power loss; "OFF" is for throwaway databases.
	Synchronous string
	// BusyTimeout bounds how long a statement waits for a lock held outside this Store:
	// another process on the same file, or a checkpoint. Writers inside one Store queue on
	// the writer connection instead and never see SQLITE_BUSY. Default 5s.
	BusyTimeout time.Duration
	// MaxReadConns caps the read connections. Default max(4, GOMAXPROCS).
	MaxReadConns int
}

// Store is the SQLite backend. It is safe for concurrent use.
type Store struct {
	// w is the only connection that writes. SQLite allows one writer at a time; funnelling
	// every write transaction through one connection makes concurrent writers wait their
	// turn in database/sql's queue (honouring their contexts) instead of failing with
	// SQLITE_BUSY or spinning on busy_timeout. Its transactions begin IMMEDIATE, so the
	// read in a read-modify-write already holds the write lock.
	w *sql.DB
	// r serves single-statement reads, which WAL lets run alongside the writer.
	r *sql.DB
	// The read statements of the hot paths are prepared once, on r: GetPool and
	// GetPoolByID, GetIdentity and FindLogin run on every GetId and credentials request,
	// and parsing the SQL each time was a quarter of GetPool's cost. GetProvider runs on
	// every login through an OpenID Connect or SAML provider. GetRole runs on every
	// credentials request for a role whose trust policy idpool enforces.
	getPool, getAnyPool, getIdentity, findLogin, getProvider, getRole *sql.Stmt
	// The statements of UpdateIdentities are prepared once on w and bound to each
	// transaction once (Store.stmt), which reuses the writer connection's prepared
	// statement instead of parsing again.
	txGetIdentity, txOwnerOf, txInsertIdentity, txUpdateIdentity, txDeleteLogins, txInsertLogin, txDeleteIdentity *sql.Stmt
	// The savepoint statements run around each write of a batch in which one failed
	// (commit.go).
	savepoint, rollbackTo, release *sql.Stmt
	// bound holds the statements above bound to boundTx, the committer's current
	// transaction (stmt); only the committer goroutine touches them.
	bound   map[*sql.Stmt]*sql.Stmt
	boundTx *sql.Tx

	// writes carries write requests to the committer goroutine (commit.go); closing
	// tells it to stop, and it closes committerDone when it has.
	writes        chan *writeReq
	closing       chan struct{}
	committerDone chan struct{}
	// waiting counts the writes blocked on the committer, commits the transactions it has
	// begun: what the tests read to see batching at work (no metric exports them yet).
	waiting, commits atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

var _ storage.Store = (*Store)(nil)

// Open opens the database file at path, creating it (and its directory) when missing, and
// brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	syncMode := strings.ToUpper(opts.Synchronous)
	switch syncMode {
	case "":
		syncMode = "FULL"
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite: unknown Synchronous %q (want FULL, EXTRA, NORMAL or OFF)", opts.Synchronous)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	readers := opts.MaxReadConns
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := createFile(abs); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}

	// Pragmas go in the DSN so that database/sql applies them to every connection it opens,
	// including ones it reopens later; a PRAGMA run once after Open would reach only one.
	// busy_timeout is applied first by the driver, before the others may need a lock.
	base := url.Values{"_pragma": {
		fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()),
		"foreign_keys(1)",
		"journal_mode(WAL)",
		"synchronous(" + syncMode + ")",
	}}
	// A file: URI, so that any '?' or '%' in the path is taken literally.
	name := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?"

	wq := cloneValues(base)
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", name+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{w: w, writes: make(chan *writeReq), closing: make(chan struct{}), committerDone: make(chan struct{}),
		bound: make(map[*sql.Stmt]*sql.Stmt)}
	// The writer opens first: it converts the file to WAL and creates the schema before any
	// reader could see a half-initialised database.
	if err := s.init(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}

	// query_only turns an accidental write through the read pool, which would bypass the
	// writer queue, into an immediate error.
	rq := cloneValues(base)
	rq.Set("_query_only", "1")
	r, err := sql.Open("sqlite", name+rq.Encode())
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r = r
	go s.commitLoop()
	if err := s.prepare(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	return s, nil
}

// stmtSpec is a statement the Store prepares: where it goes, the pool it runs on, its SQL.
type stmtSpec struct {
	dst   **sql.Stmt
	db    *sql.DB
	query string
}

// statements lists every statement the Store prepares at Open and closes at Close.
func (s *Store) statements() []stmtSpec {
	return []stmtSpec{
		{&s.getPool, s.r, selectPoolByID},
		{&s.getAnyPool, s.r, selectAnyPool},
		{&s.getIdentity, s.r, selectIdentity},
		{&s.findLogin, s.r, selectOwner},
		{&s.getProvider, s.r, selectProvider},
		{&s.getRole, s.r, selectRole},
		{&s.txGetIdentity, s.w, selectIdentity},
		{&s.txOwnerOf, s.w, selectOwner},
		{&s.txInsertIdentity, s.w, insertIdentity},
		{&s.txUpdateIdentity, s.w, updateIdentity},
		{&s.txDeleteLogins, s.w, deleteLogins},
		{&s.txInsertLogin, s.w, insertLogin},
		{&s.txDeleteIdentity, s.w, deleteIdentity},
		{&s.savepoint, s.w, `SAVEPOINT w`},
		{&s.rollbackTo, s.w, `ROLLBACK TO w`},
		{&s.release, s.w, `RELEASE w`},
	}
}

func (s *Store) prepare(ctx context.Context) error {
	for _, st := range s.statements() {
		stmt, err := st.db.PrepareContext(ctx, st.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", st.query, err)
		}
		*st.dst = stmt
	}
	return nil
}

func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	// SQLite silently stays in its old journal mode where WAL is impossible (some network
	// file systems); the single-writer-plus-readers design relies on WAL, so fail loudly.
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, not wal (is the file on a file system without shared memory support?)", mode)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	_, err = migrate(ctx, s.w, ms)
	return err
}

// createFile creates the database file with mode 0600 and its directory with 0700 when
// they are missing: the file holds every pool's configuration and, later, identities and
// keys, and SQLite would otherwise create it world-readable (0644 less umask). SQLite gives
// the -wal and -shm files the mode of the database file. Existing files are left as they
// are, so an operator's deliberate choice survives a restart.
func createFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Make the new directory entry durable too, or a power loss right after the first
	// acknowledged write could lose the whole file.
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return err
	}
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Ping checks both the read pool and the writer, so that /readyz fails when either is
// unusable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes every connection; closing the last one checkpoints the write-ahead log
// into the database file. Later calls of Close return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// Writes in flight finish (the committer answers the batch it holds); later ones
		// fail with errClosed.
		close(s.closing)
		<-s.committerDone
		var errs []error
		for _, st := range s.statements() {
			if *st.dst != nil {
				errs = append(errs, (*st.dst).Close())
			}
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		s.closeErr = errors.Join(append(errs, s.w.Close())...)
	})
	return s.closeErr
}

func isPrimaryKeyViolation(err error) bool { return hasCode(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) }

func isForeignKeyViolation(err error) bool { return hasCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) }

func hasCode(err error, code int) bool {
	if err == nil {
		return false // without errors.As's allocation, on every successful statement
	}
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code() == code
}

// prefixed gives err this backend's prefix. sqlrecord's helpers that also hand back an
// updater func's error as is take it, to prefix only their own errors.
func prefixed(err error) error { return fmt.Errorf("sqlite: %w", err) }

// scanRecord reads a record from row through r, one of sqlrecord's Rows, as
// sqlrecord.ReadRecord does: a missing row is storage.ErrNotFound.
func scanRecord[T any](row sqlrecord.RowScanner, r sqlrecord.Row[T], key string) (*T, error) {
	rec, err := sqlrecord.ReadRecord(row, r, key, sql.ErrNoRows)
	if err != nil {
		return nil, prefixed(err)
	}
	return rec, nil
}

// deleted checks the outcome of a DELETE of one record by its key: storage.ErrNotFound
// when no row matched. kind and key name the record in errors.
func deleted(res sql.Result, err error, kind, key string) error {
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("sqlite: %s %s: %w", kind, key, storage.ErrNotFound)
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete %s %s: %w", kind, key, err)
	}
	return nil
}

// pointRead returns the context for a read of a few rows by key (GetPool, GetPoolByID,
// GetIdentity, FindLogin): ctx without its cancellation, unless it has already ended.
//
// A cancellable context costs each statement two goroutines, one of database/sql's to
// close the rows and one of the driver's to interrupt SQLite, which doubled the time of
// FindLogin; the lookup itself takes microseconds and cannot usefully be interrupted.
// What is lost is cancelling a wait for a free read connection, which only other point
// reads (microseconds) or a ListPools or ListIdentities page can be holding.
func pointRead(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}
