package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
)

// maxCachedKeys bounds the signing-key cache. A key is valid for one day, region and service,
// so a busy server needs about two entries (around midnight) per active access key and
// service; the bound only matters if something cycles through many keys.
const maxCachedKeys = 1024

// keyCache remembers derived signing keys so that the four HMACs of the derivation run once a
// day per secret, not on every request. The zero value is ready to use.
type keyCache struct {
	mu sync.RWMutex
	m  map[keyID][sha256.Size]byte
}

// keyID names a derived key. The secret is part of it, rather than the access key ID, so that
// a rotated or reissued secret can never be served a stale key.
type keyID struct {
	secret, date, region, service string
}

func (c *keyCache) signingKey(secret, date, region, service string) [sha256.Size]byte {
	id := keyID{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.m[id]
	c.mu.RUnlock()
	if ok {
		return k
	}

	k = deriveKey(secret, date, region, service)
	// date is a slice of the request's Authorization header: copy it so the cache does not keep
	// whole headers alive.
	id.date = strings.Clone(date)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[keyID][sha256.Size]byte)
	}
	if len(c.m) >= maxCachedKeys {
		// Evict an arbitrary entry: map order is random enough, and entries are cheap to
		// recompute.
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[id] = k
	c.mu.Unlock()
	return k
}

// deriveKey is the SigV4 key derivation:
//
//	kDate    = HMAC("AWS4" + secret, date)
//	kRegion  = HMAC(kDate, region)
//	kService = HMAC(kRegion, service)
//	kSigning = HMAC(kService, "aws4_request")
func deriveKey(secret, date, region, service string) [sha256.Size]byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, terminator)
	return [sha256.Size]byte(k)
}

// hmacKey32 returns HMAC-SHA256(key, b[hmacBlock:]), using b[:hmacBlock] as scratch for the
// inner pad. It is RFC 2104 written out for a 32-byte key, because crypto/hmac allocates its
// state on every use and this runs on every request. TestHMACKey32 checks it against
// crypto/hmac.
func hmacKey32(key *[sha256.Size]byte, b []byte) [sha256.Size]byte {
	const ipad, opad = 0x36, 0x5c
	for i := range hmacBlock {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		b[i] = k ^ ipad
	}
	inner := sha256.Sum256(b)

	var outer [hmacBlock + sha256.Size]byte
	for i := range hmacBlock {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		outer[i] = k ^ opad
	}
	copy(outer[hmacBlock:], inner[:])
	return sha256.Sum256(outer[:])
}
