package setup_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/setup"
)

const geoDir = "../../testdata/geoip"

func config1(anon bool) config.Config {
	c := config.Config{
		GeoCityDB: filepath.Join(geoDir, "GeoIP2-City-Test.mmdb"),
		GeoASNDB:  filepath.Join(geoDir, "GeoLite2-ASN-Test.mmdb"),
		Policy:    decision.DefaultPolicy(),
	}
	if anon {
		c.GeoAnonDB = filepath.Join(geoDir, "GeoIP2-Anonymous-IP-Test.mmdb")
	}
	return c
}

func TestBuildReportsEveryProblem(t *testing.T) {
	t.Parallel()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config1(false)
	cfg.GeoCityDB = "/nonexistent/city.mmdb"
	cfg.DisposableDomains = "/nonexistent/domains.txt"
	_, err = setup.Build(cfg, st, nil, []byte("version: 1\nrules: [{name: a, when: nope, points: 1, reason: x}]"), []byte("short"), nil, setup.Clock{})
	if err == nil {
		t.Fatal("Build succeeded with a missing database, list, bad rules and a short key")
	}
	for _, want := range []string{"/nonexistent/city.mmdb", "disposable", "rule 1 (a)", "hash key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestBuildSaysWhatIsOff(t *testing.T) {
	t.Parallel()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config1(true)
	cfg.GeoCityDB = ""
	sc, err := setup.Build(cfg, st, nil, nil, []byte("a-key-of-enough-bytes"), nil, setup.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if len(sc.Off) != 1 || !strings.Contains(sc.Off[0], "city") {
		t.Errorf("Off = %q, want one line about the city database", sc.Off)
	}
}

// BenchmarkColdStart is what a function does before its first event:
// open the GeoIP databases (memory-mapped), load the network and disposable
// lists and the username model, and compile the rules.
func BenchmarkColdStart(b *testing.B) {
	st, err := embedded.Open(filepath.Join(b.TempDir(), "s.db"), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, anon := range []bool{true, false} {
		name := "anon-db"
		if !anon {
			name = "lists"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sc, err := setup.Build(config1(anon), st, nil, nil, []byte("a-key-of-enough-bytes"), nil, setup.Clock{})
				if err != nil {
					b.Fatal(err)
				}
				sc.Close()
			}
		})
	}
}
