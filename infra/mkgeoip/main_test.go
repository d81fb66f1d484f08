package main

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/mailtrust/abusescan/internal/synth"
)

// committed is where the generated files live in the repository.
const committed = "../../testdata/geoip"

// TestCommittedFilesUpToDate regenerates everything and compares it with the
// committed files, so they never go stale: run `go run ./infra/mkgeoip` from
// the repository root when it fails.
func TestCommittedFilesUpToDate(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	if err := run([]string{"-out", out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{cityFile, asnFile, anonFile, readmeFile} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(committed, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run `go run ./infra/mkgeoip` from the repository root", name)
			}
			if len(got) > 256<<10 {
				t.Errorf("%s is %d bytes, want well under 1 MB", name, len(got))
			}
		})
	}
}

func TestReproducible(t *testing.T) {
	t.Parallel()
	a, err := build(synth.World())
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(synth.World())
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two builds", name)
		}
	}
}

// TestContents reads every block back with the low-level reader, so a
// mistake in record shape shows here even before internal/geo's tests.
func TestContents(t *testing.T) {
	t.Parallel()
	files, err := build(synth.World())
	if err != nil {
		t.Fatal(err)
	}
	open := func(name, wantType string) *maxminddb.Reader {
		r, err := maxminddb.OpenBytes(files[name])
		if err != nil {
			t.Fatal(err)
		}
		if r.Metadata.DatabaseType != wantType {
			t.Errorf("%s: type %q, want %q", name, r.Metadata.DatabaseType, wantType)
		}
		if r.Metadata.BuildEpoch != buildEpoch {
			t.Errorf("%s: build epoch %d, want %d", name, r.Metadata.BuildEpoch, buildEpoch)
		}
		return r
	}
	city, asn, anon := open(cityFile, "GeoIP2-City"), open(asnFile, "GeoLite2-ASN"), open(anonFile, "GeoIP2-Anonymous-IP")

	for _, n := range synth.World() {
		t.Run(n.Prefix.String(), func(t *testing.T) {
			ip := n.Addr(3)
			var c struct {
				Country struct {
					ISOCode string `maxminddb:"iso_code"`
				} `maxminddb:"country"`
				City struct {
					Names map[string]string `maxminddb:"names"`
				} `maxminddb:"city"`
				Location struct {
					Lat float64 `maxminddb:"latitude"`
					Lon float64 `maxminddb:"longitude"`
					TZ  string  `maxminddb:"time_zone"`
				} `maxminddb:"location"`
			}
			res := city.Lookup(ip)
			if err := res.Decode(&c); err != nil {
				t.Fatal(err)
			}
			if c.Country.ISOCode != n.Country || c.City.Names["en"] != n.City || c.Location.Lat != n.Lat || c.Location.Lon != n.Lon || c.Location.TZ != n.TimeZone {
				t.Errorf("city record %+v does not match %+v", c, n)
			}
			if got := res.Prefix(); got != n.Prefix && !(n.Prefix.Addr().Is4() && got.Bits() == n.Prefix.Bits()+96) {
				t.Errorf("city record network %s, want %s", got, n.Prefix)
			}

			var a struct {
				ASN uint32 `maxminddb:"autonomous_system_number"`
				Org string `maxminddb:"autonomous_system_organization"`
			}
			if err := asn.Lookup(ip).Decode(&a); err != nil {
				t.Fatal(err)
			}
			if a.ASN != n.ASN || a.Org != n.ASOrg {
				t.Errorf("asn record %+v, want AS%d %q", a, n.ASN, n.ASOrg)
			}

			var flags map[string]bool
			res = anon.Lookup(ip)
			if err := res.Decode(&flags); err != nil {
				t.Fatal(err)
			}
			want := map[synth.Role]string{
				synth.Hosting: "is_hosting_provider", synth.VPN: "is_anonymous_vpn", synth.Tor: "is_tor_exit_node",
				synth.PublicProxy: "is_public_proxy", synth.ResidentialProxy: "is_residential_proxy",
			}[n.Role]
			if want == "" {
				if res.Found() {
					t.Errorf("anonymous-ip record %v for a %s block, want none", flags, n.Role)
				}
				return
			}
			if !flags[want] || !flags["is_anonymous"] {
				t.Errorf("anonymous-ip record %v, want %s and is_anonymous", flags, want)
			}
		})
	}
	// Nothing outside the plan is in any database.
	for _, s := range []string{"8.8.8.8", "2001:4860::1"} {
		ip := netip.MustParseAddr(s)
		for _, r := range []*maxminddb.Reader{city, asn, anon} {
			if r.Lookup(ip).Found() {
				t.Errorf("%s found in %s, want absent", ip, r.Metadata.DatabaseType)
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-out", filepath.Join(file, "sub")}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q): no error", args)
		}
	}
}
