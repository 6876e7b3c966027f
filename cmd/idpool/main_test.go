package main

import (
	"bytes"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(nil, noEnv, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: idpool") {
		t.Fatalf("no args: %d %q", code, errb.String())
	}
	if code := run([]string{"frobnicate"}, noEnv, &out, &errb); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	if code := run([]string{"keys"}, noEnv, &out, &errb); code != 2 {
		t.Fatalf("keys without rotate: %d", code)
	}
	if code := run([]string{"serve", "--region", "nowhere"}, noEnv, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--region") {
		t.Fatalf("bad flag: %d %q", code, errb.String())
	}
}

func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	for range 2 { // the first call creates the keys, the second rotates existing ones
		if code := run([]string{"keys", "rotate", "--data-dir", dir}, noEnv, &out, &errb); code != 0 {
			t.Fatalf("keys rotate: %d %s", code, errb.String())
		}
	}
	if strings.Count(out.String(), "signing key rotated") != 2 {
		t.Fatalf("output %q", out.String())
	}
}
