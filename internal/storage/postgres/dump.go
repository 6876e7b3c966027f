package postgres

import (
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	exportRoles     = `SELECT ` + sqlrecord.RoleColumns + ` FROM iam_roles ORDER BY account_id, name`
	exportProviders = `SELECT ` + sqlrecord.ProviderColumns + ` FROM iam_providers ORDER BY account_id, kind, arn`
	exportPools     = `SELECT ` + sqlrecord.PoolColumns + ` FROM identity_pools ORDER BY id`

	// exportPage is how many identities Export holds in memory at a time. Identities are
	// read in keyset pages of the primary key, so that a deployment with millions of them
	// is exported in bounded memory, and an fn that stops the export leaves no half-read
	// result to drain.
	exportPage = 1000

	// lockForImport keeps every other writer out from Import's emptiness check to its
	// commit; readers go on. A concurrent Import waits, then finds the store full.
	lockForImport = `LOCK TABLE signing_keys, iam_roles, iam_providers, identity_pools, identities, logins IN EXCLUSIVE MODE`

	// importBatch is how many rows Import buffers before it writes them: identities and
	// logins go to the server with COPY, the other records as one pipeline of INSERTs.
	importBatch = 10000
)

var (
	identityCopyColumns = []string{"id", "pool_id", "disabled", "logins_nil", "created_at", "updated_at"}
	loginCopyColumns    = []string{"pool_id", "provider", "subject", "identity_id", "position"}

	// importInserts store the records of an import that go in one row by INSERT, given the
	// arguments of sqlrecord.Importer's rows. Identities go by COPY.
	importInserts = map[string]string{
		"keys":     `INSERT INTO signing_keys (id, keys) VALUES (1, $1)`,
		"role":     insertRole,
		"provider": insertProvider,
		"pool":     insertPool,
	}
)

// Export implements storage.Dumper. Every read runs in one REPEATABLE READ READ ONLY
// transaction, so the records are one snapshot however long fn takes; writers go on
// meanwhile.
func (s *Store) Export(ctx context.Context, fn func(storage.Record) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	keys, err := readKeys(tx.QueryRow(ctx, selectKeys))
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
	// Roles and providers are few per account; each is handed to fn as it is read.
	if err := eachRow(ctx, tx, exportRoles, func(rows pgx.Rows) error {
		r, err := scanRecord(rows, new(sqlrecord.RoleRow), "")
		if err != nil {
			return err
		}
		return fn(storage.Record{Role: r})
	}); err != nil {
		return err
	}
	if err := eachRow(ctx, tx, exportProviders, func(rows pgx.Rows) error {
		p, err := scanRecord(rows, new(sqlrecord.ProviderRow), "")
		if err != nil {
			return err
		}
		return fn(storage.Record{Provider: p})
	}); err != nil {
		return err
	}
	// Pools are few (a quota per account); they are read whole so that each pool's
	// identities can be read after it on the same connection.
	var pools []*storage.Pool
	if err := eachRow(ctx, tx, exportPools, func(rows pgx.Rows) error {
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
		for after := ""; ; {
			page, err := queryIdentities(ctx, tx, listIdentities, p.ID, after, exportPage)
			if err != nil {
				return fmt.Errorf("postgres: export: %w", err)
			}
			for _, id := range page {
				if err := fn(storage.Record{Identity: id}); err != nil {
					return err
				}
			}
			if len(page) < exportPage {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	return nil
}

// eachRow runs query in tx and calls fn for every row. An error from fn is returned as
// is.
func eachRow(ctx context.Context, tx pgx.Tx, query string, fn func(pgx.Rows) error) error {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	return nil
}

// Import implements storage.Dumper: every record in one transaction, so that a failure
// part way leaves the store as empty as it was. The tables are locked against other
// writers before the store is checked for emptiness. Import does not run again on a
// serialization failure once it has started reading recs, which may be read only once;
// it runs at READ COMMITTED, where its locks leave no room for one.
func (s *Store) Import(ctx context.Context, recs iter.Seq2[storage.Record, error]) error {
	var tx pgx.Tx
	err := s.retry(ctx, func() error {
		t, err := s.pool.BeginTx(ctx, readCommitted)
		if err != nil {
			return fmt.Errorf("postgres: import: begin: %w", err)
		}
		empty := false
		if _, err = t.Exec(ctx, lockForImport); err == nil {
			err = t.QueryRow(ctx, sqlrecord.StoreIsEmpty).Scan(&empty)
		}
		if err == nil && !empty {
			err = fmt.Errorf("postgres: %w", sqlrecord.ErrNotEmpty)
		} else if err != nil {
			err = fmt.Errorf("postgres: import: %w", err)
		}
		if err != nil {
			_ = t.Rollback(ctx)
			return err
		}
		tx = t
		return nil
	})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()

	im := &importer{tx: tx}
	n := 0
	for r, err := range recs {
		if err != nil {
			return err
		}
		n++
		if err := im.add(r); err != nil {
			return fmt.Errorf("postgres: import record %d: %w", n, err)
		}
		if im.rows >= importBatch {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := im.flush(ctx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: import: commit: %w", err)
	}
	// The tables went from empty to full faster than autovacuum notices: refresh the
	// planner's statistics now, so that the first requests do not run on plans made for
	// empty tables. Best effort: the import has committed, and autovacuum gets there
	// eventually.
	_, _ = s.pool.Exec(ctx, `ANALYZE signing_keys, iam_roles, iam_providers, identity_pools, identities, logins`)
	return nil
}

// importer buffers the rows of Import and writes them in batches, in an order that
// satisfies the foreign keys: the pipelined INSERTs (pools among them) first, then the
// identities and their logins.
type importer struct {
	tx pgx.Tx
	// check checks the records and says where each goes. It is what refuses an identity
	// listed before its pool: flush writes a batch's pools before its identities, so the
	// foreign key would not.
	check sqlrecord.Importer

	inserts    pgx.Batch
	insertWhat []string // what each queued insert stores, for errors
	identities [][]any
	logins     [][]any
	rows       int
}

// add buffers the rows of r.
func (im *importer) add(r storage.Record) error {
	row, err := im.check.Row(r)
	if err != nil {
		return err
	}
	switch row.Kind {
	case "identity":
		id := r.Identity
		im.identities = append(im.identities, []any{id.ID, id.PoolID, id.Disabled, id.Logins == nil,
			sqlrecord.ToMillis(id.CreatedAt), sqlrecord.ToMillis(id.UpdatedAt)})
		for i, l := range id.Logins {
			im.logins = append(im.logins, []any{id.PoolID, l.Provider, l.Subject, id.ID, int32(i)})
		}
		im.rows += 1 + len(id.Logins)
	default:
		what := row.Kind
		if row.Key != "" {
			what += " " + row.Key
		}
		im.inserts.Queue(importInserts[row.Kind], row.Args...)
		im.insertWhat = append(im.insertWhat, what)
		im.rows++
	}
	return nil
}

// flush writes what is buffered.
func (im *importer) flush(ctx context.Context) error {
	if n := im.inserts.Len(); n > 0 {
		br := im.tx.SendBatch(ctx, &im.inserts)
		var err error
		for i := range n {
			if _, err = br.Exec(); err != nil {
				err = importError(im.insertWhat[i], err)
				break
			}
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("postgres: import: %w", cerr)
		}
		if err != nil {
			return err
		}
		im.inserts, im.insertWhat = pgx.Batch{}, im.insertWhat[:0]
	}
	for _, c := range []struct {
		what    string
		table   string
		columns []string
		rows    *[][]any
	}{
		{"identities", "identities", identityCopyColumns, &im.identities},
		{"logins", "logins", loginCopyColumns, &im.logins},
	} {
		if len(*c.rows) == 0 {
			continue
		}
		if _, err := im.tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.columns, pgx.CopyFromRows(*c.rows)); err != nil {
			return importError(c.what, err)
		}
		*c.rows = (*c.rows)[:0]
	}
	im.rows = 0
	return nil
}

// importError maps a failed write of Import to the contract's errors: a duplicate is
// ErrAlreadyExists, except for a login, which belongs to at most one identity
// (ErrConflict).
func importError(what string, err error) error {
	switch pgCode(err) {
	case codeUniqueViolation:
		if what == "logins" {
			return fmt.Errorf("postgres: import: a login is listed twice: %w (%w)", storage.ErrConflict, err)
		}
		return fmt.Errorf("postgres: import: %s listed twice: %w (%w)", what, storage.ErrAlreadyExists, err)
	case codeForeignKeyViolation:
		return fmt.Errorf("postgres: import: %s: %w (%w)", what, storage.ErrNotFound, err)
	}
	return fmt.Errorf("postgres: import: %s: %w", what, err)
}
