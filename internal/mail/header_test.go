package mail

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestOriginIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		xoip     string
		received []string // in message order: the last is the earliest hop
		want     string   // "" when none
	}{
		{"x-originating-ip bracketed", "[198.51.100.7]", []string{"from x ([192.0.2.1]) by y"}, "198.51.100.7"},
		{"x-originating-ip bare", " 198.51.100.7 ", nil, "198.51.100.7"},
		{"x-originating-ip ipv6", "[2001:db8::7]", nil, "2001:db8::7"},
		{"x-originating-ip junk falls back", "unknown", []string{"from h (h [192.0.2.1]) by mx"}, "192.0.2.1"},
		{"postfix", "", []string{"from host.example (host.example [192.0.2.1])\r\n\tby mx.example.net (Postfix) with ESMTP id 1"}, "192.0.2.1"},
		{"earliest hop wins", "", []string{"from relay (relay [203.0.113.1]) by mx", "from client (client [192.0.2.2]) by relay"}, "192.0.2.2"},
		{"ipv6 literal", "", []string{"from h ([IPv6:2001:db8::1]) by mx"}, "2001:db8::1"},
		{"forged helo literal", "", []string{"from [6.6.6.6] (unknown [192.0.2.3]) by mx"}, "192.0.2.3"},
		{"exim", "", []string{"from rdns.example ([10.0.0.1] helo=x) [192.0.2.4] by mx"}, "192.0.2.4"},
		{"qmail parentheses", "", []string{"from unknown (HELO mail.example) (192.0.2.5) by mx"}, "192.0.2.5"},
		{"address and port", "", []string{"from h (192.0.2.6:4321) by mx"}, "192.0.2.6"},
		{"fetchmail", "", []string{"from mail.webnote.net [193.120.211.219]\n\tby localhost with POP3"}, "193.120.211.219"},
		{"by clause ignored", "", []string{"from localhost by mx.example.net [192.0.2.9]"}, ""},
		{"private kept", "", []string{"from h (h [10.1.2.3]) by mx"}, "10.1.2.3"},
		{"junk", "", []string{"\x01 ((( [ ]] [999.1.1.1] by by"}, ""},
		{"none", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := originIP(tt.xoip, tt.received)
			want := netip.Addr{}
			if tt.want != "" {
				want = netip.MustParseAddr(tt.want)
			}
			if got != want {
				t.Errorf("originIP = %v, want %v", got, want)
			}
		})
	}
}

// parse parses a message written with LF line ends.
func parse(t *testing.T, msg string) Facts {
	t.Helper()
	f, err := Parse([]byte(strings.ReplaceAll(msg, "\n", "\r\n")), DefaultLimits())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		date       string
		wantOK     bool
		wantOffset int
		wantUTC    string
	}{
		{"Mon, 2 Jan 2006 15:04:05 -0700", true, -7 * 3600, "2006-01-02T22:04:05Z"},
		{"Tue, 3 Feb 2026 09:00:00 +0530", true, 5*3600 + 1800, "2026-02-03T03:30:00Z"},
		{"3 Feb 2026 09:00:00 GMT", true, 0, "2026-02-03T09:00:00Z"},
		{"yesterday", false, 0, ""},
		{"", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			t.Parallel()
			msg := "From: a@example.com\n"
			if tt.date != "" {
				msg += "Date: " + tt.date + "\n"
			}
			f := parse(t, msg+"\nbody\n")
			if f.HasDate != tt.wantOK || f.DateOffset != tt.wantOffset {
				t.Fatalf("HasDate %v offset %d, want %v %d", f.HasDate, f.DateOffset, tt.wantOK, tt.wantOffset)
			}
			if tt.wantOK {
				if got := f.Date.UTC().Format("2006-01-02T15:04:05Z"); got != tt.wantUTC {
					t.Errorf("Date = %s, want %s", got, tt.wantUTC)
				}
				if _, off := f.Date.Zone(); off != tt.wantOffset {
					t.Errorf("Date keeps offset %d, want %d", off, tt.wantOffset)
				}
			}
			if bad := slices.Contains(f.Findings, FindingBadDate); bad != (tt.date != "" && !tt.wantOK) {
				t.Errorf("findings %v", f.Findings)
			}
		})
	}
}

func TestFrom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, wantAddr, wantName string
	}{
		{"Alice <Alice@Example.COM>", "alice@example.com", "Alice"},
		{"=?UTF-8?B?UGF5UGFsIFPDqWN1cml0w6k=?= <x@example.org>", "x@example.org", "PayPal Sécurité"},
		{"=?iso-8859-1?Q?Andr=E9?= <a@example.org>", "a@example.org", "André"},
		{`"=?utf-8?q?Bank_Support?=" <b@example.org>`, "b@example.org", "Bank Support"},
		{"plain@example.org", "plain@example.org", ""},
		{"=?x-unknown?Q?z?= <c@example.org>", "c@example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			t.Parallel()
			f := parse(t, "From: "+tt.from+"\nTo: r@example.net\n\nbody\n")
			if f.From != tt.wantAddr || f.FromName != tt.wantName {
				t.Errorf("From %q name %q, want %q %q", f.From, f.FromName, tt.wantAddr, tt.wantName)
			}
		})
	}
}

func TestRecipients(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		headers     string
		max         int
		wantCount   int
		wantDomains []string
		wantFinding string
	}{
		{"dedup and lowercase", "To: a@B.example, c@b.example\nCc: D <d@a.example>\nBcc: e@B.EXAMPLE\n", 0, 4,
			[]string{"a.example", "b.example"}, ""},
		{"bounded", "To: a@d1.example, b@d2.example, c@d3.example, d@d1.example\n", 2, 4,
			[]string{"d1.example", "d2.example"}, FindingRecipientsOverLimit + ":1"},
		{"group", "To: undisclosed-recipients:;\n", 0, 0, nil, ""},
		{"unparseable read leniently", "To: a@x.example <<>> ,, @@ b@Y.example\n", 0, 2,
			[]string{"x.example", "y.example"}, FindingBadRecipients},
		{"none", "", 0, 0, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lim := DefaultLimits()
			if tt.max > 0 {
				lim.MaxRecipients = tt.max
			}
			f, err := Parse([]byte("From: s@example.com\n"+tt.headers+"\nbody\n"), lim)
			if err != nil {
				t.Fatal(err)
			}
			if f.Recipients != tt.wantCount || !slices.Equal(f.RecipientDomains, tt.wantDomains) {
				t.Errorf("recipients %d %v, want %d %v", f.Recipients, f.RecipientDomains, tt.wantCount, tt.wantDomains)
			}
			if tt.wantFinding != "" && !slices.Contains(f.Findings, tt.wantFinding) {
				t.Errorf("findings %v, want %s", f.Findings, tt.wantFinding)
			}
		})
	}
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	gif := "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" // 1×1 GIF
	msg := "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\n\nhello there\n" +
		"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=x.bin\n\nabc\n" +
		"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=pic.txt\nContent-Transfer-Encoding: base64\n\n" + gif + "\n" +
		"--b--\n"
	f := parse(t, msg)
	if len(f.Attachments) != 2 {
		t.Fatalf("attachments %+v, want 2", f.Attachments)
	}
	if a := f.Attachments[0]; a.ContentType != "application/octet-stream" || a.Size != 3 || a.Image {
		t.Errorf("first %+v", a)
	}
	if a := f.Attachments[1]; !a.Image || a.ContentType != "text/plain" {
		t.Errorf("a GIF declared as text is an image by its bytes: %+v", a)
	}
	if f.TextWords != 2 {
		t.Errorf("TextWords = %d, want 2 (the body, not the attachments)", f.TextWords)
	}
}
