package ids

import (
	"regexp"
	"testing"
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
