package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	selectPool = `SELECT ` + sqlrecord.PoolColumns + ` FROM identity_pools WHERE id = $1 AND account_id = $2`
	// selectAnyPool is GetPoolByID's: the pool whatever its account.
	selectAnyPool = `SELECT ` + sqlrecord.PoolColumns + ` FROM identity_pools WHERE id = $1`
	insertPool    = `INSERT INTO identity_pools (` + sqlrecord.PoolColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	countPools    = `SELECT count(*) FROM identity_pools WHERE account_id = $1 AND region = $2`
	listPools     = `SELECT id, name FROM identity_pools WHERE account_id = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4`
)

// CreatePool implements storage.PoolStore. A maxPerAccount of zero or less means no
// quota. With a quota, the count and the insert share a SERIALIZABLE transaction: of two
// creates that each counted the other's slot as free, PostgreSQL aborts one, and its
// retry counts again.
func (s *Store) CreatePool(ctx context.Context, p *storage.Pool, maxPerAccount int) error {
	if p == nil {
		return errors.New("postgres: CreatePool: nil pool")
	}
	args, err := sqlrecord.PoolArgs(p)
	if err != nil {
		return fmt.Errorf("postgres: encode pool %s: %w", p.ID, err)
	}
	if maxPerAccount <= 0 {
		_, err = s.exec(ctx, insertPool, args...)
	} else {
		err = s.write(ctx, serializable, func(tx pgx.Tx) error {
			var n int64
			if err := tx.QueryRow(ctx, countPools, p.AccountID, p.Region).Scan(&n); err != nil {
				return fmt.Errorf("postgres: count pools: %w", err)
			}
			if n >= int64(maxPerAccount) {
				return fmt.Errorf("postgres: account %s has %d pools in %s: %w", p.AccountID, n, p.Region, storage.ErrLimitExceeded)
			}
			_, err := tx.Exec(ctx, insertPool, args...)
			return err
		})
	}
	switch {
	case err == nil:
		return nil
	case pgCode(err) == codeUniqueViolation:
		return fmt.Errorf("postgres: pool %s: %w", p.ID, storage.ErrAlreadyExists)
	case errors.Is(err, storage.ErrLimitExceeded):
		return err
	}
	return fmt.Errorf("postgres: insert pool %s: %w", p.ID, err)
}

// GetPool implements storage.PoolStore.
func (s *Store) GetPool(ctx context.Context, accountID, poolID string) (*storage.Pool, error) {
	if !storable(accountID, poolID) {
		return nil, s.missing("pool " + poolID)
	}
	return scanRecord(s.pool.QueryRow(ctx, selectPool, poolID, accountID), new(sqlrecord.CachedPoolRow), poolID)
}

// GetPoolByID implements storage.PoolStore.
func (s *Store) GetPoolByID(ctx context.Context, poolID string) (*storage.Pool, error) {
	if !storable(poolID) {
		return nil, s.missing("pool " + poolID)
	}
	return scanRecord(s.pool.QueryRow(ctx, selectAnyPool, poolID), new(sqlrecord.CachedPoolRow), poolID)
}

// UpdatePool implements storage.PoolStore. The row is locked FOR UPDATE before fn sees
// it, so concurrent updates of a pool run one after the other, each on what the previous
// one stored, and fn runs once here. fn holds a connection and the row lock while it runs: it
// must not block or call back into the Store.
func (s *Store) UpdatePool(ctx context.Context, accountID, poolID string, fn func(*storage.Pool) error) (*storage.Pool, error) {
	if !storable(accountID, poolID) {
		return nil, s.missing("pool " + poolID)
	}
	var out *storage.Pool
	err := s.write(ctx, readCommitted, func(tx pgx.Tx) error {
		cur, err := scanRecord(tx.QueryRow(ctx, selectPool+` FOR UPDATE`, poolID, accountID), new(sqlrecord.PoolRow), poolID)
		if err != nil {
			return err
		}
		stored, config, err := sqlrecord.UpdatePool(cur, fn, prefixed)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE identity_pools SET name = $1, config = $2, updated_at = $3 WHERE id = $4`,
			stored.Name, string(config), sqlrecord.ToMillis(stored.UpdatedAt), poolID); err != nil {
			return fmt.Errorf("postgres: update pool %s: %w", poolID, err)
		}
		out = stored
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePool implements storage.PoolStore. Identities and logins go with the pool in the
// same statement, through ON DELETE CASCADE.
func (s *Store) DeletePool(ctx context.Context, accountID, poolID string) error {
	if !storable(accountID, poolID) {
		return s.missing("pool " + poolID)
	}
	n, err := s.exec(ctx, `DELETE FROM identity_pools WHERE id = $1 AND account_id = $2`, poolID, accountID)
	if err != nil {
		return fmt.Errorf("postgres: delete pool %s: %w", poolID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: pool %s: %w", poolID, storage.ErrNotFound)
	}
	return nil
}

// ListPools implements storage.PoolStore. A limit of zero or less means no limit. IDs
// compare in byte order (COLLATE "C").
func (s *Store) ListPools(ctx context.Context, accountID, region, afterID string, limit int) ([]storage.PoolSummary, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if !storable(accountID, region) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, listPools, accountID, region, afterKey(afterID), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: list pools: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.PoolSummary, error) {
		var r storage.PoolSummary
		err := row.Scan(&r.ID, &r.Name)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list pools: %w", err)
	}
	return out, nil
}
