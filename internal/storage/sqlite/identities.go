package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	// selectIdentity reads an identity and its logins in one statement, so that the two
	// come from one snapshot even outside a transaction. It yields one row per login in link
	// order, or a single row with NULL provider and subject when there is none.
	selectIdentity = `SELECT i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM identities AS i LEFT JOIN logins AS l ON l.identity_id = i.id
		WHERE i.id = ? ORDER BY l.position`
	selectOwner    = `SELECT identity_id FROM logins WHERE pool_id = ? AND provider = ? AND subject = ?`
	insertIdentity = `INSERT INTO identities (id, pool_id, disabled, logins_nil, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	updateIdentity = `UPDATE identities SET pool_id = ?, disabled = ?, logins_nil = ?, created_at = ?, updated_at = ?
		WHERE id = ?`
	deleteLogins   = `DELETE FROM logins WHERE identity_id = ?`
	insertLogin    = `INSERT INTO logins (pool_id, provider, subject, identity_id, position) VALUES (?, ?, ?, ?, ?)`
	deleteIdentity = `DELETE FROM identities WHERE id = ?`

	// listIdentities pages through a pool's identities with their logins. The subquery
	// picks the page from an index in id order; the join then adds the logins.
	listIdentities = `SELECT i.id, i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM (SELECT * FROM identities WHERE pool_id = ? AND id > ? ORDER BY id LIMIT ?) AS i
		LEFT JOIN logins AS l ON l.identity_id = i.id
		ORDER BY i.id, l.position`
	// listEnabledIdentities is listIdentities for hideDisabled. The literal "disabled = 0"
	// is what lets SQLite use the partial index identities_pool_id_enabled.
	listEnabledIdentities = `SELECT i.id, i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM (SELECT * FROM identities WHERE pool_id = ? AND disabled = 0 AND id > ? ORDER BY id LIMIT ?) AS i
		LEFT JOIN logins AS l ON l.identity_id = i.id
		ORDER BY i.id, l.position`
)

// identityRow holds one row of the identity queries (selectIdentity, the lists, the export) as
// database/sql scans it: sqlrecord's columns, and the login columns of the join, NULL on the
// row of an identity without logins.
type identityRow struct {
	sqlrecord.IdentityRow
	provider, subject sql.NullString
}

// scan scans the current row of rows. id is where its first column, i.id, goes, or nil
// for selectIdentity, which leaves it out: the caller knows the ID it looked up, and
// scanning a copy of it for every row would cost an allocation each.
func (r *identityRow) scan(rows *sql.Rows, id *string) error {
	if id == nil {
		return rows.Scan(&r.PoolID, &r.Disabled, &r.LoginsNil, &r.Created, &r.Updated, &r.provider, &r.subject)
	}
	return rows.Scan(id, &r.PoolID, &r.Disabled, &r.LoginsNil, &r.Created, &r.Updated, &r.provider, &r.subject)
}

// addTo adds the row, of identity id, to a, and returns what a.Add returns.
func (r *identityRow) addTo(a *sqlrecord.IdentityAssembler, id string) *storage.Identity {
	return a.Add(id, &r.IdentityRow, storage.Login{Provider: r.provider.String, Subject: r.subject.String}, r.provider.Valid)
}

// readIdentity reads the rows of selectIdentity. No row is storage.ErrNotFound.
func readIdentity(rows *sql.Rows, err error, identityID string) (*storage.Identity, error) {
	if err != nil {
		return nil, fmt.Errorf("sqlite: read identity %s: %w", identityID, err)
	}
	defer rows.Close()
	var (
		a sqlrecord.IdentityAssembler
		r identityRow
	)
	for rows.Next() {
		if err := r.scan(rows, nil); err != nil {
			return nil, fmt.Errorf("sqlite: read identity %s: %w", identityID, err)
		}
		r.addTo(&a, identityID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read identity %s: %w", identityID, err)
	}
	ident := a.Flush()
	if ident == nil {
		return nil, fmt.Errorf("sqlite: identity %s: %w", identityID, storage.ErrNotFound)
	}
	return ident, nil
}

func readOwner(row *sql.Row, poolID, provider, subject string) (string, error) {
	var id string
	err := row.Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: login %s/%s in pool %s: %w", provider, subject, poolID, storage.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: find login in pool %s: %w", poolID, err)
	}
	return id, nil
}

// GetIdentity implements storage.IdentityStore with a statement prepared at Open: it runs
// on every GetCredentialsForIdentity.
func (s *Store) GetIdentity(ctx context.Context, identityID string) (*storage.Identity, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read identity %s: %w", identityID, err)
	}
	rows, err := s.getIdentity.QueryContext(ctx, identityID)
	return readIdentity(rows, err, identityID)
}

// FindLogin implements storage.IdentityStore with a statement prepared at Open: it runs on
// every GetId of a known login. It is one lookup in the logins table's primary key, which
// holds identity_id.
func (s *Store) FindLogin(ctx context.Context, poolID, provider, subject string) (string, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return "", fmt.Errorf("sqlite: find login in pool %s: %w", poolID, err)
	}
	return readOwner(s.findLogin.QueryRowContext(ctx, poolID, provider, subject), poolID, provider, subject)
}

// ListIdentities implements storage.IdentityStore. A limit of zero or less means no limit.
// Identities and logins come from one statement, so one snapshot.
func (s *Store) ListIdentities(ctx context.Context, poolID, afterID string, limit int, hideDisabled bool) ([]*storage.Identity, error) {
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	q := listIdentities
	if hideDisabled {
		q = listEnabledIdentities
	}
	rows, err := s.r.QueryContext(ctx, q, poolID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list identities: %w", err)
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
			return nil, fmt.Errorf("sqlite: list identities: %w", err)
		}
		if done := r.addTo(&a, id); done != nil {
			out = append(out, done)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list identities: %w", err)
	}
	if last := a.Flush(); last != nil {
		out = append(out, last)
	}
	return out, nil
}

// UpdateIdentities implements storage.IdentityStore. fn runs inside one IMMEDIATE
// transaction on the writer connection, like UpdatePool's updater: every other write of
// this Store waits for it, so it must not block or call back into the Store. Nothing fn
// reads can change under it (the write lock is held from BEGIN), but fn runs a second
// time when another write of its batch fails (commit.go). A panic in fn rolls back its
// writes, and only its own, and goes on in the caller's goroutine.
func (s *Store) UpdateIdentities(ctx context.Context, fn func(tx storage.IdentityTx) error) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		itx := &identityTx{s: s, tx: tx, ctx: ctx}
		defer func() { itx.done = true }()
		return fn(itx)
	})
}

// identityTx is the storage.IdentityTx of one UpdateIdentities call. Its methods run the
// writer's prepared statements bound to tx; once fn has returned, they fail with
// sql.ErrTxDone (the transaction itself may still be running other callers' writes).
//
// Its statements run with the transaction's context, not the one each method is given:
// the transaction may hold other callers' writes too (commit.go), and a cancelled
// statement would make SQLite roll the whole of it back.
type identityTx struct {
	s    *Store
	tx   *sql.Tx
	ctx  context.Context
	done bool
}

func (t *identityTx) Identity(_ context.Context, identityID string) (*storage.Identity, error) {
	if t.done {
		return nil, sql.ErrTxDone
	}
	rows, err := t.s.stmt(t.tx, t.s.txGetIdentity).QueryContext(t.ctx, identityID)
	return readIdentity(rows, err, identityID)
}

func (t *identityTx) OwnerOf(_ context.Context, poolID, provider, subject string) (string, error) {
	if t.done {
		return "", sql.ErrTxDone
	}
	return readOwner(t.s.stmt(t.tx, t.s.txOwnerOf).QueryRowContext(t.ctx, poolID, provider, subject), poolID, provider, subject)
}

// Put replaces the identity row and its logins. Every refusal (a repeated login, a login
// of another identity, a missing pool) is found before anything is written or by a
// statement that undoes itself, so a refused Put has changed nothing even if fn goes on
// and commits; only a failure of the database itself midway could leave part of it.
func (t *identityTx) Put(_ context.Context, ident *storage.Identity) error {
	return t.put(ident, true)
}

// put is Put; without replace, an existing identity is ErrAlreadyExists (Import).
func (t *identityTx) put(ident *storage.Identity, replace bool) error {
	if t.done {
		return sql.ErrTxDone
	}
	if ident == nil {
		return errors.New("sqlite: Put: nil identity")
	}
	id := ident.ID
	if l, ok := sqlrecord.RepeatedLogin(ident); ok {
		return fmt.Errorf("sqlite: identity %s lists login %s/%s twice", id, l.Provider, l.Subject)
	}
	// An import (!replace) leaves a login of another identity to the logins' primary key
	// below: any failure aborts it whole, so the lookup per login would buy nothing.
	if len(ident.Logins) > 0 && replace {
		owner := t.s.stmt(t.tx, t.s.txOwnerOf)
		for _, l := range ident.Logins {
			var other string
			err := owner.QueryRowContext(t.ctx, ident.PoolID, l.Provider, l.Subject).Scan(&other)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("sqlite: put identity %s: %w", id, err)
			case other != id:
				return fmt.Errorf("sqlite: login %s/%s belongs to identity %s: %w", l.Provider, l.Subject, other, storage.ErrConflict)
			}
		}
	}

	// Insert first: most Puts are of new identities (every unauthenticated GetId), which
	// have no logins to clear. A failed INSERT undoes only itself, so an existing identity
	// is then updated and its logins replaced.
	created, updated := sqlrecord.ToMillis(ident.CreatedAt), sqlrecord.ToMillis(ident.UpdatedAt)
	_, err := t.s.stmt(t.tx, t.s.txInsertIdentity).ExecContext(t.ctx,
		id, ident.PoolID, ident.Disabled, ident.Logins == nil, created, updated)
	if isPrimaryKeyViolation(err) && !replace {
		return fmt.Errorf("identity %s: %w", id, storage.ErrAlreadyExists)
	}
	if isPrimaryKeyViolation(err) {
		_, err = t.s.stmt(t.tx, t.s.txUpdateIdentity).ExecContext(t.ctx,
			ident.PoolID, ident.Disabled, ident.Logins == nil, created, updated, id)
		if err == nil {
			_, err = t.s.stmt(t.tx, t.s.txDeleteLogins).ExecContext(t.ctx, id)
		}
	}
	if isForeignKeyViolation(err) {
		return fmt.Errorf("sqlite: pool %s of identity %s: %w", ident.PoolID, id, storage.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put identity %s: %w", id, err)
	}
	if len(ident.Logins) > 0 {
		insert := t.s.stmt(t.tx, t.s.txInsertLogin)
		for i, l := range ident.Logins {
			_, err := insert.ExecContext(t.ctx, ident.PoolID, l.Provider, l.Subject, id, i)
			if isPrimaryKeyViolation(err) { // an import's check; for Put a backstop behind the lookups above
				return fmt.Errorf("sqlite: login %s/%s of identity %s: %w", l.Provider, l.Subject, id, storage.ErrConflict)
			}
			if err != nil {
				return fmt.Errorf("sqlite: put identity %s: %w", id, err)
			}
		}
	}
	return nil
}

func (t *identityTx) Delete(_ context.Context, identityID string) error {
	if t.done {
		return sql.ErrTxDone
	}
	res, err := t.s.stmt(t.tx, t.s.txDeleteIdentity).ExecContext(t.ctx, identityID)
	return deleted(res, err, "identity", identityID)
}
