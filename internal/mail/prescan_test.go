package mail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// multipart builds a message whose root Content-Type field is ct and whose
// body is body, with CRLF line ends.
func multipart(ct, body string) []byte {
	return []byte(strings.ReplaceAll("From: a@example.com\nContent-Type: "+ct+"\n\n"+body, "\n", "\r\n"))
}

// parts repeats an empty text part n times under boundary b and closes it.
func parts(b string, n int) string {
	return strings.Repeat("--"+b+"\nContent-Type: text/plain\n\nx\n", n) + "--" + b + "--\n"
}

// nested opens depth multiparts, one inside the other.
func nested(depth int) []byte {
	var s strings.Builder
	s.WriteString("Content-Type: multipart/mixed; boundary=n0\n\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&s, "--n%d\nContent-Type: multipart/mixed; boundary=n%d\n\n", i-1, i)
	}
	fmt.Fprintf(&s, "--n%d\n\nleaf\n", depth-1)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&s, "--n%d--\n", i)
	}
	return []byte(s.String())
}

func TestPrescan(t *testing.T) {
	t.Parallel()
	small := DefaultLimits()
	small.MaxParts = 10
	tests := []struct {
		name      string
		raw       []byte
		lim       Limits
		want      string // reason, "" when accepted
		wantParts int
	}{
		{"plain", []byte("Subject: x\r\n\r\nhello\r\n"), small, "", 1},
		{"empty", nil, small, "", 1},
		{"no header end", []byte("Subject: x"), small, "", 1},
		{"parts at limit", multipart("multipart/mixed; boundary=b", parts("b", 9)), small, "", 10},
		{"parts over limit", multipart("multipart/mixed; boundary=b", parts("b", 10)), small, ReasonTooManyParts, 0},
		{"quoted boundary", multipart(`multipart/mixed; boundary="a b;c"`, parts("a b;c", 10)), small, ReasonTooManyParts, 0},
		{"case and spaces", multipart(`Multipart/Mixed; BOUNDARY = "q"`, parts("q", 10)), small, ReasonTooManyParts, 0},
		{"folded", multipart("multipart/mixed;\n\tboundary=f", parts("f", 10)), small, ReasonTooManyParts, 0},
		{"folded without indent", multipart("multipart/mixed;\nboundary=f", parts("f", 10)), small, ReasonTooManyParts, 0},
		{"boundary in quoted param", multipart(`multipart/mixed; name="boundary=x"; boundary=y`, parts("y", 10)), small, ReasonTooManyParts, 0},
		{"second content-type ignored", multipart("multipart/mixed; boundary=one\nContent-Type: multipart/mixed; boundary=two", parts("two", 10)), small, "", 1},
		{"rfc 2231 boundary", multipart("multipart/mixed; boundary*=us-ascii''r2231", parts("r2231", 10)), small, ReasonTooManyParts, 0},
		{"encoded parameter name", multipart("multipart/mixed; =?us-ascii?Q?boundary?==enc", parts("enc", 10)), small, ReasonTooManyParts, 0},
		{"delimiter at offset 1", multipart("multipart/mixed; boundary=o", strings.Repeat("x--o\n\n", 10)), small, ReasonTooManyParts, 0},
		{"delimiter anywhere in preamble", multipart("multipart/mixed; boundary=p", "junk --p \n\nbody\n--p--\n"), small, "", 2},
		{"not a delimiter mid-body", multipart("multipart/mixed; boundary=m", "--m\n\n"+strings.Repeat("text --m \n", 20)+"--m--\n"), small, "", 2},
		{"close ends counting", multipart("multipart/mixed; boundary=c", parts("c", 3)+strings.Repeat("--c\n", 20)), small, "", 4},
		{"lookalike is not a close", multipart("multipart/mixed; boundary=c", "--c\n\n--c-x\n"+parts("c", 9)), small, ReasonTooManyParts, 0},
		{"delimiter ends part header", multipart("multipart/mixed; boundary=h", strings.Repeat("--h\nX-A: 1\n", 10)), small, ReasonTooManyParts, 0},
		{"depth at limit", nested(16), DefaultLimits(), "", 17},
		{"depth over limit", nested(17), DefaultLimits(), ReasonTooDeep, 0},
		{"line too long", []byte("Subject: x\r\n\r\n" + strings.Repeat("y", 2<<20) + "\r\n"), DefaultLimits(), ReasonLineTooLong, 0},
		{"header block too large", []byte("X: " + strings.Repeat("y", 70<<10) + "\r\n\r\n"), DefaultLimits(), ReasonHeadersTooLarge, 0},
		{"part headers too large in all", multipart("multipart/mixed; boundary=t",
			strings.Repeat("--t\nX: "+strings.Repeat("y", 60<<10)+"\n\n", 5)), DefaultLimits(), ReasonHeadersTooLarge, 0},
		{"base64 junk", []byte("Content-Transfer-Encoding: BASE64\r\n\r\n" + strings.Repeat("!!!!\r\n", 2000)), DefaultLimits(), ReasonUnparseable, 0},
		{"too large", make([]byte, 101), Limits{MaxBytes: 100}, ReasonTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lim := tt.lim.withDefaults()
			got, err := prescan(tt.raw, lim)
			var r *Rejection
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("prescan = %v, want accepted", err)
			case tt.want == "" && got != tt.wantParts:
				t.Fatalf("parts = %d, want %d", got, tt.wantParts)
			case tt.want != "" && (!errors.As(err, &r) || r.Reason != tt.want):
				t.Fatalf("prescan = %v, want %s", err, tt.want)
			}
			if tt.want != "" && !errors.Is(Prescan(tt.raw, tt.lim), ErrRejected) {
				t.Fatalf("Prescan accepted what prescan turned away")
			}
		})
	}
}

func TestRejectionError(t *testing.T) {
	t.Parallel()
	err := error(&Rejection{Reason: ReasonTooManyParts, Detail: "over 500 parts"})
	if got, want := err.Error(), "message turned away: too_many_parts: over 500 parts"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrRejected) {
		t.Error("errors.Is(err, ErrRejected) = false")
	}
}
