package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

// Options tunes the backend. The pool's other settings come from the database URL's
// pool_* parameters as pgxpool reads them (pool_min_conns, pool_max_conn_lifetime,
// pool_max_conn_idle_time, ...).
type Options struct {
	// MaxConns caps the pool's connections (--database-max-conns); zero leaves it to the
	// URL's pool_max_conns, else max(8, 4*GOMAXPROCS): most of a request's time is spent
	// waiting on the network, not on a CPU.
	MaxConns int32
	// MaxAttempts bounds how often a transaction is run when PostgreSQL aborts it with a
	// serialization failure or a deadlock, which concurrent writers of the same rows
	// cause routinely at SERIALIZABLE. Default 20.
	MaxAttempts int
}

// Store is the PostgreSQL backend. It is safe for concurrent use, by any number of
// goroutines and of idpool nodes on the same database.
type Store struct {
	pool        *pgxpool.Pool
	maxAttempts int

	// retries counts the transactions run again after a serialization failure or a
	// deadlock; applied is how many migrations this Open applied. Both are for tests.
	retries atomic.Int64
	applied int

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database at databaseURL (a postgres:// URL or a keyword/value
// connection string, as libpq and pgx accept them) and brings its schema up to date. Its
// errors never contain the password.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, redact("postgres: parse the database URL: ", err, databaseURL, "")
	}
	password := cfg.ConnConfig.Password
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !setsMaxConns(databaseURL):
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	if cfg.MinConns > cfg.MaxConns {
		return nil, fmt.Errorf("postgres: pool_min_conns %d is more than the %d connections allowed", cfg.MinConns, cfg.MaxConns)
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 20
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "idpool"
	}

	// The schema is migrated on a connection of its own, closed afterwards: closing it
	// releases the advisory lock even when the unlock could not be sent, and the pool's
	// connections, which cache prepared statements, only ever see the final schema.
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, redact("postgres: connect: ", err, databaseURL, password)
	}
	applied, err := migrate(ctx, conn)
	if cerr := conn.Close(context.WithoutCancel(ctx)); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: close the migration connection: %w", cerr)
	}
	if err != nil {
		return nil, redact("", err, databaseURL, password)
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redact("postgres: ", err, databaseURL, password)
	}
	return &Store{pool: pool, maxAttempts: attempts, applied: applied}, nil
}

// setsMaxConns reports whether the connection string sets pool_max_conns, as a URL
// query parameter or a keyword of the keyword/value form.
func setsMaxConns(connString string) bool {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		return err == nil && u.Query().Has("pool_max_conns")
	}
	return maxConnsKeyword.MatchString(connString)
}

var maxConnsKeyword = regexp.MustCompile(`(^|\s)pool_max_conns\s*=`)

// Ping reports whether the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool's connections once the calls using them have returned them. Later
// calls of any method fail; later calls of Close return nil, as the first one did.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}

var errClosed = errors.New("postgres: store is closed")

// missing returns the error of a lookup by a key that no row can have: PostgreSQL text
// holds neither NUL bytes nor invalid UTF-8, and rejects a parameter holding them instead
// of matching nothing. The answer is ErrNotFound, found without asking the server, or
// errClosed after Close (which must not pass for "not found").
func (s *Store) missing(what string) error {
	if s.closed.Load() {
		return errClosed
	}
	return fmt.Errorf("postgres: %s: %w", what, storage.ErrNotFound)
}

// storable reports whether PostgreSQL text can hold every one of keys.
func storable(keys ...string) bool {
	for _, k := range keys {
		if strings.IndexByte(k, 0) >= 0 || !utf8.ValidString(k) {
			return false
		}
	}
	return true
}

// afterKey turns a keyset cursor into one PostgreSQL accepts. Stored IDs hold no NUL, so
// for every one of them "id > p + \x00 + r" is the same as "id > p": an ID that starts
// with p is longer than p and its next byte is above NUL; any other compares with both
// as it compares with p.
func afterKey(after string) string {
	p, _, _ := strings.Cut(after, "\x00")
	return p
}

// limitArg is a LIMIT parameter: NULL, which PostgreSQL takes as no limit, for a limit of
// zero or less.
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}

// The isolation levels of write transactions. serializable is for transactions whose
// reads decide what they write across rows (UpdateIdentities, CreatePool's quota,
// UpdateKeys' first insert): PostgreSQL then aborts one of two transactions that would
// not have had the same result one after the other, and retry runs it again. Updates
// of one existing row (UpdatePool, UpdateProvider) lock it with SELECT ... FOR UPDATE at
// READ COMMITTED instead, which makes concurrent updaters queue rather than retry, each
// reading the row as the previous one left it.
var (
	serializable  = pgx.TxOptions{IsoLevel: pgx.Serializable}
	readCommitted = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
)

// write runs fn in a transaction with opts and commits it, running the whole
// transaction again when it fails with a serialization failure or a deadlock. An error
// from fn that is not one of those is returned as is.
func (s *Store) write(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return s.retry(ctx, func() error { return s.runTx(ctx, opts, fn) })
}

func (s *Store) runTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// Roll back on every way out, panics from an updater func included. After a commit
	// this does nothing.
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Retry backoff: a random wait between a quarter and one and a quarter of a window that
// doubles from retryBase up to retryCap. The jitter spreads the transactions that
// collided, so that the next round does not collide again.
const (
	retryBase = time.Millisecond
	retryCap  = 100 * time.Millisecond
)

// retry calls op until it returns nil or an error that is not worth retrying, at most
// s.maxAttempts times, waiting a jittered, growing time between attempts.
func (s *Store) retry(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !retryable(err) {
			return err
		}
		if attempt >= s.maxAttempts {
			return fmt.Errorf("postgres: gave up after %d attempts: %w", attempt, err)
		}
		s.retries.Add(1)
		window := min(retryCap, retryBase<<min(attempt-1, 20))
		t := time.NewTimer(window/4 + rand.N(window))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("postgres: %w while waiting to retry after: %v", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// SQLSTATEs the backend acts on.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
)

// retryable reports whether err means the transaction lost a race and running it again
// may succeed: a serialization failure or a deadlock, or a connection that failed before
// the statement was sent.
func retryable(err error) bool {
	switch pgCode(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return pgconn.SafeToRetry(err)
}

// pgCode returns the SQLSTATE of err, or "" when it is not an error from the server.
func pgCode(err error) string {
	if err == nil {
		return ""
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// constraintOf returns the constraint an error from the server names, if any.
func constraintOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

// exec runs one statement in its own transaction (autocommit, READ COMMITTED), retrying
// a deadlock, and returns how many rows it changed. A single INSERT or DELETE needs no
// more: constraints and ON DELETE CASCADE hold at any isolation level.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	err := s.retry(ctx, func() error {
		tag, err := s.pool.Exec(ctx, sql, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// prefixed gives err this backend's prefix. sqlrecord's helpers that also hand back an
// updater func's error as is take it, to prefix only their own errors.
func prefixed(err error) error { return fmt.Errorf("postgres: %w", err) }

// scanRecord reads a record from row through r, one of sqlrecord's Rows, as
// sqlrecord.ReadRecord does: a missing row is storage.ErrNotFound.
func scanRecord[T any](row sqlrecord.RowScanner, r sqlrecord.Row[T], key string) (*T, error) {
	rec, err := sqlrecord.ReadRecord(row, r, key, pgx.ErrNoRows)
	if err != nil {
		return nil, prefixed(err)
	}
	return rec, nil
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// redactedError is an error of Open with every password taken out of its text. It wraps
// nothing but a context error, so that no wrapped error can print the password either.
type redactedError struct {
	msg   string
	cause error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err, prefixed, with the password and anything in connString that looks
// like one replaced by "xxxxx". pgx already redacts connection strings it cannot parse,
// but only as best it can; this is the second line.
func redact(prefix string, err error, connString, password string) error {
	msg := prefix + err.Error()
	for _, secret := range secrets(connString, password) {
		msg = strings.ReplaceAll(msg, secret, "xxxxx")
	}
	re := &redactedError{msg: msg}
	switch {
	case errors.Is(err, context.Canceled):
		re.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		re.cause = context.DeadlineExceeded
	}
	return re
}

var passwordKeyword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// secrets lists what could be a password in connString, longest first so that a longer
// one is replaced before a part of it: the parsed password, and for a string that did not
// parse, every candidate a URL's user info or a password= keyword holds, raw and decoded.
func secrets(connString, password string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
			if d, err := url.PathUnescape(s); err == nil && d != s {
				out = append(out, d)
			}
		}
	}
	add(password)
	if _, rest, ok := strings.Cut(connString, "://"); ok {
		// The user info ends at an '@', which may appear in the password too: take every
		// candidate.
		for i := range len(rest) {
			if rest[i] == '@' {
				if _, pw, ok := strings.Cut(rest[:i], ":"); ok {
					add(pw)
				}
			}
		}
	}
	for _, m := range passwordKeyword.FindAllStringSubmatch(connString, -1) {
		add(m[1])
		add(strings.Trim(m[1], "'"))
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}
