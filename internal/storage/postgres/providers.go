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
	providerColumns = `arn, account_id, kind, config, created_at, updated_at`
	selectProvider  = `SELECT ` + providerColumns + ` FROM iam_providers WHERE arn = $1 AND account_id = $2`
	insertProvider  = `INSERT INTO iam_providers (` + providerColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`
	// listProviders is a range of the (account_id, kind, arn) index, already in arn order.
	listProviders = `SELECT ` + providerColumns + ` FROM iam_providers WHERE account_id = $1 AND kind = $2 ORDER BY arn`
)

// scanProvider reads one row of providerColumns. A missing row is storage.ErrNotFound.
func scanProvider(row pgx.Row, arn string) (*storage.IAMProvider, error) {
	var (
		p                storage.IAMProvider
		config           []byte
		created, updated int64
	)
	err := row.Scan(&p.ARN, &p.AccountID, &p.Kind, &config, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: provider %s: %w", arn, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read provider %s: %w", arn, err)
	}
	if err := sqlrecord.DecodeProvider(config, &p); err != nil {
		return nil, fmt.Errorf("postgres: decode provider %s: %w", p.ARN, err)
	}
	p.CreatedAt, p.UpdatedAt = sqlrecord.FromMillis(created), sqlrecord.FromMillis(updated)
	return &p, nil
}

// providerArgs are the insertProvider parameters of p.
func providerArgs(p *storage.IAMProvider) ([]any, error) {
	config, err := sqlrecord.EncodeProvider(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode provider %s: %w", p.ARN, err)
	}
	return []any{p.ARN, p.AccountID, p.Kind, string(config), sqlrecord.ToMillis(p.CreatedAt), sqlrecord.ToMillis(p.UpdatedAt)}, nil
}

// CreateProvider implements storage.ProviderStore.
func (s *Store) CreateProvider(ctx context.Context, p *storage.IAMProvider) error {
	if p == nil {
		return errors.New("postgres: CreateProvider: nil provider")
	}
	args, err := providerArgs(p)
	if err != nil {
		return err
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
	return scanProvider(s.pool.QueryRow(ctx, selectProvider, arn, accountID), arn)
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
	var out []*storage.IAMProvider
	for rows.Next() {
		p, err := scanProvider(rows, "")
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list providers: %w", err)
	}
	return out, nil
}

// UpdateProvider implements storage.ProviderStore. As in UpdatePool, the row is locked
// FOR UPDATE before fn sees it: concurrent updates queue, and fn runs once. fn must not
// block or call back into the Store.
func (s *Store) UpdateProvider(ctx context.Context, accountID, arn string, fn func(*storage.IAMProvider) error) (*storage.IAMProvider, error) {
	if !storable(accountID, arn) {
		return nil, s.missing("provider " + arn)
	}
	var out *storage.IAMProvider
	err := s.write(ctx, readCommitted, func(tx pgx.Tx) error {
		cur, err := scanProvider(tx.QueryRow(ctx, selectProvider+` FOR UPDATE`, arn, accountID), arn)
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := fn(next); err != nil {
			return err
		}
		next.AccountID, next.ARN, next.Kind, next.CreatedAt = cur.AccountID, cur.ARN, cur.Kind, cur.CreatedAt
		config, err := sqlrecord.EncodeProvider(next)
		if err != nil {
			return fmt.Errorf("postgres: encode provider %s: %w", arn, err)
		}
		updated := sqlrecord.ToMillis(next.UpdatedAt)
		if _, err := tx.Exec(ctx, `UPDATE iam_providers SET config = $1, updated_at = $2 WHERE arn = $3`,
			string(config), updated, arn); err != nil {
			return fmt.Errorf("postgres: update provider %s: %w", arn, err)
		}
		// Hand back what GetProvider would now return, decoded afresh.
		out = &storage.IAMProvider{AccountID: cur.AccountID, ARN: cur.ARN, Kind: cur.Kind,
			CreatedAt: cur.CreatedAt, UpdatedAt: sqlrecord.FromMillis(updated)}
		if err := sqlrecord.DecodeProvider(config, out); err != nil {
			return fmt.Errorf("postgres: decode provider %s: %w", arn, err)
		}
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
