// Package setup assembles the scanner's parts from a configuration: GeoIP
// databases, network and disposable-domain lists, the username model, the
// rules and the decision policy. The functions and abusectl call it with
// their own store, so that every entry point scores exactly alike.
package setup

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/disposable"
	"github.com/mailtrust/abusescan/internal/geo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/netlist"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/rules"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/username"
)

// Scanner is an assembled pipeline and what it holds open.
type Scanner struct {
	Pipeline *pipeline.Pipeline
	Rules    *rules.Set
	Geo      *geo.Reader
	// Off lists, in words, the signals that are off for want of data.
	Off []string
}

// Close releases the GeoIP databases.
func (s *Scanner) Close() error { return s.Geo.Close() }

// Clock is the receiver's clock, and how event times are judged against it.
type Clock struct {
	// Now bounds how far ahead events may be dated and times claims'
	// leases. Nil: the system clock for leases and no bound ahead, which
	// implies History (tests of old synthetic streams).
	Now func() time.Time
	// History: the events are a replay of the past; state retention is
	// judged against the newest event seen, not against Now.
	History bool
}

// Build assembles a scanner. objects reads the raw messages of Mailbox
// Message Sent events (nil: those events are skipped); rulesSrc is the rules
// file (nil: the embedded default); hashKey the key for hashing personal values; clock the
// receiver's (see Clock).
func Build(cfg config.Config, store pipeline.Store, objects pipeline.Objects, rulesSrc, hashKey []byte, log *slog.Logger, clock Clock) (*Scanner, error) {
	var errs []error
	var lists *netlist.Lists
	var err error
	if cfg.GeoAnonDB == "" {
		lists, err = netlist.Load(netlist.Paths{
			HostingCIDRs: cfg.HostingCIDRs, VPNCIDRs: cfg.VPNCIDRs,
			HostingASNs: cfg.HostingASNs, VPNASNs: cfg.VPNASNs,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("network lists: %w", err))
		}
	}
	g, err := geo.Open(geo.Config{CityPath: cfg.GeoCityDB, ASNPath: cfg.GeoASNDB, AnonPath: cfg.GeoAnonDB, Lists: lists})
	if err != nil {
		errs = append(errs, err)
	}
	var dom *disposable.List
	if cfg.DisposableDomains != "" {
		dom, err = disposable.Load(cfg.DisposableDomains)
	} else {
		dom, err = disposable.Default()
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("disposable domains: %w", err))
	}
	model, err := username.Default()
	if err != nil {
		errs = append(errs, fmt.Errorf("username model: %w", err))
	}
	if rulesSrc == nil {
		rulesSrc = rules.DefaultSource()
	}
	cat := signal.NewCatalog()
	rs, err := rules.Parse(rulesSrc, cat)
	if err != nil {
		errs = append(errs, err)
	}
	loginCat := signal.NewLoginCatalog()
	lrs, err := rules.ParseLogin(rulesSrc, loginCat)
	if err != nil {
		errs = append(errs, err)
	}
	msgCat := signal.NewMessageCatalog()
	mrs, err := rules.ParseMessage(rulesSrc, msgCat)
	if err != nil {
		errs = append(errs, err)
	}
	clusterCat := signal.NewClusterCatalog()
	crs, err := rules.ParseCluster(rulesSrc, clusterCat)
	if err != nil {
		errs = append(errs, err)
	}
	hasher, err := keyhash.New(hashKey)
	if err != nil {
		errs = append(errs, fmt.Errorf("hash key: %w", err))
	}
	if len(errs) > 0 {
		if g != nil {
			g.Close()
		}
		return nil, errors.Join(errs...)
	}
	p, err := pipeline.New(pipeline.Config{
		Store: store, Objects: objects, Geo: g, GeoCity: cfg.GeoCityDB != "", GeoASN: cfg.GeoASNDB != "",
		Extractor: signal.NewExtractor(cat, Names{model}, dom),
		Rules:     rs, LoginRules: lrs, LoginCatalog: loginCat, MessageRules: mrs, MessageCatalog: msgCat,
		ClusterRules: crs, ClusterCatalog: clusterCat, NoClusters: cfg.NoClusters, Policy: cfg.Policy, Hasher: hasher, Logger: log, Now: clock.Now,
		History: clock.History || clock.Now == nil,
	})
	if err != nil {
		g.Close()
		return nil, err
	}
	return &Scanner{Pipeline: p, Rules: rs, Geo: g, Off: g.Off()}, nil
}

// FillerRandomness is the randomness a bought-account filler needs.
const FillerRandomness = 0.9

// Names adapts the username model to what signals need.
type Names struct{ M *username.Model }

// Template returns the username's shape.
func (n Names) Template(local string) string { return username.Template(local) }

// Randomness returns how unlike real names the username's letters are.
func (n Names) Randomness(local string) (float64, int) { return n.M.Randomness(local) }

// Pattern returns how the username derives from the display name, and the
// random filler when it is a bought-account pattern.
func (n Names) Pattern(local, display string) (string, string) {
	m := n.M.NameMismatch(local, display)
	// The model is trained on US census names: a real surname from another
	// culture ("yadav", "chukwu") can look random to it, so only filler it
	// is confident about counts.
	if m.Suspicious() && m.Randomness >= FillerRandomness && len(m.Filler) >= 3 {
		return m.Pattern.String(), m.Filler
	}
	return m.Pattern.String(), ""
}
