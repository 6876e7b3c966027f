package server

import (
	"sync"
	"time"
)

// expiring remembers values read from storage for a short while, for the reads every
// credentials request makes (its pool, its role's trust policy). A write through this
// node calls forget, so this node sees its own changes at once; a change made through
// another node sharing the database is seen within ttl, the way changes to AWS's IAM and
// Cognito configuration take a moment to propagate.
type expiring[V any] struct {
	ttl time.Duration
	max int // when full, the map starts over
	now func() time.Time

	mu      sync.Mutex
	entries map[string]expiringEntry[V]
	// gen counts forgets, so that a read that raced one does not store what it read.
	gen uint64
}

type expiringEntry[V any] struct {
	v       V
	fetched time.Time
}

func newExpiring[V any](ttl time.Duration, max int, now func() time.Time) *expiring[V] {
	return &expiring[V]{ttl: ttl, max: max, now: now, entries: make(map[string]expiringEntry[V])}
}

// get returns the value of key, calling read when it is absent or older than ttl. When
// read fails, nothing is stored and its error is returned.
func (c *expiring[V]) get(key string, read func() (V, error)) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.v, nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
		c.entries[key] = expiringEntry[V]{v: v, fetched: now}
	}
	c.mu.Unlock()
	return v, nil
}

func (c *expiring[V]) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.gen++
	c.mu.Unlock()
}
