package logbuf

import (
	"fmt"
	"sync"
	"testing"
)

func TestConcurrentWrites(t *testing.T) {
	var (
		b  Buffer
		wg sync.WaitGroup
	)
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if b.Len() != 8*100*2 {
		t.Errorf("%d bytes, want %d", b.Len(), 8*100*2)
	}
}
