package sqlrecord

import (
	"encoding/json"

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
	})
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
	}, nil
}
