package mail

import (
	"bytes"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// corpusBytes is the total size of msgs.
func corpusBytes(msgs []message) int64 {
	var n int64
	for _, m := range msgs {
		n += int64(len(m.raw))
	}
	return n
}

// BenchmarkParse runs Parse over the whole SpamAssassin corpus per
// iteration; compare with BenchmarkEnmime for the cost of the pre-scan and
// the facts.
func BenchmarkParse(b *testing.B) {
	msgs := loadSpamAssassin(b)
	lim := DefaultLimits()
	b.SetBytes(corpusBytes(msgs))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			_, _ = Parse(m.raw, lim)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkEnmime is bare enmime ReadEnvelope over the same messages.
func BenchmarkEnmime(b *testing.B) {
	msgs := loadSpamAssassin(b)
	b.SetBytes(corpusBytes(msgs))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			_, _ = enmime.ReadEnvelope(bytes.NewReader(m.raw))
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkEnmimeSameOptions is bare enmime with the options Parse gives
// it (no charset detection where one is declared): the parse Parse
// starts from, so that the pre-scan's and the facts' cost is measured
// against like.
func BenchmarkEnmimeSameOptions(b *testing.B) {
	msgs := loadSpamAssassin(b)
	b.SetBytes(corpusBytes(msgs))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			_, _ = newParser().ReadEnvelope(bytes.NewReader(m.raw))
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPrescan is the pre-scan alone over the same messages.
func BenchmarkPrescan(b *testing.B) {
	msgs := loadSpamAssassin(b)
	lim := DefaultLimits()
	b.SetBytes(corpusBytes(msgs))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			_ = Prescan(m.raw, lim)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkTurnAway is Parse of each hostile sample: those the pre-scan
// turns away should cost microseconds, not enmime's seconds.
func BenchmarkTurnAway(b *testing.B) {
	lim := DefaultLimits()
	for _, m := range hostileSamples(b) {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse(m.raw, lim)
			}
		})
	}
}
