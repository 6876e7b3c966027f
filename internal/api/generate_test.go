package api

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesUpToDate re-runs the generator into a temporary directory and
// checks that the committed files are exactly its output.
func TestGeneratedFilesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator with go run")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out := t.TempDir()
	cmd := exec.Command(goTool, "run", "./internal/gen", "-model", "model/cognito-identity-2014-06-30.json", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator failed: %v\n%s", err, b)
	}
	generated, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"zz_generated_operations.go", "zz_generated_types.go", "zz_generated_validate.go"}
	if len(generated) != len(want) {
		t.Fatalf("generator wrote %v, want %v", generated, want)
	}
	for _, name := range want {
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is stale: run go generate ./internal/api", name)
		}
	}
}
