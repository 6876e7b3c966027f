package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	clock := newClock()
	i := newTestIssuer(t, &memStore{}, clock, nil)
	kid := i.state.Load().signingKID

	t.Run("developer token with tags", func(t *testing.T) {
		c := devClaims(clock, 15*time.Minute)
		tok := mustIssue(t, i, c)

		header, payload := segments(t, tok)
		wantHeader := map[string]any{"kid": kid, "typ": "JWS", "alg": "RS512"}
		if !reflect.DeepEqual(header, wantHeader) {
			t.Errorf("header = %v, want %v", header, wantHeader)
		}
		wantPayload := map[string]any{
			"iss": testIssuer,
			"sub": testID,
			"aud": testPool, // a string, not an array
			"amr": []any{"authenticated", "login.provider",
				"login.provider:us-east-1:0f2c7d1e-0000-4000-8000-000000000001:user-1"},
			"iat":        float64(clock.Now().Unix()),
			"exp":        float64(clock.Now().Add(15 * time.Minute).Unix()),
			ClaimPoolARN: testARN,
			ClaimTags: map[string]any{"principal_tags": map[string]any{
				"tenant": []any{"acme"}, "team": []any{"blue"},
			}},
		}
		if !reflect.DeepEqual(payload, wantPayload) {
			t.Errorf("payload = %v\nwant %v", payload, wantPayload)
		}

		got, err := i.Verify(t.Context(), tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		want := c
		want.IssuedAt = c.IssuedAt.Truncate(time.Second)
		want.Expiry = c.Expiry.Truncate(time.Second)
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("Verify = %+v\nwant %+v", *got, want)
		}
	})

	t.Run("unauthenticated token without tags", func(t *testing.T) {
		now := clock.Now()
		c := Claims{Subject: testID, Audience: testPool, AMR: []string{"unauthenticated"},
			PoolARN: testARN, IssuedAt: now, Expiry: now.Add(10 * time.Minute)}
		tok := mustIssue(t, i, c)
		_, payload := segments(t, tok)
		if _, ok := payload[ClaimTags]; ok {
			t.Errorf("tags claim present without tags: %v", payload)
		}
		if got := payload["amr"]; !reflect.DeepEqual(got, []any{"unauthenticated"}) {
			t.Errorf("amr = %v", got)
		}
		got, err := i.Verify(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if got.PrincipalTags != nil || !slices.Equal(got.AMR, c.AMR) {
			t.Errorf("Verify = %+v", got)
		}
	})

	t.Run("sub-second times become whole seconds", func(t *testing.T) {
		c := devClaims(clock, time.Hour)
		c.IssuedAt = c.IssuedAt.Add(900 * time.Millisecond)
		c.Expiry = c.Expiry.Add(900 * time.Millisecond)
		got, err := i.Verify(t.Context(), mustIssue(t, i, c))
		if err != nil {
			t.Fatal(err)
		}
		if !got.IssuedAt.Equal(c.IssuedAt.Truncate(time.Second)) || !got.Expiry.Equal(c.Expiry.Truncate(time.Second)) {
			t.Errorf("times = %v, %v", got.IssuedAt, got.Expiry)
		}
	})

	t.Run("zero IssuedAt means now", func(t *testing.T) {
		c := devClaims(clock, time.Hour)
		c.IssuedAt = time.Time{}
		got, err := i.Verify(t.Context(), mustIssue(t, i, c))
		if err != nil {
			t.Fatal(err)
		}
		if !got.IssuedAt.Equal(clock.Now()) {
			t.Errorf("iat = %v, want %v", got.IssuedAt, clock.Now())
		}
	})

	t.Run("special characters survive", func(t *testing.T) {
		c := devClaims(clock, time.Hour)
		c.PrincipalTags = map[string]string{"a<b>&\"c": "ü\u2028\\/\x01"}
		c.AMR = append(c.AMR, "x\"y")
		got, err := i.Verify(t.Context(), mustIssue(t, i, c))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got.PrincipalTags, c.PrincipalTags) || !slices.Equal(got.AMR, c.AMR) {
			t.Errorf("Verify = %+v", got)
		}
	})
}

func TestIssueRefuses(t *testing.T) {
	clock := newClock()
	i := newTestIssuer(t, &memStore{}, clock, nil)
	bigTags := map[string]string{}
	for n := range 50 {
		bigTags[strings.Repeat(string(rune('a'+n%26)), 100)+string(rune('0'+n/26))] = strings.Repeat("v", 256)
	}
	tests := []struct {
		name   string
		mutate func(*Claims)
		is     error
	}{
		{"no subject", func(c *Claims) { c.Subject = "" }, nil},
		{"no audience", func(c *Claims) { c.Audience = "" }, nil},
		{"no expiry", func(c *Claims) { c.Expiry = time.Time{} }, nil},
		{"expiry before issue", func(c *Claims) { c.Expiry = c.IssuedAt.Add(-time.Second) }, nil},
		{"expiry equals issue", func(c *Claims) { c.Expiry = c.IssuedAt }, nil},
		{"longer than MaxTokenLifetime", func(c *Claims) { c.Expiry = c.IssuedAt.Add(24*time.Hour + time.Second) }, nil},
		{"larger than MaxTokenSize", func(c *Claims) { c.PrincipalTags = bigTags }, ErrTokenTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := devClaims(clock, time.Hour)
			tt.mutate(&c)
			tok, err := i.Issue(t.Context(), c)
			if err == nil {
				t.Fatalf("Issue succeeded: %s", tok)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
	t.Run("exactly MaxTokenLifetime is fine", func(t *testing.T) {
		mustIssue(t, i, devClaims(clock, 24*time.Hour))
	})
}

func TestVerifyRefuses(t *testing.T) {
	clock := newClock()
	i := newTestIssuer(t, &memStore{}, clock, nil)
	signing, _ := privateKeys(t, i)
	kid := i.state.Load().signingKID
	pubDER := i.state.Load().stored.VerificationKeys[0].PublicKey
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	good := mustIssue(t, i, devClaims(clock, 15*time.Minute))
	parts := strings.Split(good, ".")
	ourHeaders := map[string]any{"kid": kid, "typ": "JWS"}
	validClaims := func(edit func(map[string]any)) []byte {
		m := map[string]any{"iss": testIssuer, "sub": testID, "aud": testPool,
			"amr": []string{"unauthenticated"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(m)
		}
		return claimsJSON(t, m)
	}
	// Sanity: a hand-signed token with valid claims verifies, so each refusal below is
	// about the one thing it changes.
	if _, err := i.Verify(t.Context(), signWith(t, jose.RS512, signing, ourHeaders, validClaims(nil))); err != nil {
		t.Fatalf("hand-signed valid token: %v", err)
	}

	tampered := []byte(`{"iss":"` + testIssuer + `","sub":"us-east-1:someone-else","aud":"` + testPool + `","amr":["unauthenticated"],"iat":1,"exp":9999999999}`)
	flipped := []byte(parts[2])
	flipped[10] = 'A' // another character of the base64url alphabet
	if parts[2][10] == 'A' {
		flipped[10] = 'B'
	}
	tests := []struct {
		name  string
		token string
		is    error
	}{
		{"tampered payload", parts[0] + "." + b64(tampered) + "." + parts[2], ErrSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(flipped), ErrSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(mustIssue(t, i, devClaims(clock, time.Minute)), ".")[2], ErrSignature},
		{"alg none", b64([]byte(`{"alg":"none","kid":"`+kid+`","typ":"JWS"}`)) + "." + parts[1] + ".", ErrSignature},
		{"alg none with signature", b64([]byte(`{"alg":"none","kid":"`+kid+`","typ":"JWS"}`)) + "." + parts[1] + "." + parts[2], ErrSignature},
		{"HS256 keyed with our public key", signWith(t, jose.HS256, pubDER, ourHeaders, validClaims(nil)), ErrSignature},
		{"HS512 keyed with our public key", signWith(t, jose.HS512, pubDER, ourHeaders, validClaims(nil)), ErrSignature},
		{"RS256 with our own key", signWith(t, jose.RS256, signing, ourHeaders, validClaims(nil)), ErrSignature},
		{"PS512 with our own key", signWith(t, jose.PS512, signing, ourHeaders, validClaims(nil)), ErrSignature},
		{"RS512 with another key under our kid", signWith(t, jose.RS512, other, ourHeaders, validClaims(nil)), ErrSignature},
		{"unknown kid", signWith(t, jose.RS512, other, map[string]any{"kid": "nope", "typ": "JWS"}, validClaims(nil)), ErrSignature},
		{"no kid", signWith(t, jose.RS512, signing, map[string]any{"typ": "JWS"}, validClaims(nil)), ErrSignature},
		{"other issuer", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { m["iss"] = "https://cognito-identity.amazonaws.com" })), ErrIssuer},
		{"issuer with trailing slash", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { m["iss"] = testIssuer + "/" })), ErrIssuer},
		{"no issuer", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { delete(m, "iss") })), ErrIssuer},
		{"no exp", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { delete(m, "exp") })), ErrMalformed},
		{"no sub", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { delete(m, "sub") })), ErrMalformed},
		{"aud array", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { m["aud"] = []string{testPool} })), ErrMalformed},
		{"exp as string", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) { m["exp"] = "9999999999" })), ErrMalformed},
		{"iat far in the future", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) {
			m["iat"] = now.Add(10 * time.Minute).Unix()
			m["exp"] = now.Add(20 * time.Minute).Unix()
		})), ErrMalformed},
		{"tag with two values", signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) {
			m[ClaimTags] = map[string]any{"principal_tags": map[string]any{"k": []string{"a", "b"}}}
		})), ErrMalformed},
		{"payload not JSON", signWith(t, jose.RS512, signing, ourHeaders, []byte("hello")), ErrMalformed},
		{"empty", "", ErrMalformed},
		{"garbage", "not a token", ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], ErrMalformed},
		{"four parts", good + ".x", ErrMalformed},
		{"dots", "..", ErrMalformed},
		{"bad base64", parts[0] + ".!!!." + parts[2], ErrMalformed},
		{"header not JSON", b64([]byte("nope")) + "." + parts[1] + "." + parts[2], ErrMalformed},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, ErrMalformed},
		{"leading whitespace", " " + good, ErrMalformed},
		{"oversized", parts[0] + "." + strings.Repeat("A", MaxTokenSize) + "." + parts[2], ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := i.Verify(t.Context(), tt.token)
			if err == nil {
				t.Fatalf("Verify accepted: %+v", c)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		clock := newClock()
		i := newTestIssuer(t, &memStore{}, clock, nil)
		c := devClaims(clock, 10*time.Minute)
		tok := mustIssue(t, i, c)
		clock.Add(10*time.Minute - time.Second)
		if _, err := i.Verify(t.Context(), tok); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		for _, step := range []time.Duration{time.Second, time.Hour} { // exactly at exp (no skew), then later
			clock.Add(step)
			_, err := i.Verify(t.Context(), tok)
			exp, ok := errors.AsType[*ExpiredError](err)
			if !ok {
				t.Fatalf("err = %v, want *ExpiredError", err)
			}
			if !exp.Now.Equal(clock.Now()) || !exp.Expiry.Equal(c.Expiry) {
				t.Errorf("ExpiredError = %+v, want Now %v Expiry %v", exp, clock.Now(), c.Expiry)
			}
			if want := "oidc: token expired: " + itoa(clock.Now().Unix()) + " >= " + itoa(c.Expiry.Unix()); err.Error() != want {
				t.Errorf("message %q, want %q", err.Error(), want)
			}
			if errors.Is(err, ErrMalformed) || errors.Is(err, ErrSignature) {
				t.Errorf("expired token also matches another error: %v", err)
			}
		}
	})

	t.Run("iat slightly in the future is accepted", func(t *testing.T) {
		tok := signWith(t, jose.RS512, signing, ourHeaders, validClaims(func(m map[string]any) {
			m["iat"] = now.Add(4 * time.Minute).Unix()
		}))
		if _, err := i.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
