package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	exportRoles     = `SELECT ` + roleColumns + ` FROM iam_roles ORDER BY account_id, name COLLATE BINARY`
	exportProviders = `SELECT ` + providerColumns + ` FROM iam_providers ORDER BY account_id, kind, arn`
	exportPools     = `SELECT ` + poolColumns + ` FROM identity_pools ORDER BY id`
	// exportIdentities streams a pool's identities with their logins, one row a login,
	// from the (pool_id, id) index: no sort of the whole pool.
	exportIdentities = `SELECT i.id, i.pool_id, i.disabled, i.logins_nil, i.created_at, i.updated_at, l.provider, l.subject
		FROM identities AS i LEFT JOIN logins AS l ON l.identity_id = i.id
		WHERE i.pool_id = ? ORDER BY i.id, l.position`
	exportSessions = `SELECT ` + sessionColumns + ` FROM sessions ORDER BY access_key_id`
	// storeIsEmpty is 1 when nothing Import would write exists yet.
	storeIsEmpty = `SELECT NOT (EXISTS (SELECT 1 FROM signing_keys) OR EXISTS (SELECT 1 FROM iam_roles)
		OR EXISTS (SELECT 1 FROM iam_providers) OR EXISTS (SELECT 1 FROM identity_pools)
		OR EXISTS (SELECT 1 FROM sessions))`
)

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
		r, err := scanRole(rows, "")
		if err != nil {
			return err
		}
		return fn(storage.Record{Role: r})
	}); err != nil {
		return err
	}
	if err := eachRow(ctx, tx, exportProviders, func(rows *sql.Rows) error {
		p, err := scanProvider(rows, "")
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
		p, err := scanPool(rows, "", nil)
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
	if err := eachRow(ctx, tx, exportSessions, func(rows *sql.Rows) error {
		sess, err := scanSession(rows, "")
		if err != nil {
			return err
		}
		return fn(storage.Record{Session: sess})
	}); err != nil {
		return err
	}
	return tx.Commit()
}

// exportPoolIdentities streams one pool's identities, handing each to fn once its last
// login row has been read.
func exportPoolIdentities(ctx context.Context, tx *sql.Tx, poolID string, fn func(storage.Record) error) error {
	var (
		cur *storage.Identity
		id  string
		r   identityRow
	)
	err := eachRow(ctx, tx, exportIdentities, func(rows *sql.Rows) error {
		if err := rows.Scan(&id, &r.poolID, &r.disabled, &r.noLogin, &r.created, &r.updated, &r.provider, &r.subject); err != nil {
			return fmt.Errorf("sqlite: export identities: %w", err)
		}
		if cur != nil && cur.ID != id {
			if err := fn(storage.Record{Identity: cur}); err != nil {
				return err
			}
			cur = nil
		}
		if cur == nil {
			cur = r.identity(id)
		}
		r.addLogin(cur)
		return nil
	}, poolID)
	if err != nil || cur == nil {
		return err
	}
	return fn(storage.Record{Identity: cur})
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
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var empty bool
		if err := tx.QueryRowContext(ctx, storeIsEmpty).Scan(&empty); err != nil {
			return fmt.Errorf("sqlite: import: %w", err)
		}
		if !empty {
			return fmt.Errorf("sqlite: import into a store that holds data: %w", storage.ErrAlreadyExists)
		}
		itx := &identityTx{s: s, tx: tx, ctx: ctx}
		n := 0
		for r, err := range recs {
			if err != nil {
				return err
			}
			n++
			if err := importRecord(ctx, tx, itx, r); err != nil {
				return fmt.Errorf("sqlite: import record %d: %w", n, err)
			}
		}
		return nil
	})
}

func importRecord(ctx context.Context, tx *sql.Tx, itx *identityTx, r storage.Record) error {
	var err error
	switch r.Kind() {
	case "keys":
		var b []byte
		if b, err = sqlrecord.EncodeKeys(r.Keys); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO signing_keys (id, keys) VALUES (1, ?)`, string(b))
		}
	case "role":
		var tags []byte
		if tags, err = sqlrecord.EncodeTags(r.Role.Tags); err == nil {
			_, err = tx.ExecContext(ctx, insertRole, r.Role.AccountID, r.Role.Name, r.Role.Path, r.Role.ARN, r.Role.RoleID,
				r.Role.AssumeRolePolicyDocument, r.Role.Description, r.Role.MaxSessionDuration, string(tags), sqlrecord.ToMillis(r.Role.CreatedAt))
		}
	case "provider":
		p := r.Provider
		var config []byte
		if config, err = sqlrecord.EncodeProvider(p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO iam_providers (`+providerColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
				p.ARN, p.AccountID, p.Kind, string(config), sqlrecord.ToMillis(p.CreatedAt), sqlrecord.ToMillis(p.UpdatedAt))
		}
	case "pool":
		p := r.Pool
		var config []byte
		if config, err = sqlrecord.EncodePool(p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO identity_pools (`+poolColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				p.ID, p.AccountID, p.Region, p.Name, string(config), sqlrecord.ToMillis(p.CreatedAt), sqlrecord.ToMillis(p.UpdatedAt))
		}
	case "identity":
		// Put checks the pool exists (ErrNotFound) and no login has another owner
		// (ErrConflict). An identity listed twice would replace itself: refuse it.
		if _, err := itx.Identity(ctx, r.Identity.ID); err == nil {
			return fmt.Errorf("identity %s: %w", r.Identity.ID, storage.ErrAlreadyExists)
		}
		return itx.Put(ctx, r.Identity)
	case "session":
		sess := r.Session
		var tags []byte
		if tags, err = sqlrecord.EncodeTags(sess.Tags); err == nil {
			_, err = tx.ExecContext(ctx, insertSession, sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken,
				sess.AccountID, sess.RoleARN, sess.SessionName, sess.IdentityID, sess.PoolID, string(tags),
				sqlrecord.ToMillis(sess.CreatedAt), sqlrecord.ToMillis(sess.Expiry))
		}
	default:
		return errors.New("a record must have exactly one kind")
	}
	if isPrimaryKeyViolation(err) || hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
		return fmt.Errorf("%s listed twice: %w", r.Kind(), storage.ErrAlreadyExists)
	}
	return err
}
