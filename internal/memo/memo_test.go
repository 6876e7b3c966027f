package memo

import (
	"errors"
	"strconv"
	"sync"
	"testing"
)

func TestGetComputesOncePerKey(t *testing.T) {
	c := Memo[int]{Max: 4}
	calls := 0
	parse := func(s string) (int, error) { calls++; return strconv.Atoi(s) }
	for range 3 {
		if v, err := c.Get("42", parse); v != 42 || err != nil {
			t.Fatalf("Get = %d, %v", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("computed %d times, want 1", calls)
	}
	if _, err := c.Get("x", parse); err == nil {
		t.Fatal("an error was not returned")
	}
	if _, err := c.Get("x", parse); err == nil || calls != 3 {
		t.Errorf("an error was remembered (%d calls)", calls)
	}
}

func TestBounded(t *testing.T) {
	c := Memo[string]{Max: 3}
	id := func(s string) (string, error) { return s, nil }
	for i := range 10 {
		if _, err := c.Get(strconv.Itoa(i), id); err != nil {
			t.Fatal(err)
		}
		if len(c.m) > 3 {
			t.Fatalf("%d entries, Max 3", len(c.m))
		}
	}
}

func TestConcurrent(t *testing.T) {
	c := Memo[int]{Max: 8}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 100 {
				k := strconv.Itoa((i + j) % 12)
				if v, err := c.Get(k, strconv.Atoi); err != nil || strconv.Itoa(v) != k {
					t.Errorf("Get(%s) = %d, %v", k, v, err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := c.Get("", func(string) (int, error) { return 0, errors.New("no") }); err == nil {
		t.Error("no error")
	}
}
