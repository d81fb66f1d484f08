package mail

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// outcome is the golden record of one Parse: the rejection, or a summary of
// the facts with their hashes.
type outcome struct {
	Rejected string   `json:"rejected,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Facts    *summary `json:"facts,omitempty"`
}

type summary struct {
	From             string     `json:"from"`
	FromName         string     `json:"from_name"`
	Date             string     `json:"date,omitempty"`
	DateOffset       int        `json:"date_offset"`
	OriginIP         string     `json:"origin_ip,omitempty"`
	Recipients       int        `json:"recipients"`
	RecipientDomains []string   `json:"recipient_domains"`
	Text             string     `json:"text"`
	TextWords        int        `json:"text_words"`
	Attachments      []attached `json:"attachments"`
	Findings         []string   `json:"findings"`
	Size             int        `json:"size"`
	Parts            int        `json:"parts"`
}

type attached struct {
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`
	Image       bool   `json:"image"`
	ImageHash   string `json:"image_hash,omitempty"`
}

func summarize(f Facts, err error) outcome {
	if r := (*Rejection)(nil); errors.As(err, &r) {
		return outcome{Rejected: r.Reason, Detail: r.Detail}
	}
	s := &summary{
		From: f.From, FromName: f.FromName, DateOffset: f.DateOffset,
		Recipients: f.Recipients, RecipientDomains: f.RecipientDomains,
		Text: fmt.Sprintf("%016x", uint64(f.Text)), TextWords: f.TextWords,
		Findings: f.Findings, Size: f.Size, Parts: f.Parts,
	}
	if f.HasDate {
		s.Date = f.Date.Format(time.RFC3339)
	}
	if f.OriginIP.IsValid() {
		s.OriginIP = f.OriginIP.String()
	}
	for _, a := range f.Attachments {
		x := attached{ContentType: a.ContentType, Size: a.Size, SHA256: hex.EncodeToString(a.SHA256[:]), Image: a.Image}
		if a.Hashed {
			x.ImageHash = fmt.Sprintf("%016x", uint64(a.ImageHash))
		}
		s.Attachments = append(s.Attachments, x)
	}
	return outcome{Facts: s}
}

// TestHostile runs every sample of testdata/mail/hostile against its golden
// file, and holds each to what it is there to show.
func TestHostile(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		reason  string // turned away for this reason, or parsed when ""
		finding string // a finding the parse must report
	}{
		"bad-base64":        {finding: "mime_bad_base64:"},
		"bad-charsets":      {finding: "mime_bad_charset:"},
		"base64-flood":      {reason: ReasonUnparseable},
		"deep-nesting":      {reason: ReasonTooDeep},
		"folded-boundary":   {reason: ReasonTooManyParts},
		"huge-header":       {reason: ReasonHeadersTooLarge},
		"junk-received":     {},
		"many-header-lines": {reason: ReasonHeadersTooLarge},
		"many-parts":        {reason: ReasonTooManyParts},
		"nul-long-line":     {},
		"png-bomb":          {finding: FindingImageTooLarge},
	}
	samples := hostileSamples(t)
	if len(samples) != len(want) {
		t.Errorf("%d samples, %d expectations", len(samples), len(want))
	}
	for _, m := range samples {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			w, ok := want[m.name]
			if !ok {
				t.Fatalf("no expectation for sample %s", m.name)
			}
			lim := DefaultLimits()
			f, err := Parse(m.raw, lim)
			got := checkOutcome(t, m.name, m.raw, lim, f, err)
			if got != w.reason {
				t.Errorf("outcome %q (%v), want %q", got, err, w.reason)
			}
			if w.finding != "" && !strings.Contains(strings.Join(f.Findings, " "), w.finding) {
				t.Errorf("findings %v, want %s", f.Findings, w.finding)
			}
			if w.reason != "" {
				if perr := Prescan(m.raw, lim); perr == nil || perr.Error() != err.Error() {
					t.Errorf("Prescan = %v, want the same as Parse: %v", perr, err)
				}
			}
			golden(t, filepath.Join(hostileDir, m.name+".golden"), summarize(f, err))
		})
	}
}

// golden compares v as indented JSON to the file, or rewrites it under -update.
func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/mail -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/mail -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestTooLarge turns away a message over MaxBytes before reading a line of
// it; it is built in memory rather than committed.
func TestTooLarge(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits()
	raw := append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef\r\n"), lim.MaxBytes/18+1)...)
	_, err := Parse(raw, lim)
	var r *Rejection
	if !errors.As(err, &r) || r.Reason != ReasonTooLarge {
		t.Fatalf("Parse = %v, want %s", err, ReasonTooLarge)
	}
}
