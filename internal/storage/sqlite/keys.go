package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

// decodeKeys returns new Keys that share no memory with b.
func decodeKeys(b []byte) (*storage.Keys, error) {
	k, err := sqlrecord.DecodeKeys(b)
	if err != nil {
		return nil, fmt.Errorf("sqlite: decode keys: %w", err)
	}
	return k, nil
}

const (
	selectKeys = `SELECT keys FROM signing_keys WHERE id = 1`
	upsertKeys = `INSERT INTO signing_keys (id, keys) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET keys = excluded.keys`
)

// readKeys returns the stored keys as JSON, or nil when there are none.
func readKeys(row *sql.Row) ([]byte, error) {
	b, err := sqlrecord.ReadKeys(row, sql.ErrNoRows)
	if err != nil {
		return nil, prefixed(err)
	}
	return b, nil
}

// GetKeys implements storage.KeyStore.
func (s *Store) GetKeys(ctx context.Context) (*storage.Keys, error) {
	b, err := readKeys(s.r.QueryRowContext(ctx, selectKeys))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("sqlite: keys: %w", storage.ErrNotFound)
	}
	return decodeKeys(b)
}

// UpdateKeys implements storage.KeyStore. fn runs inside one IMMEDIATE transaction on the
// writer connection, so racing callers (in this process or another on the same file) run
// one after the other and each sees what the previous one stored. fn may change the Keys
// it is given and return them. When there are no keys and fn returns (nil, nil),
// UpdateKeys returns (nil, nil).
func (s *Store) UpdateKeys(ctx context.Context, fn func(current *storage.Keys) (*storage.Keys, error)) (*storage.Keys, error) {
	var out *storage.Keys
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, err := readKeys(tx.QueryRowContext(ctx, selectKeys))
		if err != nil {
			return err
		}
		write, keys, err := sqlrecord.UpdateKeys(stored, fn, prefixed)
		if err != nil {
			return err
		}
		if write != nil {
			if _, err := tx.ExecContext(ctx, upsertKeys, string(write)); err != nil {
				return fmt.Errorf("sqlite: store keys: %w", err)
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
