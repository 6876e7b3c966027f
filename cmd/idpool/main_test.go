package main

import (
	"bytes"
	"os"
	"runtime/debug"
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

// TestExportImport moves a deployment from one data directory to another through a file
// and checks that the second has the same records.
func TestExportImport(t *testing.T) {
	src, dst, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	file := tmp + "/export.jsonl"
	var out, errb bytes.Buffer
	// keys rotate creates the signing keys: a deployment with something in it.
	if code := run([]string{"keys", "rotate", "--data-dir", src}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("keys rotate: %d %s", code, errb.String())
	}
	if code := run([]string{"export", "--data-dir", src, "--file", file}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("export: %d %s", code, errb.String())
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v, want mode 0600", fi, err)
	}
	if code := run([]string{"export", "--data-dir", src, "--file", file}, noEnv, &out, &errb); code != 1 {
		t.Errorf("export over an existing file: %d, want 1", code)
	}
	if code := run([]string{"import", "--file=" + file, "--data-dir", dst}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("import: %d %s", code, errb.String())
	}
	if code := run([]string{"import", "--data-dir", dst, "--file", file}, noEnv, &out, &errb); code != 1 || !strings.Contains(errb.String(), "nothing was stored") {
		t.Errorf("second import into the same deployment: %d %s", code, errb.String())
	}
	again := tmp + "/again.jsonl"
	if code := run([]string{"export", "--data-dir", dst, "--file", again}, noEnv, &out, &errb); code != 0 {
		t.Fatalf("export of the copy: %d %s", code, errb.String())
	}
	a, _ := os.ReadFile(file)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) || !strings.Contains(string(a), `"keys"`) {
		t.Errorf("the copy exports differently:\n%s\n%s", a, b)
	}
	if code := run([]string{"export", "--file"}, noEnv, &out, &errb); code != 2 {
		t.Errorf("--file without a value: %d, want 2", code)
	}
}

// serve collects at five times the live heap unless the operator set GOGC.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	if got := tuneGC(func(string) string { return "50" }); got != -1 || debug.SetGCPercent(100) != 100 {
		t.Errorf("GOGC=50: tuneGC %d changed the target", got)
	}
	if got := tuneGC(func(string) string { return "" }); got != serverGCPercent || debug.SetGCPercent(100) != serverGCPercent {
		t.Errorf("GOGC unset: tuneGC %d", got)
	}
}
