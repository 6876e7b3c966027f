// Package metrics counts what idpool does and serves it as Prometheus text exposition
// format 0.0.4, using only the standard library.
//
// The set of operations is fixed when the Registry is built; a transport resolves one
// *OpMetrics handle per operation at startup with Registry.Op and calls Observe when a
// request finishes. Observe does no allocation, takes no lock and builds no strings: it
// finds the outcome among at most 32 interned names and adds to three atomic counters.
// Operation names the registry was not built with are counted under operation "other";
// after an operation has seen 32 distinct outcomes, further new outcomes are counted under
// outcome "other", so a misbehaving caller cannot grow the number of series without bound.
//
// Series served by Registry.Handler, families and series in sorted order:
//
//	go_goroutines                                    gauge
//	go_memstats_alloc_bytes                          gauge
//	idpool_build_info{version}                       gauge, always 1
//	idpool_request_duration_seconds{operation,le}    histogram, 0.0005 s to 5 s
//	idpool_requests_in_flight                        gauge
//	idpool_requests_total{operation,outcome}         counter
//	process_start_time_seconds                       gauge
//
// Outcome is "success" or the AWS exception name the client saw, such as
// "ValidationException". A scrape reads the counters one by one without stopping writers,
// so series are each exact but not a single point-in-time snapshot; within one histogram,
// _count is computed from the buckets so that it always equals the +Inf bucket.
//
// Nil handles are valid and do nothing, so metrics can be switched off by passing a nil
// *Registry around.
package metrics
