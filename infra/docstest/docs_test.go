// Package docstest checks the repository's documents against what cites them
// and what they describe: every document path cited in code, docs and
// template.yaml exists, and the contracts in spec/ name every JSON field,
// limit and abusectl flag of the code, so that neither can drift silently.
package docstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/window"
)

// repoRoot returns the nearest folder at or above the working folder that
// holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod in the working folder or above it")
		}
		dir = parent
	}
}

// skipped are folders whose files are not the project's own words.
var skipped = []string{".git", "infra/node_modules"}

func isSkipped(rel string) bool {
	for _, s := range skipped {
		if rel == s || strings.HasPrefix(rel, s+"/") {
			return true
		}
	}
	return false
}

// scanned reports whether a file (slash-separated, relative to the root) may
// cite documents: Markdown, Go, YAML and make files.
func scanned(rel string) bool {
	base := path.Base(rel)
	switch path.Ext(base) {
	case ".md", ".go", ".yaml", ".yml", ".mk":
		return true
	}
	return base == "Makefile"
}

// repoFiles lists the files of the working tree under root that may cite
// documents, slash-separated and relative to root: what git tracks or would
// track (so a new file counts before it is committed), or, without git,
// every file.
func repoFiles(root string) ([]string, error) {
	var all []string
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		for name := range strings.SplitSeq(string(out), "\x00") {
			if name != "" {
				all = append(all, name)
			}
		}
	} else {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if rel != "." && isSkipped(rel) {
					return filepath.SkipDir
				}
				return nil
			}
			all = append(all, rel)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var out []string
	for _, rel := range all {
		if isSkipped(rel) || !scanned(rel) {
			continue
		}
		// git lists files deleted from the working tree but not yet from
		// the index; only what is there can cite anything.
		if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, rel)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return out, nil
}

// citation is one document path cited by a file.
type citation struct {
	file string // slash-separated, relative to the root
	line int
	path string // as cited
	// target is where the path points, slash-separated, relative to the
	// root (it may start with ../ if it leaves the repository).
	target string
}

func (c citation) String() string {
	return fmt.Sprintf("%s:%d cites %s", c.file, c.line, c.path)
}

var (
	// pathToken is a run of path characters ending in .md.
	pathToken = regexp.MustCompile(`[A-Za-z0-9_./-]+[.]md\b`)
	// document says which tokens are document citations: a path through a
	// spec/ or docs/ folder, or one of the root documents (at the root or in
	// a package, like internal/username/README.md).
	document = regexp.MustCompile(`(^|/)(spec|docs)/[A-Za-z0-9_./-]+[.]md$|(^|/)(DESIGN|BENCHMARKS|README)[.]md$`)
	// mdLink is an inline Markdown link or image: ](target) or
	// ](target "title").
	mdLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
)

// citations returns the document paths that file rel (under root) cites:
// tokens that look like document paths in any scanned file, resolved from
// the root (or from the file's folder when they start with ./ or ../), and
// relative Markdown link targets in .md files, resolved from the file's
// folder as Markdown does.
func citations(root, rel string) ([]citation, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	dir := path.Dir(rel)
	isMD := path.Ext(rel) == ".md"
	var out []citation
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		for _, loc := range pathToken.FindAllStringIndex(line, -1) {
			tok := line[loc[0]:loc[1]]
			if loc[0] > 0 && line[loc[0]-1] == ':' || strings.HasPrefix(tok, "//") || looksLikeHost(tok) {
				continue // part of a URL
			}
			if !document.MatchString(tok) {
				continue
			}
			target := path.Clean(tok)
			if strings.HasPrefix(tok, "./") || strings.HasPrefix(tok, "../") {
				target = path.Join(dir, tok)
			}
			out = append(out, citation{file: rel, line: n, path: tok, target: target})
		}
		if !isMD {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") || strings.HasPrefix(link, "#") {
				continue
			}
			p, _, _ := strings.Cut(link, "#")
			p, _, _ = strings.Cut(p, "?")
			if p == "" {
				continue
			}
			target := path.Join(dir, p)
			if strings.HasPrefix(p, "/") {
				target = path.Clean(strings.TrimPrefix(p, "/"))
			}
			out = append(out, citation{file: rel, line: n, path: link, target: target})
		}
	}
	return out, sc.Err()
}

// looksLikeHost reports whether a path's first element is a host name
// (github.com/owner/repo/README.md), not a folder of the repository.
func looksLikeHost(tok string) bool {
	first, rest, ok := strings.Cut(tok, "/")
	return ok && rest != "" && strings.Contains(first, ".") && !strings.HasPrefix(first, ".")
}

// missing returns the citations of files, and those whose targets do not
// exist under root. A target cited twice on one line (a Markdown link whose
// text is its path) counts once.
func missing(root string, files []string) (found, absent []citation, err error) {
	type at struct {
		file   string
		line   int
		target string
	}
	seen := map[at]bool{}
	for _, rel := range files {
		cs, err := citations(root, rel)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			k := at{c.file, c.line, c.target}
			if seen[k] {
				continue
			}
			seen[k] = true
			found = append(found, c)
			if strings.HasPrefix(c.target, "../") || c.target == ".." {
				absent = append(absent, c)
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(c.target))); err != nil {
				absent = append(absent, c)
			}
		}
	}
	return found, absent, nil
}

// TestCitedDocumentsExist: every document path the repository cites (in
// Markdown, Go, YAML and make files) is a file or folder in it.
func TestCitedDocumentsExist(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	files, err := repoFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	found, absent, err := missing(root, files)
	if err != nil {
		t.Fatal(err)
	}
	// The scan must see the citations it exists for, or it proves nothing.
	targets := map[string]bool{}
	for _, c := range found {
		targets[c.target] = true
	}
	for _, want := range []string{"spec/events.md", "spec/queue.md", "spec/cli.md", "DESIGN.md", "docs/exactly-once.md"} {
		if !targets[want] {
			t.Errorf("no citation of %s found in %d files: the scan is broken", want, len(files))
		}
	}
	for _, c := range absent {
		t.Errorf("%s, which does not exist (resolved as %s)", c, c.target)
	}
}

// TestMissingCitationsAreReported runs the check on a small tree with
// citations that point nowhere, to show it can fail, and where it says.
func TestMissingCitationsAreReported(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	// The cited names are built here, so that this file cites nothing absent.
	gone, nowhere, design, docA := "spec/"+"gone.md", "../"+"nowhere.md", "DESIGN"+".md", "docs/"+"a.md"
	files := map[string]string{
		"go.mod":            "module example.com/x\n",
		"README.md":         "# x\n\nSee `spec/events.md` and [" + gone + "](" + gone + "),\n[the design](" + docA + "#top), [site](https://example.com/" + gone + ").\n",
		"spec/events.md":    "events\n",
		docA:                "[up](" + nowhere + ") [readme](../README.md) [anchor](#x)\nsee github.com/o/r/blob/main/" + design + "\n",
		"internal/p/p.go":   "// Package p follows " + design + ".\npackage p\n",
		"internal/p/README": "not scanned: " + gone + "\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for name := range files {
		if scanned(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	_, absent, err := missing(root, names)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range absent {
		got = append(got, c.String())
	}
	want := []string{
		"README.md:3 cites " + gone,
		docA + ":1 cites " + nowhere,
		"internal/p/p.go:1 cites " + design,
	}
	if !slices.Equal(got, want) {
		t.Errorf("missing citations:\n got %q\nwant %q", got, want)
	}
}

// backticked returns every word (letters, digits, - and _) inside a
// backtick span of the document at rel: the names a document gives as code.
func backticked(t *testing.T, rel string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]bool{}
	word := regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_-]*`)
	for _, span := range regexp.MustCompile("`[^`\n]+`").FindAll(b, -1) {
		for _, w := range word.FindAll(span, -1) {
			words[string(w)] = true
		}
	}
	return words
}

// jsonNames returns the JSON names of the fields of the struct types of vs.
func jsonNames(vs ...any) []string {
	var out []string
	for _, v := range vs {
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			f := rt.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			out = append(out, name)
		}
	}
	return out
}

// TestEventSpecNamesEveryField: spec/events.md names, as code, every JSON
// field of the envelope (as event.Marshal writes it) and of the detail types.
func TestEventSpecNamesEveryField(t *testing.T) {
	t.Parallel()
	words := backticked(t, "spec/events.md")
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	env, err := event.Marshal(event.Event{ID: "e1", Kind: event.KindSignup, Source: "s", Time: at,
		Signup: &event.Signup{AccountID: "a", Address: "a@b.example", CreatedAt: at, IP: netip.MustParseAddr("192.0.2.1")}})
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(env, &top); err != nil {
		t.Fatal(err)
	}
	names := jsonNames(event.Signup{}, event.Login{}, event.Message{}, event.Object{})
	for name := range top {
		names = append(names, name)
	}
	for _, kind := range []event.Kind{event.KindSignup, event.KindLogin, event.KindMessage} {
		if !strings.Contains(readDoc(t, "spec/events.md"), "`"+string(kind)+"`") {
			t.Errorf("spec/events.md does not name the detail-type `%s`", kind)
		}
	}
	for _, name := range names {
		if !words[name] {
			t.Errorf("spec/events.md does not name the field `%s`", name)
		}
	}
}

// TestQueueSpecNamesEveryField: spec/queue.md names, as code, every JSON
// field of a queue item, its reasons and its cluster, every status and
// action, and the index's partition attribute.
func TestQueueSpecNamesEveryField(t *testing.T) {
	t.Parallel()
	words := backticked(t, "spec/queue.md")
	names := jsonNames(queue.Item{}, queue.Reason{}, queue.Cluster{})
	for _, s := range []queue.Status{queue.Pending, queue.Applied, queue.Released, queue.Dismissed} {
		names = append(names, string(s))
	}
	names = append(names, string(queue.Review), string(queue.Suspend), "queueKey", "byStatus")
	for _, name := range names {
		if !words[name] {
			t.Errorf("spec/queue.md does not name `%s`", name)
		}
	}
}

func readDoc(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSpecLimitsMatchCode: where a spec names a limit of the code, the same
// line states its value.
func TestSpecLimitsMatchCode(t *testing.T) {
	t.Parallel()
	days := func(d time.Duration) string { return strconv.Itoa(int(d/(24*time.Hour))) + " days" }
	tests := []struct{ doc, name, value string }{
		{"spec/events.md", "event.MaxEventBytes", strconv.Itoa(event.MaxEventBytes)},
		{"spec/events.md", "event.MaxSkew", event.MaxSkew.String()},
		{"spec/events.md", "window.Retention", days(window.Retention)},
		{"spec/queue.md", "queue.MaxReasons", strconv.Itoa(queue.MaxReasons)},
		{"spec/queue.md", "queue.MaxDetailBytes", strconv.Itoa(queue.MaxDetailBytes)},
		{"spec/queue.md", "queue.MaxEventIDs", strconv.Itoa(queue.MaxEventIDs)},
		{"spec/queue.md", "queue.MaxHistory", strconv.Itoa(queue.MaxHistory)},
		{"spec/queue.md", "queue.Shards", strconv.Itoa(queue.Shards)},
		{"spec/queue.md", "queue.ClosedRetention", days(queue.ClosedRetention)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := readDoc(t, tt.doc)
			named, stated := false, false
			value := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(tt.value) + `($|[^0-9A-Za-z])`)
			for line := range strings.Lines(doc) {
				if strings.Contains(line, "`"+tt.name+"`") && strings.HasPrefix(line, "|") {
					named = true
					stated = stated || value.MatchString(line)
				}
			}
			switch {
			case !named:
				t.Errorf("%s has no table row naming `%s`", tt.doc, tt.name)
			case !stated:
				t.Errorf("%s: the row naming `%s` does not state its value, %s", tt.doc, tt.name, tt.value)
			}
		})
	}
}

// flagMakers are the flag.FlagSet methods that define a flag, and the
// position of the flag's name among their arguments.
var flagMakers = map[string]int{
	"String": 0, "Bool": 0, "Int": 0, "Int64": 0, "Uint": 0, "Uint64": 0, "Float64": 0, "Duration": 0,
	"StringVar": 1, "BoolVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1, "Uint64Var": 1, "Float64Var": 1, "DurationVar": 1,
}

// abusectlFlags returns the names of the flags that cmd/abusectl defines,
// by the files that define them.
func abusectlFlags(t *testing.T) map[string][]string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "cmd", "abusectl")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pos, ok := flagMakers[sel.Sel.Name]
			if !ok || len(call.Args) <= pos {
				return true
			}
			lit, ok := call.Args[pos].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			flagName, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			out[flagName] = append(out[flagName], name)
			return true
		})
	}
	return out
}

// TestCLISpecNamesEveryFlag: spec/cli.md names every flag that abusectl
// defines, as --name.
func TestCLISpecNamesEveryFlag(t *testing.T) {
	t.Parallel()
	doc := readDoc(t, "spec/cli.md")
	flags := abusectlFlags(t)
	if len(flags) == 0 {
		t.Fatal("found no flags in cmd/abusectl: the scan is broken")
	}
	for name, files := range flags {
		if !regexp.MustCompile("`--" + regexp.QuoteMeta(name) + "[ `=]").MatchString(doc) {
			t.Errorf("spec/cli.md does not name `--%s` (defined in cmd/abusectl/%s)", name, strings.Join(slices.Compact(files), ", "))
		}
	}
}

// TestRepoFilesWithoutGit: the walk that stands in for git lists the same
// kind of files and skips what is not the project's.
func TestRepoFilesWithoutGit(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, name := range []string{"a.md", "b.go", "c.txt", "infra/node_modules/x/README" + ".md", "infra/x.go", "Makefile"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := repoFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Makefile", "a.md", "b.go", "infra/x.go"}
	if !slices.Equal(got, want) {
		t.Errorf("repoFiles = %q, want %q", got, want)
	}
}
