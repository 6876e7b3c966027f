// Package ids generates the random identifiers idpool hands out: the guid part of pool and
// identity IDs and request IDs.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
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

// TimeOrdered hands out version 7 UUIDs (RFC 9562) that increase strictly within the
// process. The first 48 bits are the Unix time in milliseconds and the next 12 (rand_a)
// its fraction in 1/4096ths (the RFC's method 3), then 62 random bits, which keep the IDs
// unguessable.
//
// Order is what a database needs from them: a key larger than every key already in an
// index is appended to the index's last page, so a commit of many new identities dirties
// one page per index. With millisecond timestamps alone, the identities created within a
// millisecond (a score of them under load) came in random order; inserting among the last
// keys of a full page makes SQLite rebalance it with its neighbours, which multiplied the
// pages each commit wrote threefold. A stamp never repeats, nor goes back with the clock:
// when the clock has not moved past the last stamp, the next stamp is the last plus one.
//
// The zero value is ready to use; it is safe for concurrent use.
type TimeOrdered struct {
	last atomic.Uint64 // the last stamp handed out: milliseconds << 12 | fraction
}

// Next returns the next GUID for the time now.
func (g *TimeOrdered) Next(now time.Time) string {
	ns := max(now.UnixNano(), 0) // a clock before 1970 would wrap the stamp
	stamp := uint64(ns/1e6)<<12 | uint64(ns%1e6*4096/1e6)
	for {
		last := g.last.Load()
		if stamp <= last {
			stamp = last + 1
		}
		if g.last.CompareAndSwap(last, stamp) {
			break
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[8:])
	ms, frac := stamp>>12, stamp&0xfff
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6], b[7] = 0x70|byte(frac>>8), byte(frac)
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
