package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
)

// store is what abusectl needs of storage: the pipeline's needs plus
// reading the queue.
type store interface {
	pipeline.Store
	QueueItem(ctx context.Context, accountID string) (queue.Item, error)
	ListQueue(ctx context.Context, status queue.Status, action queue.Action, limit int) ([]queue.Item, error)
}

// errNoStore is returned by a command that reads or works a store that is
// not there: it would otherwise create an empty one and report an empty
// queue, hiding a missing "make demo" or a misspelt --db.
var errNoStore = errors.New("no store")

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	kind, db, endpoint     string
	stateTable, queueTable string
	createTables           bool
	buffer                 int
	// mustExist makes open refuse an embedded store file that does not
	// exist rather than create it: only a replay creates a store.
	mustExist bool
}

func (s *storeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&s.kind, "store", "embedded", "embedded (a local file) or dynamodb")
	fs.StringVar(&s.db, "db", "abusectl.db", "embedded store file")
	fs.StringVar(&s.endpoint, "endpoint", getenv("DYNAMODB_ENDPOINT"), "DynamoDB endpoint URL (a local DynamoDB-compatible server); default: the usual AWS configuration")
	fs.StringVar(&s.stateTable, "state-table", or(getenv("STATE_TABLE"), "abuse-state"), "DynamoDB state table")
	fs.StringVar(&s.queueTable, "queue-table", or(getenv("QUEUE_TABLE"), "abuse-queue"), "DynamoDB queue table")
	fs.BoolVar(&s.createTables, "create-tables", false, "with --store dynamodb: create the tables from template.yaml if absent (local servers)")
	fs.IntVar(&s.buffer, "buffer", 100_000, "with the embedded store, a replay's changed records held in memory between writes to the file (memory against speed; a killed replay, run again, finishes exactly)")
}

// open opens the store; noSync trades durability per batch for speed (a
// replay can simply be run again).
func (s *storeFlags) open(ctx context.Context, noSync bool) (store, func() error, error) {
	switch s.kind {
	case "embedded":
		// A replay buffers changed keys and flushes them in the background;
		// Close writes what is left.
		if s.mustExist {
			if _, err := os.Stat(s.db); errors.Is(err, os.ErrNotExist) {
				return nil, nil, fmt.Errorf("%w at %s: create one with \"abusectl replay --db %s FILE.jsonl\" (\"make demo\" leaves .demo.db), or name an existing store with --db", errNoStore, s.db, s.db)
			}
		}
		opts := embedded.Options{NoSync: noSync}
		if noSync {
			opts.Buffer = max(s.buffer, 0)
		}
		st, err := embedded.Open(s.db, opts)
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	case "dynamodb":
		client, err := dynamo.NewClient(ctx, s.endpoint)
		if err != nil {
			return nil, nil, err
		}
		tables := dynamo.Tables{State: s.stateTable, Queue: s.queueTable}
		st := dynamo.New(client, tables)
		if s.createTables {
			tpl, err := readTemplate()
			if err != nil {
				return nil, nil, err
			}
			if err := dynamo.CreateTables(ctx, client, tpl, tables); err != nil {
				return nil, nil, err
			}
		}
		return st, func() error { return nil }, nil
	}
	return nil, nil, fmt.Errorf("%w: --store %q: want embedded or dynamodb", errUsage, s.kind)
}

// readTemplate finds template.yaml in the working folder or above it.
func readTemplate() ([]byte, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "template.yaml"))
		if err == nil {
			return b, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("template.yaml not found in this folder or above (needed by --create-tables)")
		}
		dir = parent
	}
}

// scanFlags configure the scoring: GeoIP databases, rules, thresholds.
type scanFlags struct {
	// objects reads message objects (nil: message events are skipped);
	// set by the command, not a flag of its own.
	objects pipeline.Objects

	city, asn, anon string
	rules           string
	review, suspend int
	shadow          bool
	batch           int
	clusters        bool
}

func (f *scanFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.city, "geoip-city", getenv("GEOIP_CITY_DB"), "GeoIP2/GeoLite2 City database (default $GEOIP_CITY_DB)")
	fs.StringVar(&f.asn, "geoip-asn", getenv("GEOIP_ASN_DB"), "GeoLite2 ASN database (default $GEOIP_ASN_DB)")
	fs.StringVar(&f.anon, "geoip-anon", getenv("GEOIP_ANON_DB"), "GeoIP2 Anonymous IP database (default $GEOIP_ANON_DB)")
	fs.StringVar(&f.rules, "rules", getenv("RULES_SOURCE"), "rules file (default: the embedded rules)")
	fs.IntVar(&f.review, "review", 0, "review threshold (default $REVIEW_THRESHOLD or 50)")
	fs.IntVar(&f.suspend, "suspend", 0, "suspend threshold (default $SUSPEND_THRESHOLD or 80)")
	fs.BoolVar(&f.shadow, "shadow", false, "shadow mode: score and report, write nothing to the queue")
	fs.IntVar(&f.batch, "batch", 500, "events per batch (the functions use the trigger's batch)")
	fs.BoolVar(&f.clusters, "clusters", true, "link accounts into campaign clusters and judge them (false: each account on its own events, to compare)")
}

// devHashKey is used when no key is configured: fine for local trials, and
// said so, since hashes made with it are guessable. Published in this
// source, it would let anyone who reads shared tables reverse their hashes
// by guessing, so it hashes into anything but the local embedded store only
// when devKeyEnv says so.
const devHashKey = "abusectl-local-development-key"

// devKeyEnv, set to true, allows the development key into DynamoDB.
const devKeyEnv = "ABUSECTL_DEV_HASH_KEY"

// build assembles the scanner the way the functions do.
func (f *scanFlags) build(st store, getenv func(string) string, stderr io.Writer, clock setup.Clock) (*setup.Scanner, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	cfg.GeoCityDB, cfg.GeoASNDB, cfg.GeoAnonDB = f.city, f.asn, f.anon
	cfg.NoClusters = !f.clusters
	if f.review > 0 {
		cfg.Policy.Review = f.review
	}
	if f.suspend > 0 {
		cfg.Policy.Suspend = f.suspend
	}
	cfg.Policy.Shadow = cfg.Policy.Shadow || f.shadow
	if err := cfg.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	var rulesSrc []byte
	if f.rules != "" {
		if rulesSrc, err = os.ReadFile(f.rules); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	key := []byte(cfg.HashKey)
	if len(key) == 0 {
		if key, err = hashKey(st, getenv, stderr, "hashing"); err != nil {
			return nil, err
		}
	}
	sc, err := setup.Build(cfg, st, f.objects, rulesSrc, key, nil, clock)
	if err != nil {
		return nil, err
	}
	for _, off := range sc.Off {
		fmt.Fprintln(stderr, "abusectl: "+off)
	}
	return sc, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
