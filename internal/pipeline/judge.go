package pipeline

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/window"
)

// judge decides every new event of ws from its own inputs and the counts it
// saw, on every core; an event taken over from an earlier attempt keeps the
// decision recorded in its claim. Judging reads and writes nothing.
func (p *Pipeline) judge(ctx context.Context, ws []*work, results []Result) {
	parallel(len(ws), func(i int) {
		w := ws[i]
		if w.foreign {
			return
		}
		if w.prev == nil {
			w.dec = p.decide(ctx, w)
		}
		res := &results[w.idx]
		res.Verdict, res.Score, res.Reasons, res.Cluster = w.dec.Verdict, w.dec.Score, w.dec.Reasons, w.dec.Cluster
	})
}

// decide scores one signup: signals, rules, policy.
func (p *Pipeline) decide(ctx context.Context, w *work) decided {
	present := make(map[window.Kind]window.Counts, len(w.keys))
	for i, k := range w.keys {
		present[k.kind] = w.counts[i]
	}
	sig := p.c.Extractor.Extract(signal.Input{
		Signup: w.su, Geo: w.geo, GeoCity: p.c.GeoCity, GeoASN: p.c.GeoASN,
		Prefix: w.prefix, Counts: present,
	})
	reasons, score, evalErr := p.c.Rules.Score(sig)
	if evalErr != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "rule evaluation", slog.String("eventId", w.ev.ID), slog.String("error", evalErr.Error()))
	}
	d := decided{Verdict: p.c.Policy.Decide(score, reasons), Score: score, Reasons: reasons, Rules: p.c.Rules.Version()}
	if _, ok := d.Verdict.Action(); ok {
		d.Cluster = sharedKey(w)
	}
	return d
}

// clusterKinds are the attributes that can link a campaign, most specific
// first; an ASN links too many strangers to name a campaign.
var clusterKinds = []window.Kind{window.Device, window.RecoveryPhone, window.RecoveryEmail, window.IP, window.Template, window.Prefix}

// sharedKey names the shared attribute that links the account to the most
// other recent signups, if any links at least three.
func sharedKey(w *work) *queue.Cluster {
	var best *queue.Cluster
	for _, kind := range clusterKinds {
		for i, k := range w.keys {
			if k.kind != kind {
				continue
			}
			size := int(w.counts[i].Last7d)
			if size >= 3 && (best == nil || size > best.Size) {
				best = &queue.Cluster{Key: string(k.key), Size: size}
			}
		}
	}
	return best
}

// encode is how a decision is kept in a claim: JSON, deflated when it is
// long. A bot wave's reasons run to a couple of kilobytes of repetitive
// text, and a claim is written twice at one write unit per started
// kilobyte; most decisions are short, and deflating them would cost more
// time than it saves.
func (d decided) encode() []byte {
	// Neither step can fail: the types are plain, the writer a buffer.
	b, _ := json.Marshal(d)
	if len(b) <= rawDecision {
		return append([]byte{'j'}, b...)
	}
	zw := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(zw)
	buf := bytes.NewBuffer(append(make([]byte, 0, len(b)/2), 'z'))
	zw.Reset(buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// rawDecision is the longest decision kept as it is.
const rawDecision = 600

// deflaters are reused: a flate.Writer is about a megabyte of tables.
var deflaters = sync.Pool{New: func() any {
	zw, _ := flate.NewWriter(nil, flate.BestCompression)
	return zw
}}

// maxDecision bounds a recorded decision once inflated: reasons are
// bounded in number and size (queue.MaxReasons, queue.MaxDetailBytes).
const maxDecision = 256 << 10

func (d *decided) decode(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("recorded decision: empty")
	}
	raw := b[1:]
	switch b[0] {
	case 'j':
	case 'z':
		var err error
		raw, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b[1:])), maxDecision+1))
		if err != nil {
			return fmt.Errorf("recorded decision: %w", err)
		}
		if len(raw) > maxDecision {
			return fmt.Errorf("recorded decision: over %d bytes", maxDecision)
		}
	default:
		return fmt.Errorf("recorded decision: unknown encoding %q", b[0])
	}
	if err := json.Unmarshal(raw, d); err != nil {
		return fmt.Errorf("recorded decision: %w", err)
	}
	return nil
}
