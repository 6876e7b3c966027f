package sts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/oidc"
)

// Session tokens are self-contained: a token carries its credentials' secret and what
// they were issued for, encrypted and authenticated under one of the deployment's session
// keys (oidc.Issuer.SessionKeys), the way STS's own tokens are opaque blobs. Nothing is
// stored per session, so issuing credentials writes nothing, any node can check a token
// any other node issued, and there is nothing to sweep when they expire. A token cannot
// be revoked before it expires (neither can STS's); rotating the keys stops a leaked key
// from sealing new ones, and retires it once its tokens have expired.
//
// Format, base64 (standard alphabet, padded) of:
//
//	tokenV1 || kid (4 bytes) || salt (16 bytes) || AES-256-GCM(k, zero nonce, payload, aad = the 21 bytes before)
//
// where kid is the start of the SHA-256 of the session key that sealed it, and k =
// HKDF-SHA256(that key, salt, tokenInfo). Every token has a key of its own, so the fixed
// nonce is never reused under one key; random 96-bit nonces under a long-lived session key
// would run into GCM's limit of 2^32 messages within days at full load. payload is the
// fields of Session in order, strings as uvarint length and bytes, times as uvarint Unix
// milliseconds (CreatedAt) and seconds (Expiry), then the tags: uvarint count+1 (0 for nil
// tags), each key and value as a string, in key order.
const (
	tokenV1    byte = 0x01
	kidSize         = 4
	saltSize        = 16
	headerSize      = 1 + kidSize + saltSize
	tokenInfo       = "idpool/sts/session-token/v1"
	// maxTokenLen bounds what open decodes: the largest token Issue can mint (50 tags of
	// 128+256 characters and long ARNs) is far below it.
	maxTokenLen = 64 << 10
)

// sessionKeySize is the length of a session key (AES-256), as the issuer makes them.
const sessionKeySize = oidc.SessionKeySize

// KeySource gives the session keys: the current one first (it seals), then the ones
// that still open tokens they sealed. oidc.Issuer is one; the slices are read, never
// modified, and may change between calls when the keys rotate.
type KeySource interface {
	SessionKeys() [][]byte
}

var (
	errBadToken = errors.New("sts: session token is not one of this deployment's")
	errNoKey    = errors.New("sts: no session key")
)

// kidOf is the key ID a token names its key by.
func kidOf(key []byte) [kidSize]byte {
	sum := sha256.Sum256(key)
	return [kidSize]byte(sum[:kidSize])
}

// tokenAEAD returns the AES-GCM cipher of one token: its key derived from the session key
// and the token's salt.
func tokenAEAD(key, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, key, salt, tokenInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	clear(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

var zeroNonce [12]byte

// seal returns the token for sess (whose SessionToken it ignores) under key.
func seal(key []byte, sess *Session) (string, error) {
	if len(key) != sessionKeySize {
		return "", fmt.Errorf("%w of %d bytes", errNoKey, sessionKeySize)
	}
	var payload []byte
	for _, f := range [...]string{sess.AccessKeyID, sess.SecretAccessKey, sess.AccountID, sess.RoleARN,
		sess.SessionName, sess.IdentityID, sess.PoolID} {
		payload = appendString(payload, f)
	}
	payload = binary.AppendUvarint(payload, uint64(sess.CreatedAt.UnixMilli()))
	payload = binary.AppendUvarint(payload, uint64(sess.Expiry.Unix()))
	if sess.Tags == nil {
		payload = binary.AppendUvarint(payload, 0)
	} else {
		payload = binary.AppendUvarint(payload, uint64(len(sess.Tags))+1)
		keys := make([]string, 0, len(sess.Tags))
		for k := range sess.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			payload = appendString(appendString(payload, k), sess.Tags[k])
		}
	}
	defer clear(payload) // it holds the secret

	blob := make([]byte, headerSize, headerSize+len(payload)+16)
	blob[0] = tokenV1
	kid := kidOf(key)
	copy(blob[1:], kid[:])
	if _, err := rand.Read(blob[1+kidSize : headerSize]); err != nil {
		return "", fmt.Errorf("sts: token salt: %w", err)
	}
	aead, err := tokenAEAD(key, blob[1+kidSize:headerSize])
	if err != nil {
		return "", err
	}
	blob = aead.Seal(blob, zeroNonce[:], payload, blob)
	return base64.StdEncoding.EncodeToString(blob), nil
}

// open returns the session a token carries, or errBadToken for anything that is not a
// token sealed with one of keys. It does not check Expiry.
func open(keys [][]byte, token string) (*Session, error) {
	// One spelling per token: the decoder would otherwise skip line breaks and accept
	// non-zero padding bits, and a token is also an identifier (logs, comparisons).
	if len(token) > maxTokenLen || strings.ContainsAny(token, "\r\n") {
		return nil, errBadToken
	}
	blob, err := base64.StdEncoding.Strict().DecodeString(token)
	if err != nil || len(blob) < headerSize+16 || blob[0] != tokenV1 {
		return nil, errBadToken
	}
	header := blob[:headerSize]
	var payload []byte
	for _, key := range keys {
		if kid := kidOf(key); [kidSize]byte(header[1:1+kidSize]) != kid {
			continue
		}
		aead, err := tokenAEAD(key, header[1+kidSize:])
		if err != nil {
			return nil, err
		}
		if payload, err = aead.Open(nil, zeroNonce[:], blob[headerSize:], header); err == nil {
			break
		}
	}
	if payload == nil {
		return nil, errBadToken
	}
	defer clear(payload)
	sess := &Session{SessionToken: token}
	r := reader{b: payload}
	for _, f := range [...]*string{&sess.AccessKeyID, &sess.SecretAccessKey, &sess.AccountID, &sess.RoleARN,
		&sess.SessionName, &sess.IdentityID, &sess.PoolID} {
		*f = r.string()
	}
	sess.CreatedAt = time.UnixMilli(int64(r.uvarint()))
	sess.Expiry = time.Unix(int64(r.uvarint()), 0)
	if n := r.uvarint(); n > 0 && r.err == nil {
		if n-1 > uint64(len(r.b)) { // every tag takes at least two bytes
			return nil, errBadToken
		}
		sess.Tags = make(map[string]string, n-1)
		for range n - 1 {
			k := r.string()
			sess.Tags[k] = r.string()
		}
	}
	if r.err != nil || len(r.b) != 0 {
		// Authenticated yet malformed: only a bug of seal's could do it.
		return nil, fmt.Errorf("sts: corrupt session token payload")
	}
	return sess, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// reader decodes a payload; the first failure sticks in err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadToken
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errBadToken
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
