package metrics

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Other is the label value that collects operations the registry was not built with and,
// per operation, outcomes beyond the first MaxOutcomes.
const Other = "other"

// Success is the outcome of a request that did not fail; it is interned for every
// operation from the start so its series exists before the first request.
const Success = "success"

// MaxOutcomes is how many distinct outcome label values one operation keeps, "success"
// included and Other not counted; later new outcomes are counted under Other.
const MaxOutcomes = 32

// bucketBounds are the upper bounds (inclusive, like Prometheus "le") of the
// request-duration histogram, a 1-2.5-5 series from 0.5 ms to 5 s.
var bucketBounds = [...]time.Duration{
	500 * time.Microsecond,
	1 * time.Millisecond,
	2500 * time.Microsecond,
	5 * time.Millisecond,
	10 * time.Millisecond,
	25 * time.Millisecond,
	50 * time.Millisecond,
	100 * time.Millisecond,
	250 * time.Millisecond,
	500 * time.Millisecond,
	1 * time.Second,
	2500 * time.Millisecond,
	5 * time.Second,
}

// Registry holds every series idpool exposes. Build it with New; it is safe for
// concurrent use.
type Registry struct {
	ops    []*OpMetrics          // sorted by name; includes other
	byName map[string]*OpMetrics // read-only after New
	other  *OpMetrics

	inFlight atomic.Int64
	version  atomic.Pointer[string]
}

// New builds a registry for the given operation names. Duplicates are ignored, and an
// operation named Other is the same as the fallback every registry has. Names must be
// valid UTF-8; invalid bytes are replaced with U+FFFD.
func New(operations []string) *Registry {
	r := &Registry{byName: make(map[string]*OpMetrics, len(operations)+1)}
	r.other = newOpMetrics(Other)
	r.byName[Other] = r.other
	r.ops = append(r.ops, r.other)
	for _, name := range operations {
		name = strings.ToValidUTF8(name, "\uFFFD")
		if _, dup := r.byName[name]; dup {
			continue
		}
		m := newOpMetrics(name)
		r.byName[name] = m
		r.ops = append(r.ops, m)
	}
	slices.SortFunc(r.ops, func(a, b *OpMetrics) int { return strings.Compare(a.name, b.name) })
	v := "unknown"
	r.version.Store(&v)
	return r
}

// SetVersion sets the version label of idpool_build_info; until it is called the label
// is "unknown". An empty version is stored as "unknown".
func (r *Registry) SetVersion(version string) {
	if r == nil {
		return
	}
	if version == "" {
		version = "unknown"
	}
	r.version.Store(&version)
}

// Op returns the handle for an operation name, or the Other handle if the registry was
// not built with that name. It does a map lookup, so resolve handles once at startup and
// keep them. A nil registry returns a nil handle, whose Observe does nothing.
func (r *Registry) Op(name string) *OpMetrics {
	if r == nil {
		return nil
	}
	if m, ok := r.byName[name]; ok {
		return m
	}
	return r.other
}

// IncInFlight adds one to idpool_requests_in_flight; pair it with DecInFlight.
func (r *Registry) IncInFlight() {
	if r != nil {
		r.inFlight.Add(1)
	}
}

// DecInFlight subtracts one from idpool_requests_in_flight.
func (r *Registry) DecInFlight() {
	if r != nil {
		r.inFlight.Add(-1)
	}
}

// OpMetrics is the handle of one operation: its requests_total counters by outcome and
// its request-duration histogram. It is safe for concurrent use.
type OpMetrics struct {
	name string

	// outcomes is replaced (copy on write, under mu) when an outcome is interned; Observe
	// only loads it.
	outcomes atomic.Pointer[outcomeTable]
	mu       sync.Mutex
	overflow *outcomeCounter // outcome "other"

	_ [64]byte // keep the hot histogram words off the line holding the fields above

	// buckets[i] counts observations in (bucketBounds[i-1], bucketBounds[i]]; the last
	// one counts those above the largest bound. Not cumulative: the writer sums them.
	buckets  [len(bucketBounds) + 1]atomic.Uint64
	sumNanos atomic.Uint64

	_ [64]byte
}

type outcomeTable struct {
	entries []*outcomeCounter // first-seen order, at most MaxOutcomes
}

// outcomeCounter is padded to a cache line so that outcomes counted from different
// goroutines do not share one.
type outcomeCounter struct {
	n    atomic.Uint64
	name string
	_    [64 - 8 - 16]byte
}

func newOpMetrics(name string) *OpMetrics {
	m := &OpMetrics{name: name, overflow: &outcomeCounter{name: Other}}
	m.outcomes.Store(&outcomeTable{entries: []*outcomeCounter{{name: Success}}})
	return m
}

// Name returns the operation label value of the handle.
func (m *OpMetrics) Name() string {
	if m == nil {
		return ""
	}
	return m.name
}

// Observe records one finished request: outcome is Success or the AWS exception name
// the client saw, d how long the request took (negative durations count as zero).
// It does not allocate once the outcome has been seen for this operation.
func (m *OpMetrics) Observe(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.counter(outcome).n.Add(1)

	i := 0
	for i < len(bucketBounds) && d > bucketBounds[i] {
		i++
	}
	m.buckets[i].Add(1)
	if d > 0 {
		m.sumNanos.Add(uint64(d))
	}
}

// counter returns the counter for outcome, interning it if there is room.
func (m *OpMetrics) counter(outcome string) *outcomeCounter {
	t := m.outcomes.Load()
	for _, c := range t.entries {
		if c.name == outcome {
			return c
		}
	}
	if len(t.entries) >= MaxOutcomes || outcome == Other || outcome == "" || !utf8.ValidString(outcome) {
		return m.overflow
	}
	return m.intern(outcome)
}

func (m *OpMetrics) intern(outcome string) *outcomeCounter {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.outcomes.Load()
	for _, c := range t.entries {
		if c.name == outcome {
			return c
		}
	}
	if len(t.entries) >= MaxOutcomes {
		return m.overflow
	}
	// Clone so a caller's outcome string backed by a larger buffer is not retained.
	c := &outcomeCounter{name: strings.Clone(outcome)}
	entries := make([]*outcomeCounter, len(t.entries), len(t.entries)+1)
	copy(entries, t.entries)
	m.outcomes.Store(&outcomeTable{entries: append(entries, c)})
	return c
}
