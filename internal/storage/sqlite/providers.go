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
	selectProvider = `SELECT ` + sqlrecord.ProviderColumns + ` FROM iam_providers WHERE arn = ? AND account_id = ?`
	insertProvider = `INSERT INTO iam_providers (` + sqlrecord.ProviderColumns + `) VALUES (?, ?, ?, ?, ?, ?)`
	// listProviders is written so that the (account_id, kind, arn) index yields the rows
	// already in arn order; TestProviderQueryPlan keeps it that way.
	listProviders = `SELECT ` + sqlrecord.ProviderColumns + ` FROM iam_providers WHERE account_id = ? AND kind = ? ORDER BY arn`
)

// CreateProvider implements storage.ProviderStore.
func (s *Store) CreateProvider(ctx context.Context, p *storage.IAMProvider) error {
	if p == nil {
		return errors.New("sqlite: CreateProvider: nil provider")
	}
	args, err := sqlrecord.ProviderArgs(p)
	if err != nil {
		return fmt.Errorf("sqlite: encode provider %s: %w", p.ARN, err)
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertProvider, args...)
		if isPrimaryKeyViolation(err) {
			return fmt.Errorf("sqlite: provider %s: %w", p.ARN, storage.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert provider %s: %w", p.ARN, err)
		}
		return nil
	})
}

// GetProvider implements storage.ProviderStore. It runs a statement prepared at Open:
// every login with an OpenID Connect or SAML token looks its provider up.
func (s *Store) GetProvider(ctx context.Context, accountID, arn string) (*storage.IAMProvider, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read provider %s: %w", arn, err)
	}
	return scanRecord(s.getProvider.QueryRowContext(ctx, arn, accountID), new(sqlrecord.ProviderRow), arn)
}

// ListProviders implements storage.ProviderStore. It returns nil when the account has no
// provider of that kind. ARNs compare in byte order (SQLite's BINARY collation).
func (s *Store) ListProviders(ctx context.Context, accountID, kind string) ([]*storage.IAMProvider, error) {
	rows, err := s.r.QueryContext(ctx, listProviders, accountID, kind)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list providers: %w", err)
	}
	defer rows.Close()
	out, err := sqlrecord.ReadAll(rows, func() sqlrecord.Row[storage.IAMProvider] { return new(sqlrecord.ProviderRow) })
	if err != nil {
		return nil, fmt.Errorf("sqlite: list providers: %w", err)
	}
	return out, nil
}

// UpdateProvider implements storage.ProviderStore. As with UpdatePool, fn runs while the
// writer is held: it must not block or call back into the Store.
func (s *Store) UpdateProvider(ctx context.Context, accountID, arn string, fn func(*storage.IAMProvider) error) (*storage.IAMProvider, error) {
	var out *storage.IAMProvider
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The transaction began IMMEDIATE: this read already holds the write lock.
		cur, err := scanRecord(tx.QueryRowContext(ctx, selectProvider, arn, accountID), new(sqlrecord.ProviderRow), arn)
		if err != nil {
			return err
		}
		stored, config, err := sqlrecord.UpdateProvider(cur, fn, prefixed)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE iam_providers SET config = ?, updated_at = ? WHERE arn = ?`,
			string(config), sqlrecord.ToMillis(stored.UpdatedAt), arn); err != nil {
			return fmt.Errorf("sqlite: update provider %s: %w", arn, err)
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
// ARN, as on AWS, where deleting an IAM provider does not touch the identity pools that
// trust it; logins through it fail from then on.
func (s *Store) DeleteProvider(ctx context.Context, accountID, arn string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM iam_providers WHERE arn = ? AND account_id = ?`, arn, accountID)
		return deleted(res, err, "provider", arn)
	})
}
