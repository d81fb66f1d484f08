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

// TestRetimeSamples: every sample of the scoring functions in events/ (the
// ones whose age the pipeline judges) has times to move, and after moving,
// none is more than a minute from now.
func TestRetimeSamples(t *testing.T) {
	t.Parallel()
	var files []string
	for _, fn := range []string{"signup", "login", "message"} {
		f, err := filepath.Glob(filepath.Join("..", "..", "events", fn+"-*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f...)
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
		var ks events.KinesisEvent
		switch {
		case json.Unmarshal(out, &ks) == nil && len(ks.Records) > 0 && ks.Records[0].EventSource == "aws:kinesis":
			for _, r := range ks.Records {
				bodies = append(bodies, string(r.Kinesis.Data))
			}
		case json.Unmarshal(out, &ev) == nil && len(ev.Records) > 0:
			for _, r := range ev.Records {
				bodies = append(bodies, r.Body)
			}
		default:
			bodies = []string{string(out)}
		}
		moved := 0
		for _, b := range bodies {
			var tm envelopeTimes
			if json.Unmarshal([]byte(b), &tm) != nil {
				continue
			}
			for _, s := range tm.all() {
				at, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					continue
				}
				moved++
				if at.After(now) || now.Sub(at) > time.Hour {
					t.Errorf("%s: time %s not moved near %s", f, s, now.Format(time.RFC3339))
				}
			}
		}
		if moved == 0 {
			t.Errorf("%s: no time found after moving", f)
		}
	}
}

// TestRetimeKinesis: the envelopes in a Kinesis event's data are moved by
// one shift, as in an SQS event, every other byte of the data kept (a body
// that is not an envelope, even not text, as it is), and the records'
// arrival times moved with them.
func TestRetimeKinesis(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 12, 0, 30, 500, time.UTC)
	login := func(at, detailAt string) string {
		return `{"detail-type":"Mailbox Login","time":"` + at + `","detail":{"at":"` + detailAt + `","ip":"73.44.18.207"}}`
	}
	garbage := string([]byte{0x1f, 0x8b, 0x08, 0x00, 0xff, '"', '2', '0'})
	arrival := time.Date(2026, 11, 22, 14, 22, 41, 250_000_000, time.UTC)
	var in events.KinesisEvent
	for i, d := range []string{login("2026-11-22T14:02:12Z", "2026-11-22T14:02:11Z"), garbage, login("2026-11-22T14:22:41Z", "2026-11-22T14:22:40Z")} {
		in.Records = append(in.Records, events.KinesisEventRecord{
			EventSource: "aws:kinesis",
			Kinesis: events.KinesisRecord{
				SequenceNumber: string(rune('1' + i)), Data: []byte(d),
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: arrival},
			},
		})
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Retime(raw, now)
	if err != nil {
		t.Fatal(err)
	}
	var got events.KinesisEvent
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{login("2027-03-01T11:39:01Z", "2027-03-01T11:39:00Z"), garbage, login("2027-03-01T11:59:30Z", "2027-03-01T11:59:29Z")}
	if len(got.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(got.Records), len(want))
	}
	for i, r := range got.Records {
		if string(r.Kinesis.Data) != want[i] {
			t.Errorf("record %d data:\ngot  %q\nwant %q", i, r.Kinesis.Data, want[i])
		}
		if r.Kinesis.SequenceNumber != in.Records[i].Kinesis.SequenceNumber || r.EventSource != "aws:kinesis" {
			t.Errorf("record %d: %+v, want the record's other fields kept", i, r)
		}
		// Seconds with a fraction, as the JSON has them: to the millisecond.
		if at, wantAt := r.Kinesis.ApproximateArrivalTimestamp.Time, now.Add(-time.Minute).Truncate(time.Second).Add(250*time.Millisecond); at.Sub(wantAt).Abs() > time.Millisecond {
			t.Errorf("record %d arrival %s, want %s", i, at, wantAt)
		}
	}
}
