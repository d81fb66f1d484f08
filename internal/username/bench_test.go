package username

import "testing"

var benchUsernames = []string{
	"james.miller1987", "jsmith4821", "xkqzvbrw", "nguyen.thanh.hai",
	"oluwaseun.adeyemi", "roblesxyfi", "priya.sharma92", "TruesdaleebwEli",
}

func BenchmarkTemplate(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = Template(benchUsernames[i%len(benchUsernames)])
	}
}

func BenchmarkAppendTemplate(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, MaxTemplate)
	for i := 0; b.Loop(); i++ {
		buf = AppendTemplate(buf[:0], benchUsernames[i%len(benchUsernames)])
	}
}

func BenchmarkRandomness(b *testing.B) {
	m := defaultModel(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = m.Randomness(benchUsernames[i%len(benchUsernames)])
	}
}

func BenchmarkNameMismatch(b *testing.B) {
	m := defaultModel(b)
	cases := [][2]string{
		{"james.miller1987", "James Miller"},
		{"roblesxyfi", "Margarite Robles"},
		{"truesdaleebweli", "Elin Truesdale"},
		{"coolguy99", "James Miller"},
		{"nguyen.thanh.hai", "Nguyễn Thanh Hải"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := cases[i%len(cases)]
		_ = m.NameMismatch(c[0], c[1])
	}
}

// BenchmarkDefault is the model's share of a cold start.
func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}
