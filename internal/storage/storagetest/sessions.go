package storagetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// fullSession returns a session with every field set. The access key is random so that
// subtests never collide; strings carry quotes, backslashes and non-ASCII text; the times
// have a non-UTC zone and nanoseconds.
func fullSession() *storage.Session {
	zone := time.FixedZone("UTC-7", -7*60*60)
	created := time.Date(2031, 5, 6, 7, 8, 9, 123456789, zone)
	id := strings.ToUpper(strings.ReplaceAll(guid(), "-", ""))
	return &storage.Session{
		AccessKeyID:     "ASIA" + id[:16],
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + id[:10],
		SessionToken:    "IQoJb3JpZ2luX2VjE" + strings.Repeat(id, 12) + "+/=",
		AccountID:       acctA,
		RoleARN:         "arn:aws:iam::" + acctA + ":role/path/\"ü\" %_",
		SessionName:     "CognitoIdentityCredentials",
		IdentityID:      newID(regionA),
		PoolID:          newID(regionA),
		Tags:            map[string]string{"team": "identity", "empty-value": "", "ключ": `"значение" \`},
		CreatedAt:       created,
		Expiry:          created.Add(time.Hour),
	}
}

func mustCreateSession(t *testing.T, s storage.Store, sess *storage.Session) {
	t.Helper()
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatalf("CreateSession(%s): %v", sess.AccessKeyID, err)
	}
}

func mustGetSession(t *testing.T, s storage.Store, accessKeyID string) *storage.Session {
	t.Helper()
	got, err := s.GetSession(t.Context(), accessKeyID)
	if err != nil {
		t.Fatalf("GetSession(%s): %v", accessKeyID, err)
	}
	return got
}

func testSessionRoundTrip(t *testing.T, s storage.Store) {
	if unset := unsetFields(fullSession()); len(unset) > 0 {
		t.Fatalf("storagetest: fullSession leaves %v unset", unset)
	}
	minimal := &storage.Session{AccessKeyID: fullSession().AccessKeyID, CreatedAt: time.Now(), Expiry: time.Now().Add(time.Minute)}
	empty := fullSession()
	empty.Tags = map[string]string{}
	for name, sess := range map[string]*storage.Session{"full": fullSession(), "nil tags and empty strings": minimal, "empty tags": empty} {
		want := sess.Clone()
		mustCreateSession(t, s, sess)
		requireEqual(t, name+": the session passed to CreateSession", sess, want)
		got := mustGetSession(t, s, sess.AccessKeyID)
		requireEqual(t, name+": GetSession", got, want)
		if sh := sharedRefs(got, sess); len(sh) > 0 {
			t.Errorf("%s: GetSession result shares %v with the session passed to CreateSession", name, sh)
		}
		if got.Tags != nil {
			got.Tags["mutated"] = "x"
		}
		again := mustGetSession(t, s, sess.AccessKeyID)
		requireEqual(t, name+": GetSession after mutating an earlier result", again, want)
		if again.CreatedAt.Location() != time.UTC || again.Expiry.Location() != time.UTC {
			t.Errorf("%s: times come back in %v and %v, want UTC", name, again.CreatedAt.Location(), again.Expiry.Location())
		}
	}
}

func testSessionNotFound(t *testing.T, s storage.Store) {
	mustCreateSession(t, s, fullSession())
	_, err := s.GetSession(t.Context(), fullSession().AccessKeyID)
	wantErr(t, "GetSession of an unknown access key", err, storage.ErrNotFound)
	_, err = s.GetSession(t.Context(), "")
	wantErr(t, "GetSession of the empty access key", err, storage.ErrNotFound)
}

func testSessionDuplicate(t *testing.T, s storage.Store) {
	first := fullSession()
	want := first.Clone()
	mustCreateSession(t, s, first)
	dup := fullSession()
	dup.AccessKeyID = first.AccessKeyID
	dup.AccountID = acctB
	wantErr(t, "CreateSession with a taken access key", s.CreateSession(t.Context(), dup), storage.ErrAlreadyExists)
	requireEqual(t, "session after a duplicate create", mustGetSession(t, s, first.AccessKeyID), want)
}

// testSessionExpired: an expired session is still returned; only DeleteExpiredSessions
// removes it, and it removes exactly those whose Expiry is at or before its argument.
func testSessionExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	cutoff := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *storage.Session {
		sess := fullSession()
		sess.CreatedAt = cutoff.Add(d - time.Hour)
		sess.Expiry = cutoff.Add(d)
		mustCreateSession(t, s, sess)
		return sess
	}
	gone := []*storage.Session{at(-24 * time.Hour), at(-time.Millisecond), at(0)}
	kept := []*storage.Session{at(time.Millisecond), at(time.Hour)}

	if got := mustGetSession(t, s, gone[0].AccessKeyID); !got.Expiry.Before(cutoff) {
		t.Errorf("expired session comes back with Expiry %v", got.Expiry)
	}
	n, err := s.DeleteExpiredSessions(ctx, cutoff)
	if err != nil {
		t.Fatalf("DeleteExpiredSessions: %v", err)
	}
	if n != len(gone) {
		t.Errorf("DeleteExpiredSessions removed %d sessions, want %d", n, len(gone))
	}
	for _, sess := range gone {
		_, err := s.GetSession(ctx, sess.AccessKeyID)
		wantErr(t, "GetSession of a session expired at "+sess.Expiry.String(), err, storage.ErrNotFound)
	}
	for _, sess := range kept {
		requireEqual(t, "session expiring at "+sess.Expiry.String(), mustGetSession(t, s, sess.AccessKeyID), sess)
	}
	if n, err := s.DeleteExpiredSessions(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second DeleteExpiredSessions = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, cutoff.Add(2*time.Hour)); err != nil || n != len(kept) {
		t.Errorf("DeleteExpiredSessions after every expiry = %d, %v; want %d, nil", n, err, len(kept))
	}
}

func testSessionsAfterClose(t *testing.T, s storage.Store) {
	ctx := t.Context()
	sess := fullSession()
	mustCreateSession(t, s, sess)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.CreateSession(ctx, fullSession()); err == nil {
		t.Error("CreateSession after Close succeeded")
	}
	if _, err := s.GetSession(ctx, sess.AccessKeyID); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetSession after Close = %v, want a failure that is not ErrNotFound", err)
	}
	if _, err := s.DeleteExpiredSessions(ctx, time.Now()); err == nil {
		t.Error("DeleteExpiredSessions after Close succeeded")
	}
}
