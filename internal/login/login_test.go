package login

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/ipinfo"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func place(country, city string, lat, lon float64, radius uint16) ipinfo.Info {
	return ipinfo.Info{Country: country, City: city, Lat: lat, Lon: lon, HasLocation: true, RadiusKm: radius}
}

var (
	newYork  = place("US", "New York", 40.71, -74.00, 20)
	london   = place("GB", "London", 51.50, -0.12, 20)
	beijing  = place("CN", "Beijing", 39.90, 116.40, 20)
	toronto  = place("CA", "Toronto", 43.65, -79.38, 20)
	usCoarse = place("US", "", 37.75, -97.82, 1000)
	caCoarse = place("CA", "", 43.64, -79.42, 1000)
)

func in(id string, at time.Time, g ipinfo.Info, net, dev uint32) Input {
	return Input{ID: id, At: at, Geo: g, Net: net, Device: dev, Protocol: "web"}
}

// learned returns a state past its learning period, at home in New York.
func learned(t *testing.T) (State, time.Time) {
	t.Helper()
	var s State
	at := t0
	for i := range 12 {
		at = t0.Add(time.Duration(i) * 36 * time.Hour)
		s.Observe(in(fmt.Sprint("l", i), at, newYork, 1, 1), DefaultSettings())
	}
	return s, at
}

func TestImpossibleTravel(t *testing.T) {
	set := DefaultSettings()
	tests := []struct {
		name string
		from ipinfo.Info
		to   ipinfo.Info
		gap  time.Duration
		want bool
	}{
		{"New York to Beijing in 20 min", newYork, beijing, 20 * time.Minute, true},
		{"New York to London in 7 h 30", newYork, london, 7*time.Hour + 30*time.Minute, false},
		{"New York to London in 2 h", newYork, london, 2 * time.Hour, true},
		{"neighbours, cities, 30 min", newYork, toronto, 30 * time.Minute, true},
		{"neighbours on country-level data, 10 min", usCoarse, caCoarse, 10 * time.Minute, false},
		{"within one country", newYork, place("US", "Seattle", 47.6, -122.3, 20), 5 * time.Minute, false},
		{"radii cover the jump", place("US", "Detroit", 42.33, -83.04, 200), place("CA", "Windsor", 42.30, -83.02, 200), time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s State
			s.Observe(in("a", t0, tc.from, 1, 1), set)
			f, _ := s.Observe(in("b", t0.Add(tc.gap), tc.to, 2, 1), set)
			if f.Impossible != tc.want {
				t.Errorf("impossible = %v (%.0f km at %.0f km/h), want %v", f.Impossible, f.TravelKm, f.TravelKmh, tc.want)
			}
		})
	}
}

// TestAnonymizersAreNoPlace: a VPN or hosting address is never an end of
// a jump, and is not learned as a place.
func TestAnonymizersAreNoPlace(t *testing.T) {
	set := DefaultSettings()
	vpn := beijing
	vpn.VPN, vpn.Anonymous = true, true
	var s State
	s.Observe(in("a", t0, newYork, 1, 1), set)
	f, ch := s.Observe(in("b", t0.Add(5*time.Minute), vpn, 2, 1), set)
	if f.Impossible || f.Real || ch.JoinNet {
		t.Errorf("VPN login: impossible %v real %v join %v, want none", f.Impossible, f.Real, ch.JoinNet)
	}
	f, _ = s.Observe(in("c", t0.Add(10*time.Minute), london, 3, 1), set)
	if !f.Impossible || f.TravelFrom != "US" {
		t.Errorf("London 10 min after New York, a VPN between: from %q impossible %v; the jump is measured from New York", f.TravelFrom, f.Impossible)
	}
}

// TestStaleLastSeen: the stored last-seen time is as coarse as Refresh, so
// the jump is measured from it: a far jump minutes after is still caught.
func TestStaleLastSeen(t *testing.T) {
	set := DefaultSettings()
	s, at := learned(t)
	// Logins at home within the refresh period do not move the stored time.
	for i := range 5 {
		s.Observe(in(fmt.Sprint("h", i), at.Add(time.Duration(i+1)*time.Hour), newYork, 1, 1), set)
	}
	if got := s.Places[0].Last; got != minutes(at) {
		t.Fatalf("stored last-seen moved to %d within the refresh period, want %d", got, minutes(at))
	}
	f, _ := s.Observe(in("cn", at.Add(5*time.Hour+20*time.Minute), beijing, 9, 1), set)
	if !f.Impossible {
		t.Errorf("Beijing 20 min after the last New York login (5 h 20 after the stored one): %.0f km/h, want impossible", f.TravelKmh)
	}
}

func TestLearningAndNewCountry(t *testing.T) {
	set := DefaultSettings()
	var s State
	f, _ := s.Observe(in("a", t0, newYork, 1, 1), set)
	if !f.Learning || f.Known {
		t.Errorf("first login: learning %v known %v", f.Learning, f.Known)
	}
	f, _ = s.Observe(in("b", t0.Add(24*time.Hour), london, 2, 1), set)
	if f.NewCountry {
		t.Error("a new country during the learning period fired")
	}
	s, at := learned(t)
	f, ch := s.Observe(in("c", at.Add(9*time.Hour), london, 2, 1), set)
	if !f.NewCountry || f.Learning || !ch.Write {
		t.Errorf("London after learning: new %v learning %v write %v", f.NewCountry, f.Learning, ch.Write)
	}
	f, _ = s.Observe(in("d", at.Add(33*time.Hour), london, 2, 1), set)
	if f.NewCountry {
		t.Error("the second login from the new country fired again")
	}
}

func TestQuietLoginChangesNothing(t *testing.T) {
	set := DefaultSettings()
	s, at := learned(t)
	before := s.Encode(nil)
	f, ch := s.Observe(in("q", at.Add(time.Hour), newYork, 1, 1), set)
	if ch.Write || ch.JoinNet || ch.JoinDevice || f.NewNet || f.NewDevice {
		t.Errorf("a known login asks %+v %+v", ch, f)
	}
	if string(s.Encode(nil)) != string(before) {
		t.Error("a login that writes nothing changed the state")
	}
	_, ch = s.Observe(in("q2", at.Add(7*time.Hour), newYork, 1, 1), set)
	if !ch.Write {
		t.Error("a login past the refresh period did not refresh the last-seen time")
	}
	_, ch = s.Observe(in("q3", at.Add(8*time.Hour), newYork, 1, 7), set)
	if !ch.Write || !ch.JoinDevice || ch.JoinNet {
		t.Errorf("new device: %+v, want a write and a device join only", ch)
	}
}

func TestDuplicate(t *testing.T) {
	set := DefaultSettings()
	var s State
	_, ch := s.Observe(in("a", t0, newYork, 1, 1), set)
	if !ch.Write {
		t.Fatal("first login wrote nothing")
	}
	s.Remember("a")
	_, ch = s.Observe(in("a", t0, newYork, 1, 1), set)
	if !ch.Duplicate {
		t.Error("a remembered login is not a duplicate")
	}
}

func TestRaise(t *testing.T) {
	var s State
	if !s.Raise(50, []string{"impossible_travel"}) {
		t.Error("first raise refused")
	}
	if s.Raise(50, []string{"impossible_travel"}) || s.Raise(40, []string{"impossible_travel"}) {
		t.Error("the same or weaker raise accepted")
	}
	if !s.Raise(50, []string{"new_country"}) || !s.Raise(60, nil) {
		t.Error("a new rule or a higher score refused")
	}
}

func TestPeersJudge(t *testing.T) {
	set := DefaultSettings()
	day := int32(20500)
	var home Peers
	for i := range 3 {
		home.Join(fmt.Sprint("fam", i), day, true)
		home.Join(fmt.Sprint("fam", i), day+1, true)
	}
	if f := home.Judge(day+1, set.FarmAccounts, set); f.Is {
		t.Errorf("a family of three is a farm: %+v", f)
	}
	// A dozen new mailboxes begin signing in over three days...
	for i := range 9 {
		home.Join(fmt.Sprint("farm", i), day+int32(i%3), true)
	}
	if f := home.Judge(day+3, set.FarmAccounts, set); f.Is {
		t.Errorf("new mailboxes that never came back are a farm: %+v", f)
	}
	// ...and come back the next days: they live here.
	for i := range 9 {
		home.Join(fmt.Sprint("farm", i), day+3, true)
	}
	if f := home.Judge(day+3, set.FarmAccounts, set); !f.Is || f.Recent != 12 {
		t.Errorf("a dozen new mailboxes signing in day after day: %+v, want a farm of 12", f)
	}
	if home.Join("farm1", day+3, true) {
		t.Error("joining again on the same day changed the set")
	}
	// Outside the window, the farm is history.
	if f := home.Judge(day+30, set.FarmAccounts, set); f.Is {
		t.Errorf("a month later: %+v", f)
	}
	// A campus: dozens of accounts every week for months, then a dozen
	// students who come back every day.
	var campus Peers
	for d := range 60 {
		for i := range 12 {
			campus.Join(fmt.Sprintf("c%d-%d", d, i), day+int32(d), false)
		}
	}
	for i := range 12 {
		campus.Join(fmt.Sprint("fresher", i), day+58, true)
		campus.Join(fmt.Sprint("fresher", i), day+60, true)
	}
	if f := campus.Judge(day+60, set.FarmAccounts, set); f.Is {
		t.Errorf("a campus is a farm: %+v", f)
	}
	// A new address where established accounts begin signing in beside the
	// young ones (a carrier NAT, a hotel): no farm, even with no history.
	var nat Peers
	for i := range 20 {
		nat.Join(fmt.Sprint("old", i), day, false)
	}
	for i := range 8 {
		nat.Join(fmt.Sprint("new", i), day, true)
		nat.Join(fmt.Sprint("new", i), day+1, true)
	}
	if f := nat.Judge(day+1, set.FarmAccounts, set); f.Is {
		t.Errorf("a shared address of mostly established accounts is a farm: %+v", f)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	set := DefaultSettings()
	cities := []ipinfo.Info{newYork, london, beijing, toronto, usCoarse}
	for trial := range 200 {
		var s State
		s.Signup = Signup{Looked: true, Seen: trial%2 == 0, Created: 29_000_000, Claimed: "US", Country: "US", Anonymous: trial%3 == 0, Score: uint8(trial)}
		at := t0
		for i := range r.IntN(40) {
			at = at.Add(time.Duration(r.IntN(600)) * time.Minute)
			s.Observe(in(fmt.Sprint(trial, i), at, cities[r.IntN(len(cities))], r.Uint32N(20)+1, r.Uint32N(20)), set)
			s.Remember(fmt.Sprint(trial, i))
			s.Raise(r.IntN(100), []string{fmt.Sprint("r", r.IntN(30))})
		}
		b := s.Encode(nil)
		if len(b) > 1024 {
			t.Fatalf("state of %d bytes, more than one write unit", len(b))
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		want := s.Clone()
		if !reflect.DeepEqual(normal(got), normal(want)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
		for cut := range len(b) {
			if _, err := Decode(b[:cut]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated at %d: %v, want ErrCorrupt", cut, err)
			}
		}
	}
}

// normal makes empty slices nil, so that DeepEqual compares content.
func normal(s State) State {
	if len(s.Places) == 0 {
		s.Places = nil
	}
	if len(s.Nets) == 0 {
		s.Nets = nil
	}
	if len(s.Devices) == 0 {
		s.Devices = nil
	}
	if len(s.Countries) == 0 {
		s.Countries = nil
	}
	if len(s.Recent) == 0 {
		s.Recent = nil
	}
	if len(s.RaisedRules) == 0 {
		s.RaisedRules = nil
	}
	return s
}

func FuzzDecode(f *testing.F) {
	var s State
	s.Observe(in("a", t0, newYork, 1, 1), DefaultSettings())
	f.Add(s.Encode(nil))
	var p Peers
	p.Join("acc", 1, true)
	f.Add(p.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := Decode(b); err == nil {
			if _, err := Decode(s.Encode(nil)); err != nil {
				t.Errorf("re-encoding a decoded state fails: %v", err)
			}
		}
		if p, err := DecodePeers(b); err == nil {
			if _, err := DecodePeers(p.Encode(nil)); err != nil {
				t.Errorf("re-encoding decoded peers fails: %v", err)
			}
		}
	})
}

// TestTorDeviceLinksNobody: Tor Browser makes its users look alike, so a
// device id seen through Tor never joins a device's peer set.
func TestTorDeviceLinksNobody(t *testing.T) {
	tor := newYork
	tor.Tor, tor.Hosting, tor.Anonymous = true, true, true
	var s State
	_, ch := s.Observe(in("a", t0, tor, 1, 42), DefaultSettings())
	if ch.JoinDevice || ch.JoinNet {
		t.Errorf("a login through Tor joins %+v", ch)
	}
	_, ch = s.Observe(in("b", t0.Add(time.Hour), newYork, 2, 43), DefaultSettings())
	if !ch.JoinDevice || !ch.JoinNet {
		t.Errorf("a direct login from a new device and network joins %+v, want both", ch)
	}
}
