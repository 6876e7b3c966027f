package sqlrecord

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
)

// keysJSON is the persisted form of storage.Keys (signing_keys.keys). nil and empty stay
// apart: []byte as null or "", slices as null or []. Key material is base64, encoding/json's
// form of []byte.
type keysJSON struct {
	SigningKeyID     string                `json:"signingKeyId"`
	SigningKey       []byte                `json:"signingKey"`
	VerificationKeys []verificationKeyJSON `json:"verificationKeys"`
	NextRotation     int64                 `json:"nextRotation"`
	// SessionKey came later: key sets stored before it have no such field, and it is left
	// out while unset so that they keep their JSON. An empty key therefore comes back nil;
	// either way there is no key.
	SessionKey []byte `json:"sessionKey,omitempty"`
}

type verificationKeyJSON struct {
	KeyID     string `json:"keyId"`
	PublicKey []byte `json:"publicKey"`
	Expiry    int64  `json:"expiry"` // the zero time.Time stays zero through FromMillis
}

// EncodeKeys returns the JSON of k.
func EncodeKeys(k *storage.Keys) ([]byte, error) {
	return json.Marshal(keysJSON{
		SigningKeyID: k.SigningKeyID,
		SigningKey:   k.SigningKey,
		VerificationKeys: convertSlice(k.VerificationKeys, func(v storage.VerificationKey) verificationKeyJSON {
			return verificationKeyJSON{KeyID: v.KeyID, PublicKey: v.PublicKey, Expiry: ToMillis(v.Expiry)}
		}),
		NextRotation: ToMillis(k.NextRotation),
		SessionKey:   k.SessionKey,
	})
}

// ReadKeys scans the stored keys' JSON from row, or nil when there are none: noRows is the
// driver's error for a missing row (sql.ErrNoRows, pgx.ErrNoRows). The errors carry no
// backend prefix.
func ReadKeys(row RowScanner, noRows error) ([]byte, error) {
	var b []byte
	err := row.Scan(&b)
	if errors.Is(err, noRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return b, nil
}

// DecodeKeys returns new Keys that share no memory with b.
func DecodeKeys(b []byte) (*storage.Keys, error) {
	var k keysJSON
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, err
	}
	return &storage.Keys{
		SigningKeyID: k.SigningKeyID,
		SigningKey:   k.SigningKey,
		VerificationKeys: convertSlice(k.VerificationKeys, func(v verificationKeyJSON) storage.VerificationKey {
			return storage.VerificationKey{KeyID: v.KeyID, PublicKey: v.PublicKey, Expiry: FromMillis(v.Expiry)}
		}),
		NextRotation: FromMillis(k.NextRotation),
		SessionKey:   k.SessionKey,
	}, nil
}

// UpdateKeys is what a SQL backend's UpdateKeys does between reading signing_keys and
// writing it. stored is the stored JSON, nil when there are no keys; fn runs on keys
// decoded from it (nil for none). UpdateKeys returns the JSON to store, nil when fn
// returned nil and the keys stay as they are, and the keys to hand back: those GetKeys
// will return (millisecond times in UTC), decoded from what is stored rather than the
// Keys fn returned or changed, which fn may still hold. out is nil when there were no
// keys and fn left it so.
//
// fn's error is returned as is; UpdateKeys' own go through wrap, which gives them the
// backend's prefix.
func UpdateKeys(stored []byte, fn func(*storage.Keys) (*storage.Keys, error), wrap func(error) error) (write []byte, out *storage.Keys, err error) {
	var cur *storage.Keys
	if stored != nil {
		if cur, err = DecodeKeys(stored); err != nil {
			return nil, nil, wrap(fmt.Errorf("decode keys: %w", err))
		}
	}
	next, err := fn(cur)
	if err != nil {
		return nil, nil, err
	}
	kept := stored // what is stored once write is
	if next != nil {
		if write, err = EncodeKeys(next); err != nil {
			return nil, nil, wrap(fmt.Errorf("encode keys: %w", err))
		}
		kept = write
	}
	if kept == nil {
		return nil, nil, nil
	}
	// Decoded again even when unchanged: fn may have modified cur.
	if out, err = DecodeKeys(kept); err != nil {
		return nil, nil, wrap(fmt.Errorf("decode keys: %w", err))
	}
	return write, out, nil
}
