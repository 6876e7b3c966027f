package sts

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlite"
)

const (
	testAccount = "123456789012"
	testRole    = "arn:aws:iam::" + testAccount + ":role/cognito/Cognito_demoAuth_Role"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "idpool.db"), sqlite.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock(t time.Time) *clock    { return &clock{t: t} }

var (
	accessKeyRE = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	secretRE    = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

func TestIssueFormats(t *testing.T) {
	c := newClock(time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC))
	store := openStore(t)
	b := NewBroker(store, c.Now)
	tags := map[string]string{"team": "identity"}
	s, err := b.Issue(t.Context(), Request{RoleARN: testRole, IdentityID: "us-east-1:id", PoolID: "us-east-1:pool", Tags: tags})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if !accessKeyRE.MatchString(s.AccessKeyID) {
		t.Errorf("AccessKeyID %q is not ASIA + 16 base32 characters", s.AccessKeyID)
	}
	if !secretRE.MatchString(s.SecretAccessKey) {
		t.Errorf("SecretAccessKey %q is not 40 base64 characters", s.SecretAccessKey)
	}
	if raw, err := base64.StdEncoding.DecodeString(s.SessionToken); err != nil || len(s.SessionToken) < 300 {
		t.Errorf("SessionToken is %d characters (%v), want long base64", len(s.SessionToken), err)
	} else if len(raw) != tokenBytes {
		t.Errorf("SessionToken carries %d bytes, want %d", len(raw), tokenBytes)
	}
	if s.AccountID != testAccount || s.SessionName != DefaultSessionName || s.RoleARN != testRole ||
		s.IdentityID != "us-east-1:id" || s.PoolID != "us-east-1:pool" {
		t.Errorf("session = %+v", s)
	}
	if want := time.Date(2030, 1, 2, 4, 4, 5, 0, time.UTC); !s.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v (an hour, whole seconds)", s.Expiry, want)
	}
	tags["team"] = "mutated"
	got, err := store.GetSession(t.Context(), s.AccessKeyID)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if got.SecretAccessKey != s.SecretAccessKey || got.SessionToken != s.SessionToken || got.Tags["team"] != "identity" {
		t.Errorf("stored session differs: %+v", got)
	}

	other, err := b.Issue(t.Context(), Request{RoleARN: testRole, SessionName: "app@example.com", Duration: 12 * time.Hour})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if other.AccessKeyID == s.AccessKeyID || other.SecretAccessKey == s.SecretAccessKey || other.SessionToken == s.SessionToken {
		t.Error("two sessions share credentials")
	}
	if other.SessionName != "app@example.com" || !other.Expiry.Equal(c.Now().Add(12*time.Hour).Truncate(time.Second)) {
		t.Errorf("session = %+v", other)
	}
}

func TestIssueRefusals(t *testing.T) {
	b := NewBroker(openStore(t), nil)
	for name, c := range map[string]struct {
		req  Request
		want error
	}{
		"user ARN":          {Request{RoleARN: "arn:aws:iam::123456789012:user/alice"}, ErrInvalidRole},
		"no role":           {Request{}, ErrInvalidRole},
		"bad account":       {Request{RoleARN: "arn:aws:iam::12345:role/r"}, ErrInvalidRole},
		"other account":     {Request{RoleARN: testRole, AccountID: "210987654321"}, ErrAccountMismatch},
		"short name":        {Request{RoleARN: testRole, SessionName: "a"}, ErrInvalidSessionName},
		"bad name":          {Request{RoleARN: testRole, SessionName: "a b"}, ErrInvalidSessionName},
		"too short":         {Request{RoleARN: testRole, Duration: 899 * time.Second}, ErrInvalidDuration},
		"too long":          {Request{RoleARN: testRole, Duration: 12*time.Hour + time.Second}, ErrInvalidDuration},
		"negative duration": {Request{RoleARN: testRole, Duration: -time.Hour}, ErrInvalidDuration},
	} {
		if _, err := b.Issue(t.Context(), c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: Issue = %v, want %v", name, err, c.want)
		}
	}
}

func TestLookupAccessKey(t *testing.T) {
	c := newClock(time.Now())
	b := NewBroker(openStore(t), c.Now)
	s, err := b.Issue(t.Context(), Request{RoleARN: testRole, Duration: MinDuration})
	if err != nil {
		t.Fatal(err)
	}
	cred, ok, err := b.LookupAccessKey(t.Context(), s.AccessKeyID)
	want := sigv4.Credential{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, AccountID: testAccount}
	if err != nil || !ok || cred != want {
		t.Fatalf("LookupAccessKey = %v, %v, %v; want %v", cred, ok, err, want)
	}
	for _, key := range []string{"ASIAAAAAAAAAAAAAAAAA", "AKIDEXAMPLE", "", s.AccessKeyID + "X"} {
		if _, ok, err := b.LookupAccessKey(t.Context(), key); ok || err != nil {
			t.Errorf("LookupAccessKey(%q) = %v, %v; want unknown", key, ok, err)
		}
	}

	c.t = s.Expiry.Add(-time.Millisecond)
	if _, ok, _ := b.LookupAccessKey(t.Context(), s.AccessKeyID); !ok {
		t.Error("key refused a millisecond before its expiry")
	}
	c.Add(time.Millisecond)
	if _, ok, err := b.LookupAccessKey(t.Context(), s.AccessKeyID); ok || err != nil {
		t.Errorf("key at its expiry: ok=%v err=%v, want refused", ok, err)
	}
	if _, ok, _ := b.Session(t.Context(), s.AccessKeyID); ok {
		t.Error("Session returns an expired session")
	}
	if n, err := b.DeleteExpired(t.Context()); n != 1 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 1, nil", n, err)
	}
}

type failingSource struct{}

var errSource = errors.New("source down")

func (failingSource) LookupAccessKey(context.Context, string) (sigv4.Credential, bool, error) {
	return sigv4.Credential{}, false, errSource
}

func TestChainCredentials(t *testing.T) {
	admin := sigv4.Credential{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "s", AccountID: testAccount}
	b := NewBroker(openStore(t), nil)
	s, err := b.Issue(t.Context(), Request{RoleARN: testRole})
	if err != nil {
		t.Fatal(err)
	}
	c := ChainCredentials(sigv4.StaticCredentials{admin.AccessKeyID: admin}, b)
	if got, ok, err := c.LookupAccessKey(t.Context(), admin.AccessKeyID); !ok || err != nil || got != admin {
		t.Errorf("admin key: %v %v %v", got, ok, err)
	}
	if got, ok, err := c.LookupAccessKey(t.Context(), s.AccessKeyID); !ok || err != nil || got.SessionToken != s.SessionToken {
		t.Errorf("session key: %v %v %v", got, ok, err)
	}
	if _, ok, err := c.LookupAccessKey(t.Context(), "AKIDUNKNOWN"); ok || err != nil {
		t.Errorf("unknown key: %v %v", ok, err)
	}
	if _, _, err := ChainCredentials(failingSource{}, b).LookupAccessKey(t.Context(), s.AccessKeyID); !errors.Is(err, errSource) {
		t.Errorf("failing source: err = %v, want it returned", err)
	}
	if _, ok, err := ChainCredentials().LookupAccessKey(t.Context(), "x"); ok || err != nil {
		t.Errorf("empty chain: %v %v", ok, err)
	}
}

func TestRoleNames(t *testing.T) {
	if got := AssumedRoleARN(testRole, "sess"); got != "arn:aws:sts::"+testAccount+":assumed-role/Cognito_demoAuth_Role/sess" {
		t.Errorf("AssumedRoleARN = %q", got)
	}
	if got := AssumedRoleARN("arn:aws-cn:iam::"+testAccount+":role/r", "s"); got != "arn:aws-cn:sts::"+testAccount+":assumed-role/r/s" {
		t.Errorf("AssumedRoleARN in aws-cn = %q", got)
	}
	id := RoleID(testRole)
	if !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(id) || id != RoleID(testRole) || id == RoleID(testRole+"2") {
		t.Errorf("RoleID = %q: want AROA + 17 characters, stable and distinct per role", id)
	}
}

var _ storage.SessionStore = (*sqlite.Store)(nil)
