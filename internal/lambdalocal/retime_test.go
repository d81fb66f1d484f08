package lambdalocal

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestRetime(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 12, 0, 30, 500, time.UTC)
	envelope := func(at, created string) string {
		return `{"detail-type":"Mailbox Signup","time":"` + at + `","detail":{"createdAt":"` + created + `","note":"` + at + `"}}`
	}
	sqs := func(bodies ...string) string {
		var ev events.SQSEvent
		for i, b := range bodies {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: string(rune('a' + i)), Body: b, EventSource: "aws:sqs"})
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	tests := []struct {
		name    string
		in      string
		want    []string // bodies (SQS) or the event, after moving
		wantErr error
	}{
		{
			name: "eventbridge: newest a minute before now, every quoted copy moved",
			in:   envelope("2026-11-20T10:03:17Z", "2026-11-20T10:03:16Z"),
			want: []string{envelope("2027-03-01T11:59:30Z", "2027-03-01T11:59:29Z")},
		},
		{
			name: "sqs: one shift for the batch, spacing kept, malformed body kept",
			in:   sqs(envelope("2026-11-20T10:00:03Z", "2026-11-20T10:00:02Z"), "not json 2026-11-20T10:00:03Z", envelope("2026-11-20T10:01:03Z", "2026-11-20T10:01:02.5Z")),
			want: []string{
				envelope("2027-03-01T11:58:30Z", "2027-03-01T11:58:29Z"),
				"not json 2026-11-20T10:00:03Z",
				envelope("2027-03-01T11:59:30Z", "2027-03-01T11:59:29.5Z"),
			},
		},
		{
			// A time moved onto another's old value is not moved twice.
			name: "a second apart, moved by a second",
			in:   envelope("2027-03-01T11:59:31Z", "2027-03-01T11:59:30Z"),
			want: []string{envelope("2027-03-01T11:59:30Z", "2027-03-01T11:59:29Z")},
		},
		{name: "no times", in: `{"detail-type":"Mailbox Signup","detail":{}}`, wantErr: ErrNoTimes},
		{name: "sqs without a time", in: sqs("garbage"), wantErr: ErrNoTimes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := Retime([]byte(tt.in), now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got []string
			if strings.Contains(tt.in, `"Records"`) {
				var ev events.SQSEvent
				if err := json.Unmarshal(out, &ev); err != nil {
					t.Fatal(err)
				}
				for _, r := range ev.Records {
					got = append(got, r.Body)
				}
			} else {
				got = []string{string(out)}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d envelopes, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("envelope %d:\ngot  %s\nwant %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestRetimeSamples: every sample of events/ has times to move, and after
// moving, none is more than a minute from now.
func TestRetimeSamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no samples in events/")
	}
	now := time.Now()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Retime(raw, now)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var bodies []string
		var ev events.SQSEvent
		if json.Unmarshal(out, &ev) == nil && len(ev.Records) > 0 {
			for _, r := range ev.Records {
				bodies = append(bodies, r.Body)
			}
		} else {
			bodies = []string{string(out)}
		}
		for _, b := range bodies {
			var tm envelopeTimes
			if json.Unmarshal([]byte(b), &tm) != nil {
				continue
			}
			for _, s := range tm.all() {
				if at, err := time.Parse(time.RFC3339Nano, s); err == nil && (at.After(now) || now.Sub(at) > time.Hour) {
					t.Errorf("%s: time %s not moved near %s", f, s, now.Format(time.RFC3339))
				}
			}
		}
	}
}
