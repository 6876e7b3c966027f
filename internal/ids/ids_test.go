package ids

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"
)

func TestGUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		g := GUID()
		if !re.MatchString(g) || seen[g] {
			t.Fatalf("bad or repeated guid %q", g)
		}
		seen[g] = true
	}
}

func TestTimeOrdered(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var g TimeOrdered
	at := time.UnixMilli(1_700_000_000_123).Add(500 * time.Microsecond)
	first := g.Next(at)
	if !re.MatchString(first) {
		t.Fatalf("not a version 7 UUID: %q", first)
	}
	// The first 48 bits are the milliseconds, the next 12 after the version their fraction.
	if got, want := first[:8]+first[9:13], fmt.Sprintf("%012x", at.UnixMilli()); got != want {
		t.Errorf("timestamp %s, want %s", got, want)
	}
	if got, want := first[15:18], fmt.Sprintf("%03x", 2048); got != want {
		t.Errorf("fraction %s, want %s (half a millisecond)", got, want)
	}
	// A clock before 1970 gives the epoch, not a wrapped stamp.
	if early := (&TimeOrdered{}).Next(time.Unix(-5, 0)); !re.MatchString(early) || early[:13] != "00000000-0000" {
		t.Errorf("before 1970: %q", early)
	}
	// The same instant, or a clock that went back, still gives larger IDs.
	prev := first
	for _, now := range []time.Time{at, at, at.Add(-time.Second), at.Add(time.Nanosecond)} {
		next := g.Next(now)
		if next <= prev {
			t.Fatalf("%q after %q: not increasing", next, prev)
		}
		prev = next
	}
}

func TestTimeOrderedConcurrent(t *testing.T) {
	var (
		g    TimeOrdered
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	now := time.Now()
	for range 8 {
		wg.Go(func() {
			prev := ""
			var mine []string
			for range 1000 {
				id := g.Next(now) // one instant for all: only the sequence can order them
				if id <= prev {
					t.Errorf("%q after %q in one goroutine", id, prev)
					return
				}
				prev = id
				mine = append(mine, id)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range mine {
				if seen[id] {
					t.Errorf("%q handed out twice", id)
				}
				seen[id] = true
			}
		})
	}
	wg.Wait()
}
