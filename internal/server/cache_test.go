package server

import (
	"testing"
	"time"
)

// A read that a forget overtook must not store what it read: it may predate the write
// the forget follows.
func TestExpiringForgetDuringRead(t *testing.T) {
	c := newExpiring[string](time.Minute, 8, time.Now)
	got, err := c.get("k", func() (string, error) {
		c.forget("k") // a write through this node finishes while the read runs
		return "old", nil
	})
	if got != "old" || err != nil {
		t.Fatalf("get = %q, %v", got, err)
	}
	got, _ = c.get("k", func() (string, error) { return "new", nil })
	if got != "new" {
		t.Fatalf("the read that raced a forget was cached: got %q", got)
	}
	got, _ = c.get("k", func() (string, error) { return "newer", nil })
	if got != "new" {
		t.Fatalf("a read with no forget in between was not cached: got %q", got)
	}
}
