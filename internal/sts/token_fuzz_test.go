package sts

import (
	"encoding/base64"
	"testing"
	"time"
)

// FuzzOpenToken feeds open arbitrary tokens: anything but a token sealed with the key
// must be refused, without a panic. Every token sealed here holds the same session (the
// fuzzing workers each seal their own), so whatever opens must be that session.
func FuzzOpenToken(f *testing.F) {
	sess := &Session{AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", SecretAccessKey: "secret", AccountID: testAccount, RoleARN: testRole,
		SessionName: DefaultSessionName, Tags: map[string]string{"k": "v"}, CreatedAt: time.UnixMilli(1_900_000_000_000), Expiry: time.Unix(1_900_003_600, 0)}
	tok, err := seal(testKey, sess)
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	f.Add(tok)
	f.Add(tok[:len(tok)-4])
	f.Add(base64.StdEncoding.EncodeToString(raw[:headerSize]))
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := open([][]byte{testKey}, token)
		if err != nil {
			return
		}
		if got.AccessKeyID != sess.AccessKeyID || got.SecretAccessKey != sess.SecretAccessKey || got.RoleARN != sess.RoleARN ||
			len(got.Tags) != 1 || got.Tags["k"] != "v" || !got.Expiry.Equal(sess.Expiry) {
			t.Fatalf("open(%q) = %+v, which was never sealed", token, got)
		}
		// A token opens in one spelling only: its canonical base64.
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil || base64.StdEncoding.EncodeToString(raw) != token {
			t.Fatalf("open accepts %q, which is not canonical base64", token)
		}
	})
}
