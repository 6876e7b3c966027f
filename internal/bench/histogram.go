package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram is a log-linear latency histogram in the manner of HdrHistogram: values (in
// nanoseconds) below 2^subBits are counted exactly; above, every power-of-two range
// [2^k, 2^(k+1)) is split into 2^(subBits-1) equal buckets, so a bucket is at most 1/128
// of its values wide and the midpoint reported for it is within 0.4% of any value in it.
// Values above MaxValue (about 69 s) are counted in the last bucket; the exact minimum,
// maximum, sum and count are kept besides. Record does not allocate. A Histogram is not
// safe for concurrent use: each client keeps its own, and they are merged at the end.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64 // nanoseconds
	min    int64
	max    int64
}

const (
	subBits    = 8
	subCount   = 1 << subBits // exact values below this, and buckets per index "row"
	subHalf    = subCount / 2 // buckets per power of two above subCount
	maxShift   = 28           // the largest k: values < 2^(subBits+maxShift)
	numBuckets = maxShift*subHalf + subCount
	// MaxValue is the largest value told apart from larger ones: 2^36-1 ns, about 68.7 s.
	MaxValue = int64(1)<<(subBits+maxShift) - 1
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{min: math.MaxInt64} }

// bucketOf returns the bucket index of v (0 <= v <= MaxValue).
func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	k := bits.Len64(uint64(v)) - subBits
	return k*subHalf + int(v>>k)
}

// bucketRange returns the smallest value of bucket i and the bucket's width.
func bucketRange(i int) (lo, width int64) {
	if i < subCount {
		return int64(i), 1
	}
	k := i/subHalf - 1
	s := i - k*subHalf
	return int64(s) << k, int64(1) << k
}

// Record adds one value (a latency).
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
	if v > MaxValue {
		v = MaxValue
	}
	h.counts[bucketOf(v)]++
}

// Merge adds the values of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{min: math.MaxInt64} }

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min is the smallest value recorded (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.min)
}

// Max is the largest value recorded (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the exact mean of the values recorded (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at quantile q (0 < q <= 1): the value v such that a
// fraction q of the values recorded are at most v, as the midpoint of its bucket, kept
// within the exact minimum and maximum (the largest value is the exact maximum). It is 0
// when h is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	rank = min(rank, h.n)
	if rank == h.n {
		return time.Duration(h.max) // the largest value is known exactly
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			v := lo + (w-1)/2
			v = max(v, h.min)
			v = min(v, h.max)
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
