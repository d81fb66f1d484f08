// Package ipinfo holds what the scanner knows of one IP address: its place,
// its network, and whether it is an anonymizer. internal/geo fills it from
// MaxMind databases and network lists; signals and the pipeline read it
// without knowing where it came from.
package ipinfo

// Info is what the scanner knows about one IP address.
type Info struct {
	Country     string // ISO code, "" if unknown
	City        string // English name, "" if unknown
	Lat, Lon    float64
	HasLocation bool // Lat and Lon are known
	// RadiusKm is the database's accuracy radius around Lat/Lon: the
	// address is within it with high confidence (0 if unknown).
	RadiusKm uint16
	TimeZone string
	ASN      uint32 // 0 if unknown
	ASOrg    string

	// Anonymizer flags. Hosting is also set for VPN exits, Tor exits and
	// public proxies on hosting networks when the source says so (MaxMind's
	// Anonymous IP database and the X4BNet datacenter list both do).
	Hosting, VPN, Tor, PublicProxy, ResidentialProxy bool
	Anonymous                                        bool // any of the above, or the Anonymous-IP db's is_anonymous
}
