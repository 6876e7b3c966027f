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
	selectPoolByID = `SELECT ` + sqlrecord.PoolColumns + ` FROM identity_pools WHERE id = ? AND account_id = ?`
	// selectAnyPool is GetPoolByID's: the pool whatever its account.
	selectAnyPool = `SELECT ` + sqlrecord.PoolColumns + ` FROM identity_pools WHERE id = ?`
	insertPool    = `INSERT INTO identity_pools (` + sqlrecord.PoolColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// CreatePool implements storage.PoolStore. A maxPerAccount of zero or less means no
// quota.
func (s *Store) CreatePool(ctx context.Context, p *storage.Pool, maxPerAccount int) error {
	if p == nil {
		return errors.New("sqlite: CreatePool: nil pool")
	}
	args, err := sqlrecord.PoolArgs(p)
	if err != nil {
		return fmt.Errorf("sqlite: encode pool %s: %w", p.ID, err)
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Counting inside the write transaction is what makes the quota hold under
		// concurrent creates: no other insert can land between the count and ours.
		if maxPerAccount > 0 {
			var n int
			if err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM identity_pools WHERE account_id = ? AND region = ?`,
				p.AccountID, p.Region).Scan(&n); err != nil {
				return fmt.Errorf("sqlite: count pools: %w", err)
			}
			if n >= maxPerAccount {
				return fmt.Errorf("sqlite: account %s has %d pools in %s: %w", p.AccountID, n, p.Region, storage.ErrLimitExceeded)
			}
		}
		_, err := tx.ExecContext(ctx, insertPool, args...)
		if isPrimaryKeyViolation(err) {
			return fmt.Errorf("sqlite: pool %s: %w", p.ID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert pool %s: %w", p.ID, err)
		}
		return nil
	})
}

// GetPool implements storage.PoolStore.
func (s *Store) GetPool(ctx context.Context, accountID, poolID string) (*storage.Pool, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read pool %s: %w", poolID, err)
	}
	return scanRecord(s.getPool.QueryRowContext(ctx, poolID, accountID), new(sqlrecord.CachedPoolRow), poolID)
}

// GetPoolByID implements storage.PoolStore. Like GetPool it runs a statement prepared at
// Open: the public operations (GetId, GetCredentialsForIdentity, ...) call it every time.
func (s *Store) GetPoolByID(ctx context.Context, poolID string) (*storage.Pool, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read pool %s: %w", poolID, err)
	}
	return scanRecord(s.getAnyPool.QueryRowContext(ctx, poolID), new(sqlrecord.CachedPoolRow), poolID)
}

// UpdatePool implements storage.PoolStore. fn runs while this Store's writer is held, so
// every other write waits for it: it must not block or call back into the Store.
func (s *Store) UpdatePool(ctx context.Context, accountID, poolID string, fn func(*storage.Pool) error) (*storage.Pool, error) {
	var out *storage.Pool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The transaction began IMMEDIATE, so this read already holds the write lock and no
		// other update can slip in between it and the write below.
		cur, err := scanRecord(tx.QueryRowContext(ctx, selectPoolByID, poolID, accountID), new(sqlrecord.PoolRow), poolID)
		if err != nil {
			return err
		}
		stored, config, err := sqlrecord.UpdatePool(cur, fn, prefixed)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identity_pools SET name = ?, config = ?, updated_at = ? WHERE id = ?`,
			stored.Name, string(config), sqlrecord.ToMillis(stored.UpdatedAt), poolID); err != nil {
			return fmt.Errorf("sqlite: update pool %s: %w", poolID, err)
		}
		out = stored
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePool implements storage.PoolStore. Rows that belong to the pool go with it in the
// same transaction: tables that reference identity_pools do so ON DELETE CASCADE (every
// connection runs with foreign_keys on), and anything not reachable that way must be
// deleted here, inside this write.
func (s *Store) DeletePool(ctx context.Context, accountID, poolID string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM identity_pools WHERE id = ? AND account_id = ?`, poolID, accountID)
		return deleted(res, err, "pool", poolID)
	})
}

// ListPools implements storage.PoolStore. A limit of zero or less means no limit. IDs
// compare with SQLite's BINARY collation, byte order, which is Go's string order.
func (s *Store) ListPools(ctx context.Context, accountID, region, afterID string, limit int) ([]storage.PoolSummary, error) {
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, name FROM identity_pools WHERE account_id = ? AND region = ? AND id > ? ORDER BY id LIMIT ?`,
		accountID, region, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list pools: %w", err)
	}
	defer rows.Close()
	var out []storage.PoolSummary
	for rows.Next() {
		var r storage.PoolSummary
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			return nil, fmt.Errorf("sqlite: list pools: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list pools: %w", err)
	}
	return out, nil
}
