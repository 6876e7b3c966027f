package oidc

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// KEKSize is the length of a key-encryption key: AES-256.
const KEKSize = 32

// Errors of New about the key-encryption key. They are startup errors: an operator must
// fix the configuration, retrying does not help.
var (
	// ErrKEKMissing: the stored private keys are encrypted and no KEK is configured.
	ErrKEKMissing = errors.New("oidc: the stored signing keys are encrypted but no key-encryption key (KEK) is configured")
	// ErrWrongKEK: the stored private keys do not decrypt with the configured KEK (or
	// were tampered with; AES-GCM cannot tell the two apart).
	ErrWrongKEK = errors.New("oidc: the stored signing keys cannot be decrypted with the configured key-encryption key (KEK): wrong KEK, or corrupt keys")
)

// Private key blob format (storage.Keys.SigningKey). The first byte says how the rest is
// stored, so that a node can tell an encrypted blob from a plain one without guessing, and
// so that the format can evolve:
//
//	blobPlain:  0x01 || payload
//	blobAESGCM: 0x02 || nonce (12 bytes) || AES-256-GCM(KEK, nonce, payload, aad)
//
// payload is a sequence of length-prefixed (uvarint) PKCS#8 DER private keys: the signing
// key, then the next key (generated one rotation ahead and already published in the JWKS,
// see doc.go). Storage has a single private-key field, and both keys need it.
//
// aad is blobAAD || SigningKeyID: binding the ciphertext to the key ID stops a blob from
// being replayed into another record (say, an older one) without detection.
const (
	blobPlain  byte = 0x01
	blobAESGCM byte = 0x02

	blobAAD = "idpool/oidc/keys/v1:"

	// blobKeys is how many private keys a blob holds: signing and next.
	blobKeys = 2
	// maxDERSize bounds one PKCS#8 key when decoding: an 8192-bit key is under 5 KiB.
	maxDERSize = 16 << 10
)

// ParseKEK decodes a key-encryption key from configuration: base64 of 32 bytes, standard
// or URL alphabet, padded or not (so that both `openssl rand -base64 32` and URL-safe
// tooling work). The error never echoes the input, which is a secret.
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("oidc: empty key-encryption key")
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KEKSize {
			return nil, fmt.Errorf("oidc: key-encryption key is %d bytes, want %d (base64 of 32 random bytes)", len(b), KEKSize)
		}
		return b, nil
	}
	return nil, errors.New("oidc: key-encryption key is not valid base64 (standard or URL alphabet)")
}

// newAEAD builds the AES-256-GCM cipher for kek, or nil when kek is empty.
func newAEAD(kek []byte) (cipher.AEAD, error) {
	if len(kek) == 0 {
		return nil, nil
	}
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("oidc: key-encryption key is %d bytes, want %d", len(kek), KEKSize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// generateKey makes an RSA key ready for fast signing.
func generateKey(bits int) (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("oidc: generating RSA key: %w", err)
	}
	k.Precompute()
	return k, nil
}

// keyID is the RFC 7638 JWK thumbprint (SHA-256, base64url) of pub: stable, derived from
// the key alone, so that every node computes the same ID and a record whose ID does not
// match its key is detected.
func keyID(pub *rsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("oidc: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// marshalPublicKey is the stored form of a verification key: PKIX DER.
func marshalPublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("oidc: encoding public key: %w", err)
	}
	return der, nil
}

// parsePublicKey reads a stored verification key and checks it against its key ID.
func parsePublicKey(kid string, der []byte) (*rsa.PublicKey, error) {
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("oidc: stored public key %q: %w", kid, err)
	}
	pub, ok := pk.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("oidc: stored public key %q is a %T, want RSA", kid, pk)
	}
	if pub.N.BitLen() < MinKeyBits {
		return nil, fmt.Errorf("oidc: stored public key %q has %d bits, want at least %d", kid, pub.N.BitLen(), MinKeyBits)
	}
	got, err := keyID(pub)
	if err != nil {
		return nil, err
	}
	if got != kid {
		return nil, fmt.Errorf("oidc: stored public key %q has thumbprint %q", kid, got)
	}
	return pub, nil
}

// sealKeys serialises the signing and next private keys into a blob, encrypted when aead
// is set. kid is the signing key's ID (bound into the ciphertext).
func sealKeys(aead cipher.AEAD, kid string, keys ...*rsa.PrivateKey) ([]byte, error) {
	var payload []byte
	for _, k := range keys {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("oidc: encoding private key: %w", err)
		}
		payload = binary.AppendUvarint(payload, uint64(len(der)))
		payload = append(payload, der...)
		clear(der)
	}
	defer clear(payload)
	return sealBlob(aead, payload, blobAADFor(kid))
}

// sealBlob is the blob format of the stored secrets (the private keys above, the session
// key): plain, or encrypted under the KEK with aad.
func sealBlob(aead cipher.AEAD, payload, aad []byte) ([]byte, error) {
	if aead == nil {
		return append([]byte{blobPlain}, payload...), nil
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(payload)+aead.Overhead())
	out[0] = blobAESGCM
	nonce := out[1:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("oidc: nonce: %w", err)
	}
	return aead.Seal(out, nonce, payload, aad), nil
}

// openBlob reverses sealBlob, reporting whether the blob was encrypted. A plain payload
// aliases blob; what is the secret is named in the errors.
func openBlob(aead cipher.AEAD, blob, aad []byte, what string) (payload []byte, encrypted bool, err error) {
	if len(blob) == 0 {
		return nil, false, fmt.Errorf("oidc: stored %s is empty", what)
	}
	switch blob[0] {
	case blobPlain:
		return blob[1:], false, nil
	case blobAESGCM:
		if aead == nil {
			return nil, true, ErrKEKMissing
		}
		rest := blob[1:]
		if len(rest) < aead.NonceSize()+aead.Overhead() {
			return nil, true, ErrWrongKEK
		}
		payload, err = aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
		if err != nil {
			return nil, true, ErrWrongKEK
		}
		return payload, true, nil
	default:
		return nil, false, fmt.Errorf("oidc: stored %s has unknown format 0x%02x", what, blob[0])
	}
}

// openKeys reverses sealKeys. It reports whether the blob was encrypted, so that New can
// encrypt a plain blob once a KEK is configured.
func openKeys(aead cipher.AEAD, kid string, blob []byte) (keys []*rsa.PrivateKey, encrypted bool, err error) {
	payload, encrypted, err := openBlob(aead, blob, blobAADFor(kid), "signing key")
	if err != nil {
		return nil, encrypted, err
	}
	if encrypted {
		defer clear(payload)
	}
	for len(payload) > 0 {
		n, w := binary.Uvarint(payload)
		if w <= 0 || n == 0 || n > maxDERSize || n > uint64(len(payload)-w) {
			return nil, encrypted, errors.New("oidc: stored signing key is corrupt")
		}
		der := payload[w : w+int(n)]
		payload = payload[w+int(n):]
		pk, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, encrypted, fmt.Errorf("oidc: stored signing key: %w", err)
		}
		k, ok := pk.(*rsa.PrivateKey)
		if !ok {
			return nil, encrypted, fmt.Errorf("oidc: stored signing key is a %T, want RSA", pk)
		}
		k.Precompute()
		keys = append(keys, k)
	}
	if len(keys) != blobKeys {
		return nil, encrypted, fmt.Errorf("oidc: stored signing key blob holds %d keys, want %d", len(keys), blobKeys)
	}
	return keys, encrypted, nil
}

func blobAADFor(kid string) []byte {
	return append([]byte(blobAAD), kid...)
}
