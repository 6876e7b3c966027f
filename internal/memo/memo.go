// Package memo remembers what a pure function made of a string: parsing a stored JSON
// document that every request on a hot path reads, for example. The key is the input
// itself, so a changed document is simply a new key: there is nothing to invalidate, and
// an entry is as good in one node, store or tenant as in another.
package memo

import "sync"

// Memo is a bounded memo of one function. When it holds Max entries it starts over,
// which is cheap and enough for inputs far fewer than Max at any time. The zero value
// (with Max set) is ready to use; it is safe for concurrent use. Values are shared by all
// callers and must not be modified.
type Memo[V any] struct {
	Max int

	mu sync.RWMutex
	m  map[string]V
}

// Get returns what compute returned for key, calling compute on the first request for it.
// An error from compute is returned and not remembered.
func (c *Memo[V]) Get(key string, compute func(string) (V, error)) (V, error) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := compute(key)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.Max {
		c.m = make(map[string]V)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v, nil
}
