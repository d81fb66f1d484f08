package disposable

import "testing"

// BenchmarkDefault is the list's share of a cold start.
func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkContains(b *testing.B) {
	l := mustDefault(b)
	domains := []string{"gmail.com", "mailinator.com", "a.b.mailinator.com", "mail.example", "outlook.com", "GuerrillaMail.com"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Contains(domains[i%len(domains)])
	}
}
