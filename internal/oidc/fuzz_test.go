package oidc

import (
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: Verify never panics and never accepts a token it did not issue. The seeds
// are a valid token and mutations of it; the fuzzer explores from there.
func FuzzVerify(f *testing.F) {
	clock := newClock()
	i := newTestIssuer(f, &memStore{}, clock, nil)
	good := mustIssue(f, i, devClaims(clock, time.Hour))
	parts := strings.Split(good, ".")
	for _, seed := range []string{
		good,
		"",
		"..",
		"a.b.c",
		parts[0] + "." + parts[1] + ".",
		parts[0] + ".." + parts[2],
		b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		b64([]byte(`{"alg":"RS512","crit":["exp"],"exp":1}`)) + "." + parts[1] + "." + parts[2],
		`{"payload":"` + parts[1] + `","signatures":[]}`,
	} {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		c, err := i.Verify(ctx, token)
		if err == nil && token != good {
			// Only re-encodings of the good token can verify; they must carry its claims.
			if c.Subject != testID || c.Audience != testPool {
				t.Fatalf("accepted a foreign token %q: %+v", token, c)
			}
		}
	})
}
