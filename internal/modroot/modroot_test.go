package modroot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	root, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Find = %s, which has no go.mod", root)
	}
	if want, _ := filepath.Abs("../.."); root != want {
		t.Errorf("Find from internal/modroot = %s, want %s", root, want)
	}
	t.Chdir(t.TempDir())
	if dir, err := Find(); err == nil {
		t.Errorf("Find outside a module = %s, want an error", dir)
	}
}
