// Command mkgeoip writes the synthetic GeoIP test databases from the address
// plan of internal/synth: a GeoIP2 City, a GeoLite2 ASN and a GeoIP2
// Anonymous IP database in MaxMind DB format, plus a README saying what they
// are. The output is byte-for-byte reproducible.
//
// Usage, from the repository root:
//
//	go run ./infra/mkgeoip [-out testdata/geoip]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/mailtrust/abusescan/internal/synth"
)

// buildEpoch is fixed so that regenerating gives identical files:
// 2026-01-01T00:00:00Z.
const buildEpoch = 1767225600

// The files written, by name.
const (
	cityFile   = "GeoIP2-City-Test.mmdb"
	asnFile    = "GeoLite2-ASN-Test.mmdb"
	anonFile   = "GeoIP2-Anonymous-IP-Test.mmdb"
	readmeFile = "README.md"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkgeoip:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkgeoip", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "testdata/geoip", "directory to write the databases into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	files, err := build(synth.World())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, name := range []string{cityFile, asnFile, anonFile, readmeFile} {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", path, len(files[name]))
	}
	return nil
}

// build returns the contents of every output file, by file name.
func build(world []synth.Network) (map[string][]byte, error) {
	type db struct {
		file, dbType, what string
		record             func(synth.Network) (mmdbtype.Map, error)
	}
	dbs := []db{
		{cityFile, "GeoIP2-City", "GeoIP2 City", cityRecord},
		{asnFile, "GeoLite2-ASN", "GeoLite2 ASN", asnRecord},
		{anonFile, "GeoIP2-Anonymous-IP", "GeoIP2 Anonymous IP", anonRecord},
	}
	files := map[string][]byte{readmeFile: []byte(readme)}
	for _, d := range dbs {
		tree, err := mmdbwriter.New(mmdbwriter.Options{
			BuildEpoch:   buildEpoch,
			DatabaseType: d.dbType,
			Description: map[string]string{
				"en": "Synthetic " + d.what + " test database generated from internal/synth by infra/mkgeoip; not MaxMind data",
			},
			Languages:  []string{"en"},
			RecordSize: 24,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
		for _, n := range world {
			rec, err := d.record(n)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", d.file, n.Prefix, err)
			}
			if rec == nil {
				continue
			}
			if err := tree.Insert(ipNet(n.Prefix), rec); err != nil {
				return nil, fmt.Errorf("%s: insert %s: %w", d.file, n.Prefix, err)
			}
		}
		var buf bytes.Buffer
		if _, err := tree.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
		files[d.file] = buf.Bytes()
	}
	return files, nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	a := p.Masked().Addr()
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}

// country is what the City database says about a country beside its code.
type country struct {
	name      string
	geoNameID uint32
	continent string
	inEU      bool
}

// continents maps a continent code to its GeoNames id.
var continents = map[string]struct {
	name string
	id   uint32
}{
	"AF": {"Africa", 6255146},
	"AS": {"Asia", 6255147},
	"EU": {"Europe", 6255148},
	"NA": {"North America", 6255149},
	"SA": {"South America", 6255150},
}

// countries lists every country the synthetic world uses.
var countries = map[string]country{
	"BR": {name: "Brazil", geoNameID: 3469034, continent: "SA"},
	"CN": {name: "China", geoNameID: 1814991, continent: "AS"},
	"DE": {name: "Germany", geoNameID: 2921044, continent: "EU", inEU: true},
	"FR": {name: "France", geoNameID: 3017382, continent: "EU", inEU: true},
	"GB": {name: "United Kingdom", geoNameID: 2635167, continent: "EU"},
	"IN": {name: "India", geoNameID: 1269750, continent: "AS"},
	"JP": {name: "Japan", geoNameID: 1861060, continent: "AS"},
	"NG": {name: "Nigeria", geoNameID: 2328926, continent: "AF"},
	"NL": {name: "The Netherlands", geoNameID: 2750405, continent: "EU", inEU: true},
	"PH": {name: "Philippines", geoNameID: 1694008, continent: "AS"},
	"RU": {name: "Russia", geoNameID: 2017370, continent: "EU"},
	"SG": {name: "Singapore", geoNameID: 1880251, continent: "AS"},
	"UA": {name: "Ukraine", geoNameID: 690791, continent: "EU"},
	"US": {name: "United States", geoNameID: 6252001, continent: "NA"},
}

func cityRecord(n synth.Network) (mmdbtype.Map, error) {
	c, ok := countries[n.Country]
	if !ok {
		return nil, fmt.Errorf("country %q missing from mkgeoip's table", n.Country)
	}
	cont := continents[c.continent]
	countryRec := mmdbtype.Map{
		"geoname_id": mmdbtype.Uint32(c.geoNameID),
		"iso_code":   mmdbtype.String(n.Country),
		"names":      mmdbtype.Map{"en": mmdbtype.String(c.name)},
	}
	if c.inEU {
		countryRec["is_in_european_union"] = mmdbtype.Bool(true)
	}
	// Mobile and hosting locations are coarser than a home line's.
	radius := mmdbtype.Uint16(20)
	switch n.Role {
	case synth.Mobile:
		radius = 100
	case synth.Hosting, synth.VPN, synth.Tor, synth.PublicProxy:
		radius = 500
	}
	return mmdbtype.Map{
		"city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(n.City)}},
		"continent": mmdbtype.Map{
			"code":       mmdbtype.String(c.continent),
			"geoname_id": mmdbtype.Uint32(cont.id),
			"names":      mmdbtype.Map{"en": mmdbtype.String(cont.name)},
		},
		"country":            countryRec,
		"registered_country": countryRec,
		"location": mmdbtype.Map{
			"accuracy_radius": radius,
			"latitude":        mmdbtype.Float64(n.Lat),
			"longitude":       mmdbtype.Float64(n.Lon),
			"time_zone":       mmdbtype.String(n.TimeZone),
		},
	}, nil
}

func asnRecord(n synth.Network) (mmdbtype.Map, error) {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n.ASN),
		"autonomous_system_organization": mmdbtype.String(n.ASOrg),
	}, nil
}

// anonRecord follows MaxMind's conventions: only true flags are stored,
// is_anonymous is set with any other flag, and VPN exits, Tor exits and
// public proxies on hosting networks are hosting providers too.
func anonRecord(n synth.Network) (mmdbtype.Map, error) {
	var flags []string
	switch n.Role {
	case synth.Hosting:
		flags = []string{"is_hosting_provider"}
	case synth.VPN:
		flags = []string{"is_anonymous_vpn", "is_hosting_provider"}
	case synth.Tor:
		flags = []string{"is_tor_exit_node", "is_hosting_provider"}
	case synth.PublicProxy:
		flags = []string{"is_public_proxy", "is_hosting_provider"}
	case synth.ResidentialProxy:
		flags = []string{"is_residential_proxy"}
	default:
		return nil, nil
	}
	m := mmdbtype.Map{"is_anonymous": mmdbtype.Bool(true)}
	for _, f := range flags {
		m[mmdbtype.String(f)] = mmdbtype.Bool(true)
	}
	return m, nil
}

const readme = `# Synthetic GeoIP test databases

Generated files: do not edit. These are NOT MaxMind data. They are written
by ` + "`infra/mkgeoip`" + ` from the synthetic address plan in
` + "`internal/synth/world.go`" + ` with github.com/maxmind/mmdbwriter, in
MaxMind DB format, so that the scanner's ` + "`internal/geo`" + ` package reads
them exactly like the real GeoIP2 / GeoLite2 files a deployment uses.

- ` + "`GeoIP2-City-Test.mmdb`" + ` (type GeoIP2-City): country, continent and city
  with English names, latitude, longitude, accuracy radius and time zone, for
  every block.
- ` + "`GeoLite2-ASN-Test.mmdb`" + ` (type GeoLite2-ASN): autonomous system number and
  organization, for every block.
- ` + "`GeoIP2-Anonymous-IP-Test.mmdb`" + ` (type GeoIP2-Anonymous-IP): is_anonymous,
  is_anonymous_vpn, is_hosting_provider, is_public_proxy, is_residential_proxy
  and is_tor_exit_node, only for the hosting, VPN, Tor and proxy blocks.

The prefixes and AS numbers are real, public ones, but which city a block is
placed in and which role it plays are simplified for tests; never use these
files to learn anything about a real address.

To regenerate after changing ` + "`internal/synth`" + ` (from the repository root):

    go run ./infra/mkgeoip

The build is reproducible (fixed build epoch, deterministic insertion order);
` + "`go test ./infra/mkgeoip`" + ` fails when the committed files are stale.
`
