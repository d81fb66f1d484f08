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
	sub := args[0]
	switch {
	case isHelp(sub):
		return helpRequest{cmd: "rules"}
	case sub != "signals" && sub != "check" && sub != "show":
		return fmt.Errorf("%w: unknown rules command %q: want signals, check or show", errUsage, sub)
	}
	// Each answers -h and refuses stray arguments rather than ignore them.
	fs := newFlagSet("rules " + sub)
	format, kind := "json", "signup"
	if sub != "show" {
		fs.StringVar(&format, "format", "json", "json (one JSON object a line) or table (for people)")
	}
	if sub != "check" {
		fs.StringVar(&kind, "kind", "signup", "signup, login, message or cluster: the signals (and default rules) of that kind")
	}
	if err := parseAnywhere(fs, args[1:]); err != nil {
		return err
	}
	if format != "json" && format != "table" {
		return fmt.Errorf("%w: --format %q: want json or table", errUsage, format)
	}
	if kind != "signup" && kind != "login" && kind != "message" && kind != "cluster" {
		return fmt.Errorf("%w: --kind %q: want signup, login, message or cluster", errUsage, kind)
	}
	if most := map[string]int{"check": 1}[sub]; fs.NArg() > most {
		return fmt.Errorf("%w: rules %s takes at most %d argument(s), got %d", errUsage, sub, most, fs.NArg())
	}
	cat := signal.NewCatalog()
	switch kind {
	case "login":
		cat = signal.NewLoginCatalog()
	case "message":
		cat = signal.NewMessageCatalog()
	case "cluster":
		cat = signal.NewClusterCatalog()
	}
	switch sub {
	case "signals":
		if format == "json" {
			for _, d := range cat.Defs() {
				if err := WriteJSON(stdout, signalView{Name: d.Name, Type: d.Type.String(), Doc: d.Doc}, ""); err != nil {
					return err
				}
			}
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "signal\ttype\tmeaning")
		for _, d := range cat.Defs() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, d.Type, d.Doc)
		}
		return tw.Flush()
	case "show":
		src := rules.DefaultSource()
		switch kind {
		case "login":
			src = rules.DefaultLoginSource()
		case "message":
			src = rules.DefaultMessageSource()
		case "cluster":
			src = rules.DefaultClusterSource()
		}
		_, err := stdout.Write(src)
		return err
	default: // check
		src := rules.DefaultSource()
		name := "(embedded default)"
		if fs.NArg() == 1 {
			var err error
			name = fs.Arg(0)
			if src, err = os.ReadFile(name); err != nil {
				return err
			}
		}
		rs, err := rules.Parse(src, cat)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		lrs, err := rules.ParseLogin(src, signal.NewLoginCatalog())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		mrs, err := rules.ParseMessage(src, signal.NewMessageCatalog())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		crs, err := rules.ParseCluster(src, signal.NewClusterCatalog())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		view := checkView{File: name, Rules: len(rs.Rules()), LoginRules: len(lrs.Rules()), MessageRules: len(mrs.Rules()),
			ClusterRules: len(crs.Rules()), Version: rs.Version()}
		if format == "json" {
			return WriteJSON(stdout, view, "")
		}
		fmt.Fprintf(stdout, "%s: %d rules, %d login rules, %d message rules, %d cluster rules, version %s\n",
			Escape(name), view.Rules, view.LoginRules, view.MessageRules, view.ClusterRules, view.Version)
		return nil
	}
}

// signalView is one line of rules signals.
type signalView struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Doc  string `json:"doc"`
}

// checkView is what rules check says of a rules file that compiles.
type checkView struct {
	File         string `json:"file"`
	Rules        int    `json:"rules"`
	LoginRules   int    `json:"loginRules"`
	MessageRules int    `json:"messageRules"`
	ClusterRules int    `json:"clusterRules"`
	Version      string `json:"version"`
}
