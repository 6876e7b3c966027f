package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// within checks got against want with the histogram's relative error (plus 1 ns).
func within(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	if diff := math.Abs(float64(got - want)); diff > float64(want)*0.01+1 {
		t.Errorf("%s = %v, want %v (±1%%)", what, got, want)
	}
}

func TestBucketsAreContiguous(t *testing.T) {
	// Every value maps to the bucket whose range holds it, and buckets tile the range.
	next := int64(0)
	for i := range numBuckets {
		lo, w := bucketRange(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if bucketOf(lo) != i || bucketOf(lo+w-1) != i {
			t.Fatalf("bucket %d [%d, %d) maps to %d, %d", i, lo, lo+w, bucketOf(lo), bucketOf(lo+w-1))
		}
		if lo >= subCount && float64(w)/float64(lo) > 1.0/subHalf {
			t.Fatalf("bucket %d too wide: %d at %d", i, w, lo)
		}
		next = lo + w
	}
	if next-1 != MaxValue {
		t.Fatalf("last bucket ends at %d, want %d", next-1, MaxValue)
	}
}

func TestHistogramUniform(t *testing.T) {
	// 1 µs .. 100 ms, each value once: quantile q is q * 100 ms.
	h := NewHistogram()
	const n = 100000
	for i := 1; i <= n; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	if h.Count() != n {
		t.Fatalf("count %d", h.Count())
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		within(t, "quantile", h.Quantile(q), time.Duration(q*n)*time.Microsecond)
	}
	if h.Min() != time.Microsecond || h.Max() != n*time.Microsecond {
		t.Errorf("min %v max %v", h.Min(), h.Max())
	}
	within(t, "mean", h.Mean(), (n+1)*time.Microsecond/2)
	if h.Quantile(1) != h.Max() {
		t.Errorf("p100 %v != max %v", h.Quantile(1), h.Max())
	}
}

func TestHistogramAgainstExactQuantiles(t *testing.T) {
	// A log-normal-ish distribution over the whole range, compared with sorted values.
	rng := rand.New(rand.NewPCG(1, 2))
	h := NewHistogram()
	vals := make([]time.Duration, 0, 200000)
	for range cap(vals) {
		v := time.Duration(math.Exp(rng.NormFloat64()*2+math.Log(2e6))) + time.Microsecond
		v = min(v, 60*time.Second)
		vals = append(vals, v)
		h.Record(v)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999} {
		want := vals[int(math.Ceil(q*float64(len(vals))))-1]
		within(t, "quantile", h.Quantile(q), want)
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b, all := NewHistogram(), NewHistogram(), NewHistogram()
	for i := range 1000 {
		d := time.Duration(i+1) * 37 * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(b)
	a.Merge(nil)
	a.Merge(NewHistogram())
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Fatalf("merged %d %v %v %v, want %d %v %v %v", a.Count(), a.Min(), a.Max(), a.Mean(), all.Count(), all.Min(), all.Max(), all.Mean())
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if a.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%v: %v != %v", q, a.Quantile(q), all.Quantile(q))
		}
	}
	// Merging into an empty histogram keeps the other's minimum.
	e := NewHistogram()
	e.Merge(all)
	if e.Min() != all.Min() {
		t.Errorf("min after merge into empty: %v", e.Min())
	}
}

func TestHistogramEdges(t *testing.T) {
	h := NewHistogram()
	if h.Quantile(0.5) != 0 || h.Mean() != 0 || h.Min() != 0 || h.Max() != 0 {
		t.Fatal("empty histogram not zero")
	}
	h.Record(-5)               // clock oddities count as 0
	h.Record(10 * time.Minute) // beyond the range: last bucket, exact max
	h.Record(250 * time.Nanosecond)
	if h.Min() != 0 || h.Max() != 10*time.Minute {
		t.Fatalf("min %v max %v", h.Min(), h.Max())
	}
	if got := h.Quantile(1); got != 10*time.Minute {
		t.Fatalf("p100 %v", got)
	}
	if got := h.Quantile(0.5); got != 250 {
		t.Fatalf("p50 %v", got)
	}
	h.Reset()
	if h.Count() != 0 {
		t.Fatal("reset")
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	h := NewHistogram()
	d := time.Duration(1234567)
	if n := testing.AllocsPerRun(1000, func() { h.Record(d); d += 1013 }); n != 0 {
		t.Fatalf("Record allocates %v times", n)
	}
}
