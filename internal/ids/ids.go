// Package ids generates the random identifiers idpool hands out: the guid part of pool and
// identity IDs and request IDs.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// GUID returns 128 random bits as lowercase 8-4-4-4-12 hex, shaped as a version 4 UUID
// (the form AWS prints in pool IDs, identity IDs and request IDs).
func GUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return format(&b)
}

// TimeOrderedGUID returns a version 7 UUID (RFC 9562): the Unix time in milliseconds in
// its first 48 bits, then 74 random bits. IDs made later sort later, so a database
// inserts them at the end of its indexes, touching a page or two per commit instead of
// one random page per row; that is what lets a million identities be created without
// the write amplification of random keys. 74 random bits keep the IDs unguessable.
func TimeOrderedGUID(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	ms := uint64(now.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return format(&b)
}

// format writes b as lowercase 8-4-4-4-12 hex.
func format(b *[16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
