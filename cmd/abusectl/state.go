package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/window"
)

// kindNames are the names a person may give a kind on the command line,
// besides the kinds' own.
var kindNames = map[string]window.Kind{
	"ip": window.IP, "host": window.IP, "address": window.IP,
	"net": window.Prefix, "prefix": window.Prefix, "network": window.Prefix, "subnet": window.Prefix, "cidr": window.Prefix,
	"asn": window.ASN, "as": window.ASN,
	"dev": window.Device, "device": window.Device, "device-id": window.Device,
	"rem": window.RecoveryEmail, "recovery-email": window.RecoveryEmail,
	"rph": window.RecoveryPhone, "recovery-phone": window.RecoveryPhone,
	"tpl": window.Template, "template": window.Template, "username-template": window.Template,
}

// kindNoun names a kind in messages.
var kindNoun = map[window.Kind]string{
	window.IP: "IP", window.Prefix: "network", window.ASN: "ASN", window.Device: "device",
	window.RecoveryEmail: "recovery email", window.RecoveryPhone: "recovery phone", window.Template: "username template",
}

// hashed reports whether values of kind k are stored only as keyed hashes:
// personal data, which abusectl shows nowhere but its operator's terminal.
func hashed(k window.Kind) bool {
	return k == window.Device || k == window.RecoveryEmail || k == window.RecoveryPhone
}

func cmdState(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: state show KIND VALUE", errUsage)
	}
	sub, rest := args[0], args[1:]
	if isHelp(sub) {
		return helpRequest{cmd: "state"}
	}
	if sub != "show" {
		return fmt.Errorf("%w: unknown state command %q", errUsage, sub)
	}
	flags := newFlagSet("state show")
	var sf storeFlags
	sf.register(flags, getenv)
	sf.mustExist = true
	atFlag := flags.String("at", "", "RFC 3339 time to count at (default: the key's newest count, so the output does not depend on the clock)")
	pretty := flags.Bool("pretty", false, "indent the JSON")
	if err := parseInterleaved(flags, rest, 2); err != nil {
		return err
	}
	if k := strings.ToLower(flags.Arg(0)); k == "login" || k == "message" {
		st, closeStore, err := sf.open(ctx, false)
		if err != nil {
			return err
		}
		defer closeStore()
		indent := ""
		if *pretty {
			indent = "  "
		}
		if k == "message" {
			return showMessages(ctx, st, flags.Arg(1), stdout, indent)
		}
		return showLogin(ctx, st, flags.Arg(1), stdout, indent)
	}
	kind, ok := kindNames[strings.ToLower(flags.Arg(0))]
	if !ok {
		return fmt.Errorf("%w: unknown kind %q: want ip, net, asn, dev, rem, rph, tpl, login or message (or device, recovery-email, recovery-phone, template, prefix)", errUsage, flags.Arg(0))
	}
	value := flags.Arg(1)
	var at time.Time
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return fmt.Errorf("%w: --at %q is not an RFC 3339 time", errUsage, *atFlag)
		}
		at = t.UTC()
	}
	st, closeStore, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeStore()
	var h *keyhash.Hasher
	if hashed(kind) {
		key, err := hashKey(st, getenv, stderr, "looking up")
		if err != nil {
			return err
		}
		if h, err = keyhash.New(key); err != nil {
			return fmt.Errorf("HASH_KEY: %w", err)
		}
	}
	key, err := pipeline.KeyOf(kind, value, h)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	stored, err := st.Keys(ctx, []window.Key{key})
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	attrs, ok := stored[key]
	if !ok {
		return fmt.Errorf("no state for %s: never counted, or past the %d-day retention", describe(kind, value, key, stderr), int(window.Retention/(24*time.Hour)))
	}
	v := inspect(key, attrs, at)
	indent := ""
	if *pretty {
		indent = "  "
	}
	return WriteJSON(stdout, v, indent)
}

// describe names a looked-up value in a message: a personal value by its
// stored key, and as typed only when the message goes to a terminal (the
// operator's own), never to a file or a log.
func describe(kind window.Kind, value string, key window.Key, w io.Writer) string {
	if !hashed(kind) {
		return fmt.Sprintf("%s %s", kindNoun[kind], key.Value())
	}
	if isTerminal(w) {
		return fmt.Sprintf("%s %q (key %s)", kindNoun[kind], value, key)
	}
	return fmt.Sprintf("%s (key %s)", kindNoun[kind], key)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// hashKey returns the key personal values are hashed with: HASH_KEY, or
// without it the development key, for the local embedded store only unless
// devKeyEnv allows it elsewhere. It says on stderr when it falls back;
// doing names what the key is used for in that notice.
func hashKey(st store, getenv func(string) string, stderr io.Writer, doing string) ([]byte, error) {
	if key := getenv("HASH_KEY"); key != "" {
		return []byte(key), nil
	}
	allowed := false
	if v := getenv(devKeyEnv); v != "" {
		var err error
		if allowed, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("%w: %s: %q is not true or false", errUsage, devKeyEnv, v)
		}
	}
	// Fail closed: a store that is not known to be local is shared.
	if _, local := st.(*embedded.Store); !local && !allowed {
		return nil, fmt.Errorf("HASH_KEY not set: a shared store is not hashed with the built-in development key; set HASH_KEY, or %s=1 for a store only you use", devKeyEnv)
	}
	fmt.Fprintf(stderr, "abusectl: HASH_KEY not set: %s devices and recovery contacts with the built-in development key\n", doing)
	return []byte(devHashKey), nil
}

// stateView is what state show prints of one key.
type stateView struct {
	Key  window.Key  `json:"key"`
	Kind window.Kind `json:"kind"`
	// At is when Counts are taken; Newest the start of the newest bucket
	// that holds a count (null for a key that holds none).
	At     *time.Time `json:"at"`
	Newest *time.Time `json:"newest"`
	Counts countsView `json:"counts"`
	// Total is every count still kept: the daily buckets, up to four weeks.
	Total   int64       `json:"total"`
	Buckets bucketsView `json:"buckets"`
	// Members are the recent accounts that share the key, oldest first.
	Members []memberView `json:"members"`
	// WriteTokens is how many events' write tokens are on the key: events
	// counted whose claims are not finished yet. Their names are
	// bookkeeping.
	WriteTokens int `json:"writeTokens"`
}

// countsView is window.Counts as signals see it at At.
type countsView struct {
	Last10m  int64   `json:"last10m"`
	Last1h   int64   `json:"last1h"`
	Last24h  int64   `json:"last24h"`
	Last7d   int64   `json:"last7d"`
	Usual1h  float64 `json:"usual1h"`
	DaysSeen int     `json:"daysSeen"`
	Members  int     `json:"members"`
}

type bucketsView struct {
	FiveMinute []bucketView `json:"fiveMinute"`
	Hourly     []bucketView `json:"hourly"`
	Daily      []bucketView `json:"daily"`
}

type bucketView struct {
	Start time.Time `json:"start"`
	Count int64     `json:"count"`
}

type memberView struct {
	AccountID string    `json:"accountId"`
	FirstSeen time.Time `json:"firstSeen"`
}

// inspect reads a key's stored attributes for a person; at zero means at
// the key's newest count.
func inspect(key window.Key, attrs window.Attrs, at time.Time) stateView {
	rec := window.Parse(attrs)
	v := stateView{Key: key, Kind: key.Kind(), Members: []memberView{}}
	if newest, ok := rec.Newest(); ok {
		v.Newest = &newest
		if at.IsZero() {
			at = newest
		}
	}
	if !at.IsZero() {
		v.At = &at
		c := rec.Counts(at)
		v.Counts = countsView{c.Last10m, c.Last1h, c.Last24h, c.Last7d, c.Usual1h, c.DaysSeen, c.Members}
	}
	fine, hourly, daily := rec.Buckets()
	v.Buckets = bucketsView{views(fine), views(hourly), views(daily)}
	for _, b := range daily {
		v.Total += b.Count
	}
	for _, m := range rec.FirstSeen() {
		v.Members = append(v.Members, memberView{m.Account, m.FirstSeen})
	}
	for name := range attrs {
		if _, ok := window.TokenClaim(name); ok {
			v.WriteTokens++
		}
	}
	return v
}

func views(bs []window.Bucket) []bucketView {
	out := make([]bucketView, len(bs))
	for i, b := range bs {
		out[i] = bucketView{b.Start, b.Count}
	}
	return out
}
