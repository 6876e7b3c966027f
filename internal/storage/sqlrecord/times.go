package sqlrecord

import "time"

// ToMillis is how the SQL backends store a time: unix milliseconds, the precision the
// contract promises, and one that, unlike nanoseconds, covers every year a time.Time can
// hold (the zero time too).
func ToMillis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis is the inverse of ToMillis, in UTC as the contract demands. The zero
// time.Time survives the round trip: FromMillis(ToMillis(time.Time{})).IsZero().
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
