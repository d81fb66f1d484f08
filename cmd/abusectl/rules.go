package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/mailtrust/abusescan/internal/rules"
	"github.com/mailtrust/abusescan/internal/signal"
)

func cmdRules(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: rules signals|check [FILE]|show", errUsage)
	}
	cat := signal.NewCatalog()
	switch args[0] {
	case "signals":
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "signal\ttype\tmeaning")
		for _, d := range cat.Defs() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, d.Type, d.Doc)
		}
		return tw.Flush()
	case "show":
		_, err := stdout.Write(rules.DefaultSource())
		return err
	case "check":
		src := rules.DefaultSource()
		name := "(embedded default)"
		if len(args) > 1 {
			var err error
			name = args[1]
			if src, err = os.ReadFile(name); err != nil {
				return err
			}
		}
		rs, err := rules.Parse(src, cat)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stdout, "%s: %d rules, version %s\n", Escape(name), len(rs.Rules()), rs.Version())
		return nil
	}
	return fmt.Errorf("%w: unknown rules command %q", errUsage, args[0])
}
