package metrics

import (
	"io"
	"math"
	"net/http"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ContentType is the media type of Prometheus text exposition format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// processStart approximates the process start time: package initialisation runs before
// main, within milliseconds of exec.
var processStart = time.Now()

// leLabels are the "le" label values of bucketBounds, then "+Inf".
var leLabels = func() []string {
	s := make([]string, 0, len(bucketBounds)+1)
	for _, b := range bucketBounds {
		s = append(s, formatFloat(b.Seconds()))
	}
	return append(s, "+Inf")
}()

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Handler serves the registry in Prometheus text format 0.0.4 to GET and HEAD requests,
// whatever the path; mount it at /metrics.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		bp := bufPool.Get().(*[]byte)
		b := r.AppendText((*bp)[:0])
		h := w.Header()
		h.Set("Content-Type", ContentType)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if req.Method != http.MethodHead {
			_, _ = w.Write(b)
		}
		if cap(b) <= 1<<20 {
			*bp = b
			bufPool.Put(bp)
		}
	})
}

// WriteTo writes the registry in Prometheus text format 0.0.4 to w.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.AppendText(nil))
	return int64(n), err
}

// AppendText appends the registry in Prometheus text format 0.0.4 to b and returns the
// extended buffer. Families are in name order, series in label order.
func (r *Registry) AppendText(b []byte) []byte {
	goroutines, heapBytes := readRuntime()

	b = appendHeader(b, "go_goroutines", "gauge", "Number of goroutines that currently exist.")
	b = append(b, "go_goroutines "...)
	b = strconv.AppendUint(b, goroutines, 10)
	b = append(b, '\n')

	b = appendHeader(b, "go_memstats_alloc_bytes", "gauge", "Number of bytes allocated in heap and currently in use.")
	b = append(b, "go_memstats_alloc_bytes "...)
	b = strconv.AppendUint(b, heapBytes, 10)
	b = append(b, '\n')

	if r == nil {
		return appendProcessStart(b)
	}

	b = appendHeader(b, "idpool_build_info", "gauge", "Build information about the idpool server; the value is always 1.")
	b = append(b, `idpool_build_info{version="`...)
	b = appendLabelValue(b, *r.version.Load())
	b = append(b, "\"} 1\n"...)

	b = appendHeader(b, "idpool_request_duration_seconds", "histogram", "Time taken to handle a request, by operation.")
	for _, m := range r.ops {
		var counts [len(bucketBounds) + 1]uint64
		for i := range m.buckets {
			counts[i] = m.buckets[i].Load()
		}
		sum := m.sumNanos.Load()
		var cum uint64
		for i, c := range counts {
			cum += c
			b = append(b, `idpool_request_duration_seconds_bucket{operation="`...)
			b = appendLabelValue(b, m.name)
			b = append(b, `",le="`...)
			b = append(b, leLabels[i]...)
			b = append(b, "\"} "...)
			b = strconv.AppendUint(b, cum, 10)
			b = append(b, '\n')
		}
		b = append(b, `idpool_request_duration_seconds_sum{operation="`...)
		b = appendLabelValue(b, m.name)
		b = append(b, "\"} "...)
		b = append(b, formatFloat(float64(sum)/1e9)...)
		b = append(b, '\n')
		b = append(b, `idpool_request_duration_seconds_count{operation="`...)
		b = appendLabelValue(b, m.name)
		b = append(b, "\"} "...)
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}

	b = appendHeader(b, "idpool_requests_in_flight", "gauge", "Number of requests currently being handled.")
	b = append(b, "idpool_requests_in_flight "...)
	b = strconv.AppendInt(b, r.inFlight.Load(), 10)
	b = append(b, '\n')

	b = appendHeader(b, "idpool_requests_total", "counter", "Requests handled, by operation and outcome (success or the AWS exception name).")
	type outcomeValue struct {
		name string
		n    uint64
	}
	var outcomes []outcomeValue
	for _, m := range r.ops {
		outcomes = outcomes[:0]
		for _, c := range m.outcomes.Load().entries {
			outcomes = append(outcomes, outcomeValue{c.name, c.n.Load()})
		}
		if n := m.overflow.n.Load(); n > 0 {
			outcomes = append(outcomes, outcomeValue{Other, n})
		}
		slices.SortFunc(outcomes, func(x, y outcomeValue) int { return strings.Compare(x.name, y.name) })
		for _, o := range outcomes {
			b = append(b, `idpool_requests_total{operation="`...)
			b = appendLabelValue(b, m.name)
			b = append(b, `",outcome="`...)
			b = appendLabelValue(b, o.name)
			b = append(b, "\"} "...)
			b = strconv.AppendUint(b, o.n, 10)
			b = append(b, '\n')
		}
	}

	return appendProcessStart(b)
}

func appendProcessStart(b []byte) []byte {
	b = appendHeader(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
	b = append(b, "process_start_time_seconds "...)
	b = append(b, formatFloat(float64(processStart.UnixMicro())/1e6)...)
	return append(b, '\n')
}

// readRuntime returns the number of goroutines and the bytes of heap objects (live and
// not yet swept, the same quantity as runtime.MemStats.HeapAlloc) without stopping the
// world.
func readRuntime() (goroutines, heapBytes uint64) {
	samples := []rtmetrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	rtmetrics.Read(samples)
	if samples[0].Value.Kind() == rtmetrics.KindUint64 {
		goroutines = samples[0].Value.Uint64()
	} else {
		goroutines = uint64(runtime.NumGoroutine())
	}
	if samples[1].Value.Kind() == rtmetrics.KindUint64 {
		heapBytes = samples[1].Value.Uint64()
	} else {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapBytes = ms.HeapAlloc
	}
	return goroutines, heapBytes
}

func appendHeader(b []byte, name, typ, help string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = appendEscaped(b, help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendLabelValue escapes a label value: backslash, double quote and line feed.
func appendLabelValue(b []byte, s string) []byte { return appendEscaped(b, s, true) }

// appendEscaped escapes backslash and line feed, and double quote if quote is set (HELP
// text leaves quotes alone). Invalid UTF-8 becomes U+FFFD.
func appendEscaped(b []byte, s string, quote bool) []byte {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
