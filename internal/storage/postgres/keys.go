package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	selectKeys = `SELECT keys FROM signing_keys WHERE id = 1`
	upsertKeys = `INSERT INTO signing_keys (id, keys) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET keys = excluded.keys`
)

// readKeys returns the stored keys as JSON, or nil when there are none.
func readKeys(row pgx.Row) ([]byte, error) {
	b, err := sqlrecord.ReadKeys(row, pgx.ErrNoRows)
	if err != nil {
		return nil, prefixed(err)
	}
	return b, nil
}

func decodeKeys(b []byte) (*storage.Keys, error) {
	k, err := sqlrecord.DecodeKeys(b)
	if err != nil {
		return nil, fmt.Errorf("postgres: decode keys: %w", err)
	}
	return k, nil
}

// GetKeys implements storage.KeyStore.
func (s *Store) GetKeys(ctx context.Context) (*storage.Keys, error) {
	b, err := readKeys(s.pool.QueryRow(ctx, selectKeys))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("postgres: keys: %w", storage.ErrNotFound)
	}
	return decodeKeys(b)
}

// UpdateKeys implements storage.KeyStore. fn runs in a SERIALIZABLE transaction that
// locks the row when there is one: racing nodes queue for the lock, and one that read the
// keys before another's rotation committed is aborted and runs again, fn included, on the
// rotated keys. The transaction must be SERIALIZABLE rather than rely on the lock because
// before the first UpdateKeys there is no row to lock. When there are no keys and fn
// returns (nil, nil), UpdateKeys returns (nil, nil).
func (s *Store) UpdateKeys(ctx context.Context, fn func(current *storage.Keys) (*storage.Keys, error)) (*storage.Keys, error) {
	var out *storage.Keys
	err := s.write(ctx, serializable, func(tx pgx.Tx) error {
		stored, err := readKeys(tx.QueryRow(ctx, selectKeys+` FOR UPDATE`))
		if err != nil {
			return err
		}
		write, keys, err := sqlrecord.UpdateKeys(stored, fn, prefixed)
		if err != nil {
			return err
		}
		if write != nil {
			if _, err := tx.Exec(ctx, upsertKeys, string(write)); err != nil {
				return fmt.Errorf("postgres: store keys: %w", err)
			}
		}
		out = keys
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
