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
	selectProvider = `SELECT ` + sqlrecord.ProviderColumns + ` FROM iam_providers WHERE arn = $1 AND account_id = $2`
	insertProvider = `INSERT INTO iam_providers (` + sqlrecord.ProviderColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`
	// listProviders is a range of the (account_id, kind, arn) index, already in arn order.
	listProviders = `SELECT ` + sqlrecord.ProviderColumns + ` FROM iam_providers WHERE account_id = $1 AND kind = $2 ORDER BY arn`
)

// CreateProvider implements storage.ProviderStore.
func (s *Store) CreateProvider(ctx context.Context, p *storage.IAMProvider) error {
	if p == nil {
		return errors.New("postgres: CreateProvider: nil provider")
	}
	args, err := sqlrecord.ProviderArgs(p)
	if err != nil {
		return fmt.Errorf("postgres: encode provider %s: %w", p.ARN, err)
	}
	_, err = s.exec(ctx, insertProvider, args...)
	if pgCode(err) == codeUniqueViolation {
		return fmt.Errorf("postgres: provider %s: %w", p.ARN, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: insert provider %s: %w", p.ARN, err)
	}
	return nil
}

// GetProvider implements storage.ProviderStore.
func (s *Store) GetProvider(ctx context.Context, accountID, arn string) (*storage.IAMProvider, error) {
	if !storable(accountID, arn) {
		return nil, s.missing("provider " + arn)
	}
	return scanRecord(s.pool.QueryRow(ctx, selectProvider, arn, accountID), new(sqlrecord.ProviderRow), arn)
}

// ListProviders implements storage.ProviderStore. ARNs compare in byte order.
func (s *Store) ListProviders(ctx context.Context, accountID, kind string) ([]*storage.IAMProvider, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if !storable(accountID, kind) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, listProviders, accountID, kind)
	if err != nil {
		return nil, fmt.Errorf("postgres: list providers: %w", err)
	}
	defer rows.Close()
	out, err := sqlrecord.ReadAll(rows, func() sqlrecord.Row[storage.IAMProvider] { return new(sqlrecord.ProviderRow) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list providers: %w", err)
	}
	return out, nil
}

// UpdateProvider implements storage.ProviderStore. As in UpdatePool, the row is locked
// FOR UPDATE before fn sees it: concurrent updates queue, and fn runs once here. fn must not
// block or call back into the Store.
func (s *Store) UpdateProvider(ctx context.Context, accountID, arn string, fn func(*storage.IAMProvider) error) (*storage.IAMProvider, error) {
	if !storable(accountID, arn) {
		return nil, s.missing("provider " + arn)
	}
	var out *storage.IAMProvider
	err := s.write(ctx, readCommitted, func(tx pgx.Tx) error {
		cur, err := scanRecord(tx.QueryRow(ctx, selectProvider+` FOR UPDATE`, arn, accountID), new(sqlrecord.ProviderRow), arn)
		if err != nil {
			return err
		}
		stored, config, err := sqlrecord.UpdateProvider(cur, fn, prefixed)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE iam_providers SET config = $1, updated_at = $2 WHERE arn = $3`,
			string(config), sqlrecord.ToMillis(stored.UpdatedAt), arn); err != nil {
			return fmt.Errorf("postgres: update provider %s: %w", arn, err)
		}
		out = stored
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteProvider implements storage.ProviderStore. Pools that name the provider keep its
// ARN, as on AWS.
func (s *Store) DeleteProvider(ctx context.Context, accountID, arn string) error {
	if !storable(accountID, arn) {
		return s.missing("provider " + arn)
	}
	n, err := s.exec(ctx, `DELETE FROM iam_providers WHERE arn = $1 AND account_id = $2`, arn, accountID)
	if err != nil {
		return fmt.Errorf("postgres: delete provider %s: %w", arn, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: provider %s: %w", arn, storage.ErrNotFound)
	}
	return nil
}
