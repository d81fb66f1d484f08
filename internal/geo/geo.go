// Package geo enriches an IP address with what MaxMind databases say about
// it: country, city, coordinates and time zone (GeoIP2/GeoLite2 City),
// autonomous system (GeoLite2 ASN) and anonymizer flags (GeoIP2 Anonymous
// IP). It is the only package that imports geoip2-golang.
//
// Every database is optional. A deployment without the commercial Anonymous
// IP database (GeoLite2 users) gets hosting and VPN flags from netlist's
// fallback lists instead; Off says in words which signals are missing.
package geo

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/oschwald/geoip2-golang/v2"

	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/netlist"
)

// Config names the databases to open.
type Config struct {
	CityPath, ASNPath, AnonPath string // each optional ("" = absent)
	// Fallback lists, used only for anonymizer flags when AnonPath is "":
	Lists *netlist.Lists // nil = no fallback
}

// Reader looks addresses up in the configured databases. It is safe for
// concurrent use; Close it when done.
type Reader struct {
	city, asn, anon *geoip2.Reader
	lists           *netlist.Lists // nil when anon is set
	off             []string
}

// The databases, as named in errors and in Off.
const (
	cityDB = "city"
	asnDB  = "asn"
	anonDB = "anonymous-ip"
)

// Open opens the databases named in cfg, memory-mapped. An error names the
// database and its path; a database of the wrong type is an error.
func Open(cfg Config) (*Reader, error) {
	r := &Reader{}
	var err error
	if r.city, err = open(cfg.CityPath, cityDB); err != nil {
		return nil, err
	}
	if r.asn, err = open(cfg.ASNPath, asnDB); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	if r.anon, err = open(cfg.AnonPath, anonDB); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	if r.anon == nil {
		r.lists = cfg.Lists
	}

	if r.city == nil {
		r.off = append(r.off, "city: no database configured (country/travel/timezone signals off)")
	}
	switch {
	case r.asn == nil && r.lists != nil:
		r.off = append(r.off, "asn: no database configured (ASN signals off; fallback lists match networks only, not ASNs)")
	case r.asn == nil:
		r.off = append(r.off, "asn: no database configured (ASN signals off)")
	}
	switch {
	case r.anon == nil && r.lists != nil:
		r.off = append(r.off, "anonymous-ip: no database configured (hosting/VPN from fallback lists; Tor, public and residential proxy signals off)")
	case r.anon == nil:
		r.off = append(r.off, "anonymous-ip: no database configured and no fallback lists (hosting/VPN/Tor/proxy signals off)")
	}
	return r, nil
}

func open(path, which string) (*geoip2.Reader, error) {
	if path == "" {
		return nil, nil
	}
	db, err := geoip2.Open(path)
	if err != nil {
		if db != nil { // geoip2 returns an open reader with an unknown-type error
			_ = db.Close() // the open error is the one worth reporting
		}
		return nil, fmt.Errorf("open %s db %s: %w", which, path, err)
	}
	if err := probe(db, which); err != nil {
		var wrong geoip2.InvalidMethodError
		if errors.As(err, &wrong) {
			err = fmt.Errorf("wrong database type %q for the %s db", db.Metadata().DatabaseType, which)
		}
		return nil, errors.Join(fmt.Errorf("open %s db %s: %w", which, path, err), db.Close())
	}
	return db, nil
}

// probe makes the lookup that which database must support; geoip2 answers
// with an InvalidMethodError when the file is of another type.
func probe(db *geoip2.Reader, which string) error {
	ip := netip.IPv4Unspecified()
	var err error
	switch which {
	case cityDB:
		_, err = db.City(ip)
	case asnDB:
		_, err = db.ASN(ip)
	case anonDB:
		_, err = db.AnonymousIP(ip)
	}
	return err
}

// Lookup returns what the databases say about ip. Fields of a database that
// is absent, does not know ip, or cannot be read at ip are left zero.
func (r *Reader) Lookup(ip netip.Addr) ipinfo.Info {
	var info ipinfo.Info
	if !ip.IsValid() {
		return info
	}
	ip = ip.Unmap()
	if r.city != nil {
		if c, err := r.city.City(ip); err == nil {
			info.Country = c.Country.ISOCode
			info.City = c.City.Names.English
			info.TimeZone = c.Location.TimeZone
			if c.Location.Latitude != nil && c.Location.Longitude != nil {
				info.Lat, info.Lon, info.HasLocation = *c.Location.Latitude, *c.Location.Longitude, true
				info.RadiusKm = c.Location.AccuracyRadius
			}
		}
	}
	if r.asn != nil {
		if a, err := r.asn.ASN(ip); err == nil {
			info.ASN = uint32(a.AutonomousSystemNumber)
			info.ASOrg = a.AutonomousSystemOrganization
		}
	}
	switch {
	case r.anon != nil:
		if a, err := r.anon.AnonymousIP(ip); err == nil {
			info.Hosting = a.IsHostingProvider
			info.VPN = a.IsAnonymousVPN
			info.Tor = a.IsTorExitNode
			info.PublicProxy = a.IsPublicProxy
			info.ResidentialProxy = a.IsResidentialProxy
			info.Anonymous = a.IsAnonymous
		}
	case r.lists != nil:
		info.Hosting = r.lists.Hosting(ip, info.ASN)
		info.VPN = r.lists.VPN(ip, info.ASN)
	}
	info.Anonymous = info.Anonymous || info.Hosting || info.VPN || info.Tor || info.PublicProxy || info.ResidentialProxy
	return info
}

// Off returns, in words, which databases are missing and which signals that
// turns off, e.g. "city: no database configured (country/travel/timezone
// signals off)"; it is empty when all three databases are open.
func (r *Reader) Off() []string {
	return append([]string(nil), r.off...)
}

// Close releases the databases.
func (r *Reader) Close() error {
	var errs []error
	for _, db := range []*geoip2.Reader{r.city, r.asn, r.anon} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}
