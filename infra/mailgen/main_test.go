package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommitted regenerates every sample and compares it with the one
// committed under testdata/mail/hostile, so the two never drift apart.
func TestCommitted(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	for name := range samples {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mail", "hostile", name))
			if err != nil {
				t.Fatalf("%v (go run ./infra/mailgen writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("committed %s differs from the generator's (go run ./infra/mailgen)", name)
			}
		})
	}
}
