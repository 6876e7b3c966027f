package sts

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/sigv4"
)

const (
	testAccount = "123456789012"
	testRole    = "arn:aws:iam::" + testAccount + ":role/cognito/Cognito_demoAuth_Role"
)

// testKey is a session key for brokers that must agree, as two nodes of one deployment.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// keys is a KeySource whose keys a test sets.
type keys struct {
	mu  sync.Mutex
	set [][]byte
}

func (k *keys) SessionKeys() [][]byte { k.mu.Lock(); defer k.mu.Unlock(); return k.set }
func (k *keys) use(set ...[]byte)     { k.mu.Lock(); defer k.mu.Unlock(); k.set = set }

func newBroker(t *testing.T, now func() time.Time) *Broker {
	t.Helper()
	return NewBroker(&keys{set: [][]byte{testKey}}, now)
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
	b := newBroker(t, c.Now)
	tags := map[string]string{"team": "identity"}
	s, err := b.Issue(Request{RoleARN: testRole, IdentityID: "us-east-1:id", PoolID: "us-east-1:pool", Tags: tags})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if !accessKeyRE.MatchString(s.AccessKeyID) {
		t.Errorf("AccessKeyID %q is not ASIA + 16 base32 characters", s.AccessKeyID)
	}
	if !secretRE.MatchString(s.SecretAccessKey) {
		t.Errorf("SecretAccessKey %q is not 40 base64 characters", s.SecretAccessKey)
	}
	if _, err := base64.StdEncoding.DecodeString(s.SessionToken); err != nil || len(s.SessionToken) < 250 {
		t.Errorf("SessionToken is %d characters (%v), want long base64", len(s.SessionToken), err)
	}
	if strings.Contains(s.SessionToken, base64.StdEncoding.EncodeToString([]byte(s.SecretAccessKey))[:20]) {
		t.Error("the session token shows the secret")
	}
	if s.AccountID != testAccount || s.SessionName != DefaultSessionName || s.RoleARN != testRole ||
		s.IdentityID != "us-east-1:id" || s.PoolID != "us-east-1:pool" {
		t.Errorf("session = %+v", s)
	}
	if want := time.Date(2030, 1, 2, 4, 4, 5, 0, time.UTC); !s.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v (an hour, whole seconds)", s.Expiry, want)
	}
	tags["team"] = "mutated"
	// Another node of the deployment opens the token to the same session.
	got, ok := newBroker(t, c.Now).Session(s.AccessKeyID, s.SessionToken)
	if !ok {
		t.Fatal("Session refuses a fresh token")
	}
	if got.SecretAccessKey != s.SecretAccessKey || got.SessionToken != s.SessionToken || got.Tags["team"] != "identity" ||
		got.RoleARN != s.RoleARN || got.AccountID != s.AccountID || got.SessionName != s.SessionName ||
		got.IdentityID != s.IdentityID || got.PoolID != s.PoolID || !got.Expiry.Equal(s.Expiry) ||
		got.CreatedAt.UnixMilli() != s.CreatedAt.UnixMilli() {
		t.Errorf("the token opens to %+v, want %+v", got, s)
	}

	other, err := b.Issue(Request{RoleARN: testRole, SessionName: "app@example.com", Duration: 12 * time.Hour})
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
	b := newBroker(t, nil)
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
		if _, err := b.Issue(c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: Issue = %v, want %v", name, err, c.want)
		}
	}
}

func TestLookupAccessKey(t *testing.T) {
	c := newClock(time.Now())
	b := newBroker(t, c.Now)
	s, err := b.Issue(Request{RoleARN: testRole, Duration: MinDuration})
	if err != nil {
		t.Fatal(err)
	}
	cred, ok, err := b.LookupAccessKey(t.Context(), s.AccessKeyID, s.SessionToken)
	want := sigv4.Credential{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, AccountID: testAccount, Expiry: s.Expiry,
		PrincipalARN: AssumedRoleARN(testRole, s.SessionName), UserID: RoleID(testRole) + ":" + s.SessionName}
	if err != nil || !ok || cred != want {
		t.Fatalf("LookupAccessKey = %v, %v, %v; want %v", cred, ok, err, want)
	}
	other, err := b.Issue(Request{RoleARN: testRole})
	if err != nil {
		t.Fatal(err)
	}
	foreign := NewBroker(&keys{set: [][]byte{[]byte("another deployment's session key")}}, c.Now)
	alien, err := foreign.Issue(Request{RoleARN: testRole})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(s.SessionToken)
	raw[len(raw)-1] ^= 1
	for name, c := range map[string][2]string{
		"unknown key":           {"ASIAAAAAAAAAAAAAAAAA", s.SessionToken},
		"admin-shaped key":      {"AKIDEXAMPLE", s.SessionToken},
		"empty key":             {"", s.SessionToken},
		"longer key":            {s.AccessKeyID + "X", s.SessionToken},
		"no token":              {s.AccessKeyID, ""},
		"another key's token":   {s.AccessKeyID, other.SessionToken},
		"token for another key": {other.AccessKeyID, s.SessionToken},
		"tampered token":        {s.AccessKeyID, base64.StdEncoding.EncodeToString(raw)},
		"not base64":            {s.AccessKeyID, "%%%"},
		"with a line break":     {s.AccessKeyID, s.SessionToken[:40] + "\n" + s.SessionToken[40:]},
		"truncated":             {s.AccessKeyID, s.SessionToken[:40]},
		"other deployment":      {alien.AccessKeyID, alien.SessionToken},
	} {
		if _, ok, err := b.LookupAccessKey(t.Context(), c[0], c[1]); ok || err != nil {
			t.Errorf("%s: LookupAccessKey = %v, %v; want unknown", name, ok, err)
		}
	}

	c.t = s.Expiry.Add(-time.Millisecond)
	if _, ok, _ := b.LookupAccessKey(t.Context(), s.AccessKeyID, s.SessionToken); !ok {
		t.Error("key refused a millisecond before its expiry")
	}
	c.Add(time.Millisecond)
	// Found, with its Expiry: the Verifier answers ExpiredToken after the signature.
	if cred, ok, err := b.LookupAccessKey(t.Context(), s.AccessKeyID, s.SessionToken); !ok || err != nil || !cred.Expiry.Equal(s.Expiry) {
		t.Errorf("key at its expiry: %v, ok=%v err=%v; want it found with Expiry %v", cred, ok, err, s.Expiry)
	}
	if _, ok := b.Session(s.AccessKeyID, s.SessionToken); ok {
		t.Error("Session returns an expired session")
	}
}

func TestTokenTags(t *testing.T) {
	b := newBroker(t, nil)
	for name, tags := range map[string]map[string]string{
		"nil":   nil,
		"empty": {},
		"many":  {"a": "", "b": "x", "long": strings.Repeat("v", 256), "unicode é": "ü"},
	} {
		s, err := b.Issue(Request{RoleARN: testRole, Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := b.Session(s.AccessKeyID, s.SessionToken)
		if !ok || (got.Tags == nil) != (tags == nil) || !maps.Equal(got.Tags, tags) {
			t.Errorf("%s: tags come back as %v (ok=%v), want %v", name, got.Tags, ok, tags)
		}
	}
}

func TestIssueNeedsAKey(t *testing.T) {
	for _, set := range [][][]byte{nil, {make([]byte, 16)}, {make([]byte, 33)}} {
		if _, err := NewBroker(&keys{set: set}, nil).Issue(Request{RoleARN: testRole}); err == nil {
			t.Errorf("Issue seals with the keys %v", set)
		}
	}
}

// After a rotation the current key seals and the retired one still opens what it sealed;
// once it is dropped, its tokens no longer open.
func TestKeyRotation(t *testing.T) {
	old, fresh := testKey, []byte("fedcba9876543210fedcba9876543210")
	k := &keys{set: [][]byte{old}}
	b := NewBroker(k, nil)
	before, err := b.Issue(Request{RoleARN: testRole})
	if err != nil {
		t.Fatal(err)
	}
	k.use(fresh, old)
	after, err := b.Issue(Request{RoleARN: testRole})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Session{"sealed before": before, "sealed after": after} {
		if _, ok := b.Session(s.AccessKeyID, s.SessionToken); !ok {
			t.Errorf("%s the rotation: refused while both keys are in use", name)
		}
	}
	k.use(fresh)
	if _, ok := b.Session(before.AccessKeyID, before.SessionToken); ok {
		t.Error("a token of a dropped key still opens")
	}
	if _, ok := b.Session(after.AccessKeyID, after.SessionToken); !ok {
		t.Error("a token of the current key is refused")
	}
	if _, ok := NewBroker(&keys{set: [][]byte{old}}, nil).Session(after.AccessKeyID, after.SessionToken); ok {
		t.Error("a token opens under a key it was not sealed with")
	}
}

type failingSource struct{}

var errSource = errors.New("source down")

func (failingSource) LookupAccessKey(context.Context, string, string) (sigv4.Credential, bool, error) {
	return sigv4.Credential{}, false, errSource
}

func TestChainCredentials(t *testing.T) {
	admin := sigv4.Credential{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "s", AccountID: testAccount}
	b := newBroker(t, nil)
	s, err := b.Issue(Request{RoleARN: testRole})
	if err != nil {
		t.Fatal(err)
	}
	c := ChainCredentials(sigv4.StaticCredentials{admin.AccessKeyID: admin}, b)
	if got, ok, err := c.LookupAccessKey(t.Context(), admin.AccessKeyID, ""); !ok || err != nil || got != admin {
		t.Errorf("admin key: %v %v %v", got, ok, err)
	}
	if got, ok, err := c.LookupAccessKey(t.Context(), s.AccessKeyID, s.SessionToken); !ok || err != nil || got.SessionToken != s.SessionToken {
		t.Errorf("session key: %v %v %v", got, ok, err)
	}
	if _, ok, err := c.LookupAccessKey(t.Context(), "AKIDUNKNOWN", ""); ok || err != nil {
		t.Errorf("unknown key: %v %v", ok, err)
	}
	if _, _, err := ChainCredentials(failingSource{}, b).LookupAccessKey(t.Context(), s.AccessKeyID, s.SessionToken); !errors.Is(err, errSource) {
		t.Errorf("failing source: err = %v, want it returned", err)
	}
	if _, ok, err := ChainCredentials().LookupAccessKey(t.Context(), "x", ""); ok || err != nil {
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

// Session returns the live session of an access key and its token, as the Verifier would
// accept it: ok=false when the token is not one of this deployment's, belongs to another
// key, or has expired.
func (b *Broker) Session(accessKeyID, sessionToken string) (*Session, bool) {
	s, err := open(b.keys.SessionKeys(), sessionToken)
	if err != nil || s.AccessKeyID != accessKeyID || !b.now().Before(s.Expiry) {
		return nil, false
	}
	return s, true
}
