package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The README's runnable examples: a fenced ```sh block right after a line
// that starts with runnableMarker. Every command in such a block is an
// abusectl command that must work right after "make demo": it runs here,
// in order, against a fresh replay of the demo standing for .demo.db.
const (
	readmePath     = "../../README.md"
	repoRoot       = "../.."
	runnableMarker = "<!-- runnable"
)

func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := runnableCommands(string(src))
	if err != nil {
		t.Fatalf("%s: %v", readmePath, err)
	}
	if len(cmds) < 5 {
		t.Fatalf("%s has %d runnable commands, want at least 5: were the %q markers dropped?", readmePath, len(cmds), runnableMarker)
	}
	db := newDB(t)
	mustRun(t, replayArgs(db, demoFile)...) // what make demo does
	for _, line := range cmds {
		words, err := shellWords(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if len(words) == 0 || words[0] != "abusectl" {
			t.Fatalf("%q: a runnable block holds only abusectl commands", line)
		}
		args := words[1:]
		for i, a := range args {
			switch {
			case a == ".demo.db":
				args[i] = db
			case !strings.HasPrefix(a, "-") && strings.Contains(a, "/"):
				// A path in the repository, as seen from its root.
				if _, err := os.Stat(filepath.Join(repoRoot, a)); err == nil {
					args[i] = filepath.Join(repoRoot, a)
				}
			}
		}
		o := cli(t, nil, "", args...)
		if o.code != 0 {
			t.Errorf("%s: exit %d\n%s", line, o.code, o.stderr)
			continue
		}
		if strings.TrimSpace(o.stdout) == "" {
			t.Errorf("%s printed nothing", line)
		}
	}
}

// runnableCommands returns the commands of the README's runnable blocks, a
// line continued with a backslash joined to the next.
func runnableCommands(md string) ([]string, error) {
	var cmds []string
	sc := bufio.NewScanner(strings.NewReader(md))
	n := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		n++
		return sc.Text(), true
	}
	for {
		l, ok := next()
		if !ok {
			break
		}
		if !strings.HasPrefix(strings.TrimSpace(l), runnableMarker) {
			continue
		}
		if fence, ok := next(); !ok || strings.TrimSpace(fence) != "```sh" {
			return nil, fmt.Errorf("line %d: a runnable marker must come right before a ```sh block", n)
		}
		var cur string
		for {
			l, ok := next()
			if !ok {
				return nil, errors.New("a runnable block is not closed")
			}
			if strings.TrimSpace(l) == "```" {
				break
			}
			if c, found := strings.CutSuffix(l, `\`); found {
				cur += c
				continue
			}
			if cmd := strings.TrimSpace(cur + l); cmd != "" && !strings.HasPrefix(cmd, "#") {
				cmds = append(cmds, cmd)
			}
			cur = ""
		}
	}
	return cmds, sc.Err()
}

// shellWords splits a command line as sh would for the simple commands a
// README shows: words, '…' and "…" quoting, backslash escapes, and # comments.
// What it cannot run in-process (pipes, redirections, expansions, lists) is
// an error, so a runnable block stays runnable as written.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words, nil
		case r == '\'':
			j := slices.Index(rs[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unclosed '")
			}
			cur.WriteString(string(rs[i+1 : i+1+j]))
			i += j + 1
			inWord = true
		case r == '"':
			inWord = true
			for i++; ; i++ {
				if i >= len(rs) {
					return nil, errors.New(`unclosed "`)
				}
				c := rs[i]
				if c == '"' {
					break
				}
				if c == '$' || c == '`' {
					return nil, errors.New("expansion in \"…\" is not supported")
				}
				if c == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[i+1]) {
					i++
					c = rs[i]
				}
				cur.WriteRune(c)
			}
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, errors.New("a trailing backslash")
			}
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case strings.ContainsRune("|&;<>()$`*?[{}~", r):
			return nil, errors.New("shell syntax " + string(r) + " is not supported in a runnable block")
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"abusectl queue list", []string{"abusectl", "queue", "list"}, false},
		{"  a   b\tc  ", []string{"a", "b", "c"}, false},
		{`a --note "verified by phone"`, []string{"a", "--note", "verified by phone"}, false},
		{`a 'it''s' b`, []string{"a", "its", "b"}, false},
		{`a "say \"hi\" \\ \n"`, []string{"a", `say "hi" \ \n`}, false},
		{`a b\ c`, []string{"a", "b c"}, false},
		{`a --x=""`, []string{"a", "--x="}, false},
		{`a ""`, []string{"a", ""}, false},
		{"a b  # a comment", []string{"a", "b"}, false},
		{"a b#c", []string{"a", "b#c"}, false},
		{"a > out", nil, true},
		{"a | b", nil, true},
		{`a "$HOME"`, nil, true},
		{"a $HOME", nil, true},
		{`a "open`, nil, true},
		{`a 'open`, nil, true},
	}
	for _, tc := range tests {
		got, err := shellWords(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !slices.Equal(got, tc.want)) {
			t.Errorf("shellWords(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestRunnableCommands(t *testing.T) {
	t.Parallel()
	md := "text\n```sh\nnot runnable\n```\n<!-- runnable -->\n```sh\n# a comment\nabusectl a \\\n  --b c\n\nabusectl d\n```\n"
	got, err := runnableCommands(md)
	if want := []string{"abusectl a   --b c", "abusectl d"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("runnableCommands = %q, %v; want %q", got, err, want)
	}
	if _, err := runnableCommands("<!-- runnable -->\n\n```sh\nabusectl a\n```\n"); err == nil {
		t.Error("a marker not right before its block was accepted")
	}
	if _, err := runnableCommands("<!-- runnable -->\n```sh\nabusectl a\n"); err == nil {
		t.Error("an unclosed block was accepted")
	}
}
