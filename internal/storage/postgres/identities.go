package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	// selectIdentity reads an identity and its logins in one statement, so one round trip
	// and one snapshot. It yields one row per login in link order, or a single row with
	// NULL provider and subject when there is none.
	selectIdentity = `SELECT i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM identities AS i LEFT JOIN logins AS l ON l.identity_id = i.id
		WHERE i.id = $1 ORDER BY l.position`
	// selectIdentityForUpdate is selectIdentity inside UpdateIdentities: it locks the
	// identity's row, because what a transaction reads there it almost always writes
	// back. Without the lock, two transactions that read the same two identities and
	// write them in opposite orders (a login moving each way) each hold one row and wait
	// for the other's, a deadlock that PostgreSQL resolves only after deadlock_timeout
	// (1 s by default). With it, the second waits at its read for the first to finish,
	// then fails with a serialization failure and runs again.
	selectIdentityForUpdate = selectIdentity + ` FOR UPDATE OF i`
	selectOwner             = `SELECT identity_id FROM logins WHERE pool_id = $1 AND provider = $2 AND subject = $3`

	// poolExists is Put's check that the identity's pool exists.
	poolExists     = `SELECT EXISTS (SELECT 1 FROM identity_pools WHERE id = $1)`
	upsertIdentity = `INSERT INTO identities (id, pool_id, disabled, logins_nil, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET pool_id = excluded.pool_id, disabled = excluded.disabled,
			logins_nil = excluded.logins_nil, created_at = excluded.created_at, updated_at = excluded.updated_at`
	deleteLogins = `DELETE FROM logins WHERE identity_id = $1`
	// insertLogins inserts every login of an identity from two arrays, in link order.
	insertLogins = `INSERT INTO logins (pool_id, provider, subject, identity_id, position)
		SELECT $1, n.provider, n.subject, $2, n.ord - 1
		FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS n (provider, subject, ord)`
	deleteIdentity = `DELETE FROM identities WHERE id = $1`

	// listIdentities pages through a pool's identities with their logins. The subquery
	// picks the page from the (pool_id, id) index; the join then adds the logins.
	listIdentities = `SELECT i.id, i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM (SELECT * FROM identities WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3) AS i
		LEFT JOIN logins AS l ON l.identity_id = i.id
		ORDER BY i.id, l.position`
	// listEnabledIdentities is listIdentities for hideDisabled. "NOT disabled" is the
	// predicate of the partial index identities_pool_id_enabled, spelled the same way so
	// that the planner uses it.
	listEnabledIdentities = `SELECT i.id, i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM (SELECT * FROM identities WHERE pool_id = $1 AND NOT disabled AND id > $2 ORDER BY id LIMIT $3) AS i
		LEFT JOIN logins AS l ON l.identity_id = i.id
		ORDER BY i.id, l.position`
)

// identityRow holds one row of the identity queries (selectIdentity, the lists) as
// pgx scans it: sqlrecord's columns, and the login columns of the join, NULL on the
// row of an identity without logins.
type identityRow struct {
	sqlrecord.IdentityRow
	provider, subject pgtype.Text
}

// scan scans the current row of rows. id is where its first column, i.id, goes, or nil
// for selectIdentity, which leaves it out: the caller knows the ID it looked up, and
// scanning a copy of it for every row would cost an allocation each.
func (r *identityRow) scan(rows pgx.Rows, id *string) error {
	if id == nil {
		return rows.Scan(&r.PoolID, &r.Disabled, &r.LoginsNil, &r.Created, &r.Updated, &r.provider, &r.subject)
	}
	return rows.Scan(id, &r.PoolID, &r.Disabled, &r.LoginsNil, &r.Created, &r.Updated, &r.provider, &r.subject)
}

// addTo adds the row, of identity id, to a, and returns what a.Add returns.
func (r *identityRow) addTo(a *sqlrecord.IdentityAssembler, id string) *storage.Identity {
	return a.Add(id, &r.IdentityRow, storage.Login{Provider: r.provider.String, Subject: r.subject.String}, r.provider.Valid)
}

// readIdentity runs selectIdentity or selectIdentityForUpdate on q. No row is
// storage.ErrNotFound.
func readIdentity(ctx context.Context, q querier, sql, identityID string) (*storage.Identity, error) {
	rows, err := q.Query(ctx, sql, identityID)
	if err != nil {
		return nil, fmt.Errorf("postgres: read identity %s: %w", identityID, err)
	}
	defer rows.Close()
	var (
		a sqlrecord.IdentityAssembler
		r identityRow
	)
	for rows.Next() {
		if err := r.scan(rows, nil); err != nil {
			return nil, fmt.Errorf("postgres: read identity %s: %w", identityID, err)
		}
		r.addTo(&a, identityID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read identity %s: %w", identityID, err)
	}
	ident := a.Flush()
	if ident == nil {
		return nil, fmt.Errorf("postgres: identity %s: %w", identityID, storage.ErrNotFound)
	}
	return ident, nil
}

// readOwner runs selectOwner on q.
func readOwner(ctx context.Context, q querier, poolID, provider, subject string) (string, error) {
	var id string
	err := q.QueryRow(ctx, selectOwner, poolID, provider, subject).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: login %s/%s in pool %s: %w", provider, subject, poolID, storage.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: find login in pool %s: %w", poolID, err)
	}
	return id, nil
}

// queryIdentities runs listIdentities or listEnabledIdentities on q.
func queryIdentities(ctx context.Context, q querier, sql string, args ...any) ([]*storage.Identity, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list identities: %w", err)
	}
	defer rows.Close()
	var (
		out []*storage.Identity
		a   sqlrecord.IdentityAssembler
		id  string
		r   identityRow
	)
	for rows.Next() {
		if err := r.scan(rows, &id); err != nil {
			return nil, fmt.Errorf("postgres: list identities: %w", err)
		}
		if done := r.addTo(&a, id); done != nil {
			out = append(out, done)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list identities: %w", err)
	}
	if last := a.Flush(); last != nil {
		out = append(out, last)
	}
	return out, nil
}

// GetIdentity implements storage.IdentityStore: one statement, one round trip.
func (s *Store) GetIdentity(ctx context.Context, identityID string) (*storage.Identity, error) {
	if !storable(identityID) {
		return nil, s.missing("identity " + identityID)
	}
	return readIdentity(ctx, s.pool, selectIdentity, identityID)
}

// FindLogin implements storage.IdentityStore: one lookup in the logins primary key, which
// carries identity_id.
func (s *Store) FindLogin(ctx context.Context, poolID, provider, subject string) (string, error) {
	if !storable(poolID, provider, subject) {
		return "", s.missing("login " + provider + "/" + subject)
	}
	return readOwner(ctx, s.pool, poolID, provider, subject)
}

// ListIdentities implements storage.IdentityStore. A limit of zero or less means no limit.
// Identities and logins come from one statement, so one snapshot.
func (s *Store) ListIdentities(ctx context.Context, poolID, afterID string, limit int, hideDisabled bool) ([]*storage.Identity, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if !storable(poolID) {
		return nil, nil
	}
	q := listIdentities
	if hideDisabled {
		q = listEnabledIdentities
	}
	return queryIdentities(ctx, s.pool, q, poolID, afterKey(afterID), limitArg(limit))
}

// UpdateIdentities implements storage.IdentityStore. fn runs in a SERIALIZABLE
// transaction, which PostgreSQL aborts when a concurrent one would make the pair's
// outcome differ from running them one after the other; the transaction then runs again,
// fn included. fn holds a connection while it runs: it must not block or call back into
// the Store.
func (s *Store) UpdateIdentities(ctx context.Context, fn func(tx storage.IdentityTx) error) error {
	return s.write(ctx, serializable, func(tx pgx.Tx) error {
		itx := &identityTx{tx: tx}
		err := fn(itx)
		if err == nil && itx.failed != nil {
			// fn went on after a statement failed, which aborted the transaction: the commit
			// would only roll back. Report why (a serialization failure is retried).
			return itx.failed
		}
		return err
	})
}

// identityTx is the storage.IdentityTx of one run of an UpdateIdentities fn.
type identityTx struct {
	tx pgx.Tx
	// failed is the first statement error: PostgreSQL aborts the transaction on any, and
	// refuses every later statement.
	failed error
}

// note records err if it is the first statement error, and returns it. A lookup that
// found no row is not one.
func (t *identityTx) note(err error) error {
	if err != nil && t.failed == nil && (pgCode(err) != "" || !errors.Is(err, storage.ErrNotFound)) {
		t.failed = err
	}
	return err
}

func (t *identityTx) Identity(ctx context.Context, identityID string) (*storage.Identity, error) {
	if !storable(identityID) {
		return nil, fmt.Errorf("postgres: identity %s: %w", identityID, storage.ErrNotFound)
	}
	id, err := readIdentity(ctx, t.tx, selectIdentityForUpdate, identityID)
	return id, t.note(err)
}

func (t *identityTx) OwnerOf(ctx context.Context, poolID, provider, subject string) (string, error) {
	if !storable(poolID, provider, subject) {
		return "", fmt.Errorf("postgres: login %s/%s in pool %s: %w", provider, subject, poolID, storage.ErrNotFound)
	}
	id, err := readOwner(ctx, t.tx, poolID, provider, subject)
	return id, t.note(err)
}

// Put replaces the identity row and its logins. Every check that can fail is made by a
// read before the first write, so that a Put that returns ErrConflict or ErrNotFound has
// changed nothing and leaves the transaction usable; the writes then go in one pipelined
// round trip.
func (t *identityTx) Put(ctx context.Context, ident *storage.Identity) error {
	if ident == nil {
		return errors.New("postgres: Put: nil identity")
	}
	id := ident.ID
	if l, ok := sqlrecord.RepeatedLogin(ident); ok {
		return fmt.Errorf("postgres: identity %s lists login %s/%s twice", id, l.Provider, l.Subject)
	}
	providers := make([]string, len(ident.Logins))
	subjects := make([]string, len(ident.Logins))
	for i, l := range ident.Logins {
		providers[i], subjects[i] = l.Provider, l.Subject
	}
	if !storable(ident.PoolID) {
		return fmt.Errorf("postgres: pool %s of identity %s: %w", ident.PoolID, id, storage.ErrNotFound)
	}

	// The checks: one pipeline of a pool lookup and an owner lookup per login, each an
	// equality on a whole primary key, which the planner serves from the index whatever
	// its statistics say.
	check := &pgx.Batch{}
	check.Queue(poolExists, ident.PoolID)
	for _, l := range ident.Logins {
		check.Queue(selectOwner, ident.PoolID, l.Provider, l.Subject)
	}
	var (
		exists   bool
		conflict error
	)
	br := t.tx.SendBatch(ctx, check)
	err := br.QueryRow().Scan(&exists)
	for _, l := range ident.Logins {
		if err != nil {
			break
		}
		var owner string
		switch err = br.QueryRow().Scan(&owner); {
		case errors.Is(err, pgx.ErrNoRows):
			err = nil
		case err == nil && owner != id && conflict == nil:
			conflict = fmt.Errorf("postgres: login %s/%s belongs to identity %s: %w", l.Provider, l.Subject, owner, storage.ErrConflict)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return t.note(fmt.Errorf("postgres: put identity %s: %w", id, err))
	}
	if !exists {
		return fmt.Errorf("postgres: pool %s of identity %s: %w", ident.PoolID, id, storage.ErrNotFound)
	}
	if conflict != nil {
		return conflict
	}

	b := &pgx.Batch{}
	b.Queue(upsertIdentity, id, ident.PoolID, ident.Disabled, ident.Logins == nil,
		sqlrecord.ToMillis(ident.CreatedAt), sqlrecord.ToMillis(ident.UpdatedAt))
	b.Queue(deleteLogins, id)
	if len(ident.Logins) > 0 {
		b.Queue(insertLogins, ident.PoolID, id, providers, subjects)
	}
	br = t.tx.SendBatch(ctx, b)
	for range b.Len() {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	// The checks above make these backstops: they fire only when a concurrent transaction
	// slipped in, and then SERIALIZABLE usually reports a serialization failure instead.
	switch pgCode(err) {
	case "":
		if err != nil {
			return t.note(fmt.Errorf("postgres: put identity %s: %w", id, err))
		}
		return nil
	case codeForeignKeyViolation:
		return t.note(fmt.Errorf("postgres: pool %s of identity %s: %w (%w)", ident.PoolID, id, storage.ErrNotFound, err))
	case codeUniqueViolation:
		return t.note(fmt.Errorf("postgres: a login of identity %s belongs to another: %w (%w)", id, storage.ErrConflict, err))
	}
	return t.note(fmt.Errorf("postgres: put identity %s: %w", id, err))
}

func (t *identityTx) Delete(ctx context.Context, identityID string) error {
	if !storable(identityID) {
		return fmt.Errorf("postgres: identity %s: %w", identityID, storage.ErrNotFound)
	}
	tag, err := t.tx.Exec(ctx, deleteIdentity, identityID)
	if err != nil {
		return t.note(fmt.Errorf("postgres: delete identity %s: %w", identityID, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: identity %s: %w", identityID, storage.ErrNotFound)
	}
	return nil
}
