package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	exportRoles     = `SELECT ` + sqlrecord.RoleColumns + ` FROM iam_roles ORDER BY account_id, name COLLATE BINARY`
	exportProviders = `SELECT ` + sqlrecord.ProviderColumns + ` FROM iam_providers ORDER BY account_id, kind, arn`
	exportPools     = `SELECT ` + sqlrecord.PoolColumns + ` FROM identity_pools ORDER BY id`
	// exportIdentities streams a pool's identities with their logins, one row a login,
	// from the (pool_id, id) index: no sort of the whole pool.
	exportIdentities = `SELECT i.id, i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM identities AS i LEFT JOIN logins AS l ON l.identity_id = i.id
		WHERE i.pool_id = ? ORDER BY i.id, l.position`
)

// importInserts store the records of an import but identities, given the arguments of
// sqlrecord.Importer's rows.
var importInserts = map[string]string{
	"keys":     `INSERT INTO signing_keys (id, keys) VALUES (1, ?)`,
	"role":     insertRole,
	"provider": insertProvider,
	"pool":     insertPool,
}

// Export implements storage.Dumper. Its statements run in one read transaction on a
// read connection, so they see one snapshot of the write-ahead log while writes go on.
func (s *Store) Export(ctx context.Context, fn func(storage.Record) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: export: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to lose

	keys, err := readKeys(tx.QueryRowContext(ctx, selectKeys))
	if err != nil {
		return err
	}
	if keys != nil {
		k, err := decodeKeys(keys)
		if err != nil {
			return err
		}
		if err := fn(storage.Record{Keys: k}); err != nil {
			return err
		}
	}
	if err := eachRow(ctx, tx, exportRoles, func(rows *sql.Rows) error {
		r, err := scanRecord(rows, new(sqlrecord.RoleRow), "")
		if err != nil {
			return err
		}
		return fn(storage.Record{Role: r})
	}); err != nil {
		return err
	}
	if err := eachRow(ctx, tx, exportProviders, func(rows *sql.Rows) error {
		p, err := scanRecord(rows, new(sqlrecord.ProviderRow), "")
		if err != nil {
			return err
		}
		return fn(storage.Record{Provider: p})
	}); err != nil {
		return err
	}
	// Pools are few (a quota per account); they are read whole so that each pool's
	// identities can be streamed after it on the same connection.
	var pools []*storage.Pool
	if err := eachRow(ctx, tx, exportPools, func(rows *sql.Rows) error {
		p, err := scanRecord(rows, new(sqlrecord.PoolRow), "")
		pools = append(pools, p)
		return err
	}); err != nil {
		return err
	}
	for _, p := range pools {
		if err := fn(storage.Record{Pool: p}); err != nil {
			return err
		}
		if err := exportPoolIdentities(ctx, tx, p.ID, fn); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// exportPoolIdentities streams one pool's identities, handing each to fn once its last
// login row has been read.
func exportPoolIdentities(ctx context.Context, tx *sql.Tx, poolID string, fn func(storage.Record) error) error {
	var (
		a  sqlrecord.IdentityAssembler
		id string
		r  identityRow
	)
	err := eachRow(ctx, tx, exportIdentities, func(rows *sql.Rows) error {
		if err := r.scan(rows, &id); err != nil {
			return fmt.Errorf("sqlite: export identities: %w", err)
		}
		if done := r.addTo(&a, id); done != nil {
			return fn(storage.Record{Identity: done})
		}
		return nil
	}, poolID)
	if last := a.Flush(); err == nil && last != nil {
		err = fn(storage.Record{Identity: last})
	}
	return err
}

// eachRow runs query in tx and calls fn for every row.
func eachRow(ctx context.Context, tx *sql.Tx, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: export: %w", err)
	}
	return nil
}

// Import implements storage.Dumper: every record in one write transaction, so that a
// failure part way leaves the store as empty as it was.
func (s *Store) Import(ctx context.Context, recs iter.Seq2[storage.Record, error]) error {
	// The write's own context does not end with ctx (commit.go), so the loop checks ctx
	// itself: an interrupted import rolls back instead of running to its end.
	// writeOnce: recs may be readable only once.
	return s.writeOnce(ctx, func(wctx context.Context, tx *sql.Tx) error {
		var empty bool
		if err := tx.QueryRowContext(wctx, sqlrecord.StoreIsEmpty).Scan(&empty); err != nil {
			return fmt.Errorf("sqlite: import: %w", err)
		}
		if !empty {
			return fmt.Errorf("sqlite: %w", sqlrecord.ErrNotEmpty)
		}
		var (
			im  sqlrecord.Importer
			itx = &identityTx{s: s, tx: tx, ctx: wctx}
			n   = 0
		)
		for r, err := range recs {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sqlite: import: %w", err)
			}
			n++
			if err := importRecord(wctx, tx, itx, &im, r); err != nil {
				return fmt.Errorf("sqlite: import record %d: %w", n, err)
			}
		}
		return nil
	})
}

func importRecord(ctx context.Context, tx *sql.Tx, itx *identityTx, im *sqlrecord.Importer, r storage.Record) error {
	row, err := im.Row(r)
	if err != nil {
		return err
	}
	if row.Kind == "identity" {
		// put checks that no login has another owner (ErrConflict), and without replace
		// refuses an identity listed twice instead of replacing it.
		return itx.put(r.Identity, false)
	}
	_, err = tx.ExecContext(ctx, importInserts[row.Kind], row.Args...)
	if isPrimaryKeyViolation(err) || hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
		return fmt.Errorf("%s listed twice: %w", row.Kind, storage.ErrAlreadyExists)
	}
	return err
}
