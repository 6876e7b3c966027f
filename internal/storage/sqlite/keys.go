package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
)

// keysJSON is the persisted form of storage.Keys in signing_keys.keys. As with poolConfig,
// its tags are the format, no field is omitempty (nil and empty stay apart: []byte as null
// or "", slices as null or []), and times are unix milliseconds. Key material is base64,
// encoding/json's form of []byte.
type keysJSON struct {
	SigningKeyID     string                `json:"signingKeyId"`
	SigningKey       []byte                `json:"signingKey"`
	VerificationKeys []verificationKeyJSON `json:"verificationKeys"`
	NextRotation     int64                 `json:"nextRotation"`
}

type verificationKeyJSON struct {
	KeyID     string `json:"keyId"`
	PublicKey []byte `json:"publicKey"`
	Expiry    int64  `json:"expiry"` // the zero time.Time stays zero through fromMillis
}

func encodeKeys(k *storage.Keys) ([]byte, error) {
	return json.Marshal(keysJSON{
		SigningKeyID: k.SigningKeyID,
		SigningKey:   k.SigningKey,
		VerificationKeys: convertSlice(k.VerificationKeys, func(v storage.VerificationKey) verificationKeyJSON {
			return verificationKeyJSON{KeyID: v.KeyID, PublicKey: v.PublicKey, Expiry: toMillis(v.Expiry)}
		}),
		NextRotation: toMillis(k.NextRotation),
	})
}

// decodeKeys returns new Keys that share no memory with b.
func decodeKeys(b []byte) (*storage.Keys, error) {
	var k keysJSON
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("sqlite: decode keys: %w", err)
	}
	return &storage.Keys{
		SigningKeyID: k.SigningKeyID,
		SigningKey:   k.SigningKey,
		VerificationKeys: convertSlice(k.VerificationKeys, func(v verificationKeyJSON) storage.VerificationKey {
			return storage.VerificationKey{KeyID: v.KeyID, PublicKey: v.PublicKey, Expiry: fromMillis(v.Expiry)}
		}),
		NextRotation: fromMillis(k.NextRotation),
	}, nil
}

const selectKeys = `SELECT keys FROM signing_keys WHERE id = 1`

// readKeys returns the stored keys as JSON, or nil when there are none.
func readKeys(row *sql.Row) ([]byte, error) {
	var b []byte
	err := row.Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read keys: %w", err)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		stored, err := readKeys(tx.QueryRowContext(ctx, selectKeys))
		if err != nil {
			return err
		}
		var cur *storage.Keys
		if stored != nil {
			if cur, err = decodeKeys(stored); err != nil {
				return err
			}
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next == nil {
			// Unchanged. Decode again rather than return cur, which fn may have modified.
			out = nil
			if stored != nil {
				out, err = decodeKeys(stored)
			}
			return err
		}
		b, err := encodeKeys(next)
		if err != nil {
			return fmt.Errorf("sqlite: encode keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, keys) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET keys = excluded.keys`, string(b)); err != nil {
			return fmt.Errorf("sqlite: store keys: %w", err)
		}
		// Return what GetKeys will: millisecond times in UTC, memory of its own.
		out, err = decodeKeys(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
