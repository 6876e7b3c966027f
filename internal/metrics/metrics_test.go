package metrics

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// operations are the 23 Cognito Identity operations plus the extras idpool serves.
var operations = []string{
	"CreateIdentityPool", "DeleteIdentities", "DeleteIdentityPool", "DescribeIdentity",
	"DescribeIdentityPool", "GetCredentialsForIdentity", "GetId", "GetIdentityPoolRoles",
	"GetOpenIdToken", "GetOpenIdTokenForDeveloperIdentity", "GetPrincipalTagAttributeMap",
	"ListIdentities", "ListIdentityPools", "ListTagsForResource", "LookupDeveloperIdentity",
	"MergeDeveloperIdentities", "SetIdentityPoolRoles", "SetPrincipalTagAttributeMap",
	"TagResource", "UnlinkDeveloperIdentity", "UnlinkIdentity", "UntagResource",
	"UpdateIdentityPool", "STS.GetCallerIdentity",
}

func scrape(t testing.TB, r *Registry) *exposition {
	t.Helper()
	text := string(r.AppendText(nil))
	e, err := parseExposition(text)
	if err != nil {
		t.Fatalf("invalid exposition: %v\n%s", err, text)
	}
	return e
}

func mustValue(t testing.TB, e *exposition, name string, labels ...string) float64 {
	t.Helper()
	v, ok := e.value(name, labels...)
	if !ok {
		t.Fatalf("series %s missing", seriesKey(name, labels))
	}
	return v
}

func TestConcurrentObserveExactCounts(t *testing.T) {
	r := New(operations)
	ops := []string{"GetId", "GetCredentialsForIdentity", "NoSuchOperation"}
	outcomes := []string{"success", "ValidationException", "NotAuthorizedException", "ResourceNotFoundException"}
	handles := make([]*OpMetrics, len(ops))
	for i, name := range ops {
		handles[i] = r.Op(name)
	}

	const workers, perWorker = 64, 2000
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range perWorker {
				n := w*perWorker + i
				handles[n%len(ops)].Observe(outcomes[(n/len(ops))%len(outcomes)], time.Duration(n%7)*time.Millisecond)
			}
		}()
	}
	// Scrape while writers run: every scrape must still be valid.
	stop := make(chan struct{})
	scraped := make(chan error)
	go func() {
		var err error
		for {
			select {
			case <-stop:
				scraped <- err
				return
			default:
			}
			if _, e := parseExposition(string(r.AppendText(nil))); e != nil && err == nil {
				err = e
			}
		}
	}()
	close(start)
	wg.Wait()
	close(stop)
	if err := <-scraped; err != nil {
		t.Fatalf("scrape during writes: %v", err)
	}

	// Expected values, computed the same way serially.
	wantCount := map[[2]string]uint64{}
	wantHist := map[string]uint64{}
	wantSum := map[string]time.Duration{}
	for n := range workers * perWorker {
		op := r.Op(ops[n%len(ops)]).Name()
		wantCount[[2]string{op, outcomes[(n/len(ops))%len(outcomes)]}]++
		wantHist[op]++
		wantSum[op] += time.Duration(n%7) * time.Millisecond
	}

	e := scrape(t, r)
	for k, want := range wantCount {
		if got := mustValue(t, e, "idpool_requests_total", "operation", k[0], "outcome", k[1]); got != float64(want) {
			t.Errorf("requests_total{%s,%s} = %v, want %d", k[0], k[1], got, want)
		}
	}
	for op, want := range wantHist {
		if got := mustValue(t, e, "idpool_request_duration_seconds_count", "operation", op); got != float64(want) {
			t.Errorf("duration_count{%s} = %v, want %d", op, got, want)
		}
		if got := mustValue(t, e, "idpool_request_duration_seconds_bucket", "operation", op, "le", "+Inf"); got != float64(want) {
			t.Errorf("duration_bucket{%s,+Inf} = %v, want %d", op, got, want)
		}
		got := mustValue(t, e, "idpool_request_duration_seconds_sum", "operation", op)
		if want := wantSum[op].Seconds(); got != want {
			t.Errorf("duration_sum{%s} = %v, want %v", op, got, want)
		}
	}
	// The unknown operation was counted under "other", and nothing else was counted.
	if _, ok := e.value("idpool_requests_total", "operation", "NoSuchOperation", "outcome", "success"); ok {
		t.Error("unknown operation got its own series")
	}
	var total float64
	for _, f := range e.families {
		if f.name == "idpool_requests_total" {
			for _, s := range f.samples {
				total += s.value
			}
		}
	}
	if total != workers*perWorker {
		t.Errorf("sum of requests_total = %v, want %d", total, workers*perWorker)
	}
}

func TestHistogramBuckets(t *testing.T) {
	r := New([]string{"GetId"})
	m := r.Op("GetId")
	durations := []time.Duration{
		-time.Second,           // counts as 0
		0,                      // le 0.0005
		500 * time.Microsecond, // le 0.0005: bounds are inclusive
		500*time.Microsecond + 1,
		3 * time.Millisecond, // le 0.005
		time.Second,          // le 1
		5 * time.Second,      // le 5
		5*time.Second + 1,    // +Inf only
		time.Hour,            // +Inf only
	}
	var sum time.Duration
	for _, d := range durations {
		m.Observe("success", d)
		sum += max(d, 0)
	}
	want := map[string]float64{
		"0.0005": 3, "0.001": 4, "0.0025": 4, "0.005": 5, "0.01": 5, "0.025": 5, "0.05": 5,
		"0.1": 5, "0.25": 5, "0.5": 5, "1": 6, "2.5": 6, "5": 7, "+Inf": 9,
	}
	e := scrape(t, r)
	var les []string
	for _, f := range e.families {
		if f.name != "idpool_request_duration_seconds" {
			continue
		}
		for _, s := range f.samples {
			if s.name == "idpool_request_duration_seconds_bucket" && s.labels["operation"] == "GetId" {
				les = append(les, s.labels["le"])
			}
		}
	}
	if !slices.Equal(les, leLabels) || len(les) != len(want) {
		t.Fatalf("le labels = %v, want %v", les, leLabels)
	}
	for le, w := range want {
		if got := mustValue(t, e, "idpool_request_duration_seconds_bucket", "operation", "GetId", "le", le); got != w {
			t.Errorf("bucket le=%s = %v, want %v", le, got, w)
		}
	}
	if got := mustValue(t, e, "idpool_request_duration_seconds_count", "operation", "GetId"); got != 9 {
		t.Errorf("_count = %v, want 9", got)
	}
	if got := mustValue(t, e, "idpool_request_duration_seconds_sum", "operation", "GetId"); got != sum.Seconds() {
		t.Errorf("_sum = %v, want %v", got, sum.Seconds())
	}
	// Operations with no requests still expose a zero histogram.
	if got := mustValue(t, e, "idpool_request_duration_seconds_bucket", "operation", "other", "le", "+Inf"); got != 0 {
		t.Errorf("other +Inf = %v, want 0", got)
	}
}

func TestBucketBoundsIncreasing(t *testing.T) {
	for i := 1; i < len(bucketBounds); i++ {
		if bucketBounds[i] <= bucketBounds[i-1] {
			t.Fatalf("bucketBounds not increasing at %d", i)
		}
	}
	if bucketBounds[0] != 500*time.Microsecond || bucketBounds[len(bucketBounds)-1] != 5*time.Second {
		t.Fatalf("bounds span %v..%v, want 0.5ms..5s", bucketBounds[0], bucketBounds[len(bucketBounds)-1])
	}
}

func TestOutcomesBounded(t *testing.T) {
	r := New([]string{"GetId"})
	m := r.Op("GetId")
	const distinct = 100
	for i := range distinct {
		m.Observe(fmt.Sprintf("Exception%03d", i), time.Millisecond)
		m.Observe(fmt.Sprintf("Exception%03d", i), time.Millisecond)
	}
	m.Observe("other", 0)        // the literal overflow name shares the overflow series
	m.Observe("", 0)             // empty: overflow
	m.Observe("Bad\xffUTF8", 0)  // invalid UTF-8: overflow
	m.Observe("success", 0)      // pre-interned, still counted
	m.Observe("Exception000", 0) // interned before the table filled
	e := scrape(t, r)

	var names []string
	var total float64
	for _, f := range e.families {
		if f.name != "idpool_requests_total" {
			continue
		}
		for _, s := range f.samples {
			if s.labels["operation"] == "GetId" {
				names = append(names, s.labels["outcome"])
				total += s.value
			}
		}
	}
	// success + 31 exceptions + other.
	if len(names) != MaxOutcomes+1 {
		t.Fatalf("got %d outcome series, want %d: %v", len(names), MaxOutcomes+1, names)
	}
	if !slices.IsSorted(names) {
		t.Errorf("outcomes not sorted: %v", names)
	}
	if total != 2*distinct+5 {
		t.Errorf("total = %v, want %d", total, 2*distinct+5)
	}
	if got := mustValue(t, e, "idpool_requests_total", "operation", "GetId", "outcome", "Exception000"); got != 3 {
		t.Errorf("Exception000 = %v, want 3", got)
	}
	if got := mustValue(t, e, "idpool_requests_total", "operation", "GetId", "outcome", "Exception030"); got != 2 {
		t.Errorf("Exception030 = %v, want 2", got)
	}
	if _, ok := e.value("idpool_requests_total", "operation", "GetId", "outcome", "Exception031"); ok {
		t.Error("Exception031 interned beyond the limit")
	}
	wantOther := float64(2*(distinct-(MaxOutcomes-1)) + 3)
	if got := mustValue(t, e, "idpool_requests_total", "operation", "GetId", "outcome", "other"); got != wantOther {
		t.Errorf("other = %v, want %v", got, wantOther)
	}
}

func TestUnknownOperationAndDuplicates(t *testing.T) {
	r := New([]string{"GetId", "GetId", "other", "ListIdentities"})
	if r.Op("Nope") != r.Op("other") || r.Op("Nope").Name() != "other" {
		t.Fatal("unknown operation does not map to other")
	}
	if r.Op("GetId") == r.Op("other") || r.Op("GetId").Name() != "GetId" {
		t.Fatal("known operation maps to other")
	}
	e := scrape(t, r)
	var ops []string
	for _, f := range e.families {
		if f.name == "idpool_requests_total" {
			for _, s := range f.samples {
				ops = append(ops, s.labels["operation"])
			}
		}
	}
	if want := []string{"GetId", "ListIdentities", "other"}; !slices.Equal(ops, want) {
		t.Errorf("operations = %v, want %v", ops, want)
	}
}

func TestExpositionFormat(t *testing.T) {
	weird := "We\"ird\\Op\nName"
	r := New(append(slices.Clone(operations), weird, "Bad\xffName"))
	r.SetVersion("v1.2.3 \"quoted\"\\")
	r.Op(weird).Observe("Odd\"Outcome\\With\nNewline", 2*time.Millisecond)
	r.Op("GetId").Observe("success", time.Millisecond)
	r.IncInFlight()
	r.IncInFlight()
	r.IncInFlight()
	r.DecInFlight()

	text := string(r.AppendText(nil))
	e, err := parseExposition(text)
	if err != nil {
		t.Fatalf("invalid exposition: %v\n%s", err, text)
	}
	if !strings.Contains(text, `operation="We\"ird\\Op\nName",outcome="Odd\"Outcome\\With\nNewline"} 1`+"\n") {
		t.Errorf("label values not escaped as expected:\n%s", text)
	}
	if got := mustValue(t, e, "idpool_requests_total", "operation", weird, "outcome", "Odd\"Outcome\\With\nNewline"); got != 1 {
		t.Errorf("escaped series round-trips to %v, want 1", got)
	}
	if got := mustValue(t, e, "idpool_requests_total", "operation", "Bad\uFFFDName", "outcome", "success"); got != 0 {
		t.Errorf("invalid UTF-8 op = %v", got)
	}
	if got := mustValue(t, e, "idpool_build_info", "version", "v1.2.3 \"quoted\"\\"); got != 1 {
		t.Errorf("build_info = %v", got)
	}
	if got := mustValue(t, e, "idpool_requests_in_flight"); got != 2 {
		t.Errorf("in_flight = %v, want 2", got)
	}
	if got := mustValue(t, e, "go_goroutines"); got < 1 {
		t.Errorf("go_goroutines = %v", got)
	}
	if got := mustValue(t, e, "go_memstats_alloc_bytes"); got <= 0 {
		t.Errorf("go_memstats_alloc_bytes = %v", got)
	}
	start := mustValue(t, e, "process_start_time_seconds")
	if now := float64(time.Now().Unix()); start > now+1 || start < now-24*3600 {
		t.Errorf("process_start_time_seconds = %v, now %v", start, now)
	}

	wantFamilies := []struct{ name, typ string }{
		{"go_goroutines", "gauge"},
		{"go_memstats_alloc_bytes", "gauge"},
		{"idpool_build_info", "gauge"},
		{"idpool_request_duration_seconds", "histogram"},
		{"idpool_requests_in_flight", "gauge"},
		{"idpool_requests_total", "counter"},
		{"process_start_time_seconds", "gauge"},
	}
	if len(e.families) != len(wantFamilies) {
		t.Fatalf("got %d families, want %d", len(e.families), len(wantFamilies))
	}
	for i, f := range e.families {
		if f.name != wantFamilies[i].name || f.typ != wantFamilies[i].typ {
			t.Errorf("family %d = %s %s, want %s %s", i, f.name, f.typ, wantFamilies[i].name, wantFamilies[i].typ)
		}
	}
	// Series order: by operation, then outcome (requests_total) or le (histogram).
	for _, f := range e.families {
		var keys [][2]string
		for _, s := range f.samples {
			keys = append(keys, [2]string{s.labels["operation"], s.labels["outcome"]})
		}
		if !slices.IsSortedFunc(keys, func(a, b [2]string) int {
			return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
		}) {
			t.Errorf("%s series not sorted", f.name)
		}
	}

	// Deterministic: with the runtime gauges removed, two scrapes are identical.
	stable := func(s string) string {
		var out []string
		for _, line := range strings.Split(s, "\n") {
			if !strings.HasPrefix(line, "go_") {
				out = append(out, line)
			}
		}
		return strings.Join(out, "\n")
	}
	if a, b := stable(text), stable(string(r.AppendText(nil))); a != b {
		t.Errorf("two scrapes differ:\n%s\n---\n%s", a, b)
	}
}

func TestCheckerRejectsBadInput(t *testing.T) {
	bad := []string{
		"",
		"x 1",   // no trailing newline
		"x 1\n", // no HELP/TYPE
		"# HELP x h\n# TYPE x gauge\nx{a=\"\\t\"} 1\n", // bad escape
		"# HELP x h\n# TYPE x gauge\nx{a=b} 1\n",       // unquoted
		"# HELP x h\n# TYPE x gauge\nx 1\nx 2\n",       // duplicate
		"# HELP x h\n# TYPE x gauge\nx one\n",          // bad value
		"# HELP x h\n# TYPE x counter\nx -1\n",         // negative counter
		"# HELP x h\n# TYPE x histogram\nx_bucket{le=\"1\"} 2\nx_bucket{le=\"+Inf\"} 1\nx_sum 0\nx_count 1\n",
		"# HELP x h\n# TYPE x histogram\nx_bucket{le=\"+Inf\"} 2\nx_sum 0\nx_count 1\n",
		"# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\n# HELP x h\n",
	}
	for _, text := range bad {
		if _, err := parseExposition(text); err == nil {
			t.Errorf("checker accepted %q", text)
		}
	}
	good := "# HELP x a \\\\ b\n# TYPE x histogram\nx_bucket{op=\"a\",le=\"0.5\"} 1\nx_bucket{op=\"a\",le=\"+Inf\"} 2\nx_sum{op=\"a\"} 1.5e+06\nx_count{op=\"a\"} 2\n"
	if _, err := parseExposition(good); err != nil {
		t.Errorf("checker rejected valid input: %v", err)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	r := New(operations)
	m := r.Op("GetId")
	m.Observe("ValidationException", time.Millisecond) // intern once
	cases := map[string]func(){
		"success":  func() { m.Observe("success", 3*time.Millisecond) },
		"interned": func() { m.Observe("ValidationException", 30*time.Second) },
		"other op": func() { r.Op("Nope").Observe("success", time.Millisecond) },
		"nil":      func() { (*OpMetrics)(nil).Observe("success", time.Millisecond) },
		"in flight": func() {
			r.IncInFlight()
			r.DecInFlight()
		},
	}
	// An outcome not interned, on an operation whose table is full, goes to "other"
	// without allocating either.
	full := r.Op("ListIdentities")
	for i := range MaxOutcomes {
		full.Observe("E"+strconv.Itoa(i), 0)
	}
	overflow := "NeverInterned" + strconv.Itoa(42) // not a constant, so compared by content
	cases["overflow"] = func() { full.Observe(overflow, time.Millisecond) }
	for name, f := range cases {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocs per Observe, want 0", name, n)
		}
	}
}

func TestNilRegistry(t *testing.T) {
	var r *Registry
	r.Op("GetId").Observe("success", time.Millisecond)
	r.IncInFlight()
	r.DecInFlight()
	r.SetVersion("v1")
	if _, err := parseExposition(string(r.AppendText(nil))); err != nil {
		t.Fatal(err)
	}
}

func TestHandler(t *testing.T) {
	r := New(operations)
	r.Op("GetId").Observe("success", time.Millisecond)
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if resp.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length %d, body %d", resp.ContentLength, len(body))
	}
	e, err := parseExposition(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := mustValue(t, e, "idpool_requests_total", "operation", "GetId", "outcome", "success"); got != 1 {
		t.Errorf("GetId success = %v", got)
	}

	resp, err = http.Head(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ContentType {
		t.Errorf("HEAD: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	resp, err = http.Post(srv.URL+"/metrics", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}

	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (wrote %d)", n, err, buf.Len())
	}
}

func BenchmarkObserve(b *testing.B) {
	r := New(operations)
	m := r.Op("GetId")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			m.Observe("success", d)
			d = (d + 137*time.Microsecond) % (10 * time.Millisecond)
		}
	})
}

// BenchmarkObserveSpread spreads goroutines over operations and outcomes, closer to real
// traffic than every goroutine hitting one counter.
func BenchmarkObserveSpread(b *testing.B) {
	r := New(operations)
	outcomes := []string{"success", "ValidationException", "NotAuthorizedException", "ResourceNotFoundException"}
	for _, op := range operations {
		for _, o := range outcomes {
			r.Op(op).Observe(o, 0)
		}
	}
	var next sync.Mutex
	var seq int
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		seq++
		m := r.Op(operations[seq%len(operations)])
		next.Unlock()
		i := 0
		for pb.Next() {
			m.Observe(outcomes[i&3], time.Duration(i&1023)*10*time.Microsecond)
			i++
		}
	})
}

func BenchmarkObserveSerial(b *testing.B) {
	r := New(operations)
	m := r.Op("GetId")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Observe("success", time.Duration(i&1023)*10*time.Microsecond)
	}
}

func BenchmarkScrape(b *testing.B) {
	r := New(operations)
	for _, op := range operations {
		r.Op(op).Observe("success", time.Millisecond)
		r.Op(op).Observe("ValidationException", time.Millisecond)
	}
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendText(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
