package pipeline_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/outbound"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
)

const outboundBucket = "mail-outbound-copies"

// memObjects is an object store in memory.
type memObjects struct {
	mu   sync.Mutex
	objs map[string][]byte
}

var _ pipeline.Objects = (*memObjects)(nil)

func (m *memObjects) Read(_ context.Context, bucket, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, objects.ErrNotFound)
	}
	return b, nil
}

func (m *memObjects) put(key string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objs == nil {
		m.objs = map[string][]byte{}
	}
	m.objs[outboundBucket+"/"+key] = b
}

// newMessagePipeline is newPipelineAt reading messages from objs.
func newMessagePipeline(t testing.TB, st pipeline.Store, objs pipeline.Objects) *pipeline.Pipeline {
	t.Helper()
	return buildPipeline(t, st, objs, decision.DefaultPolicy(), setup.Clock{Now: func() time.Time { return now }}, false)
}

// draft is one outbound message to build.
type draft struct {
	from    string // display name
	zone    string // Date offset, e.g. "+0900"
	origin  string
	to      []string // recipient domains
	text    string
	attach  [][]byte
	created time.Time
}

// eml writes d as a raw message.
func (d draft) eml(acct string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from client (client [%s]) by smtp.mail.example with ESMTPSA; %s\r\n", d.origin, d.created.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <%s@mail.example>\r\n", d.from, acct)
	var to []string
	for i, dom := range d.to {
		to = append(to, fmt.Sprintf("hr%d@%s", i, dom))
	}
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	loc := time.FixedZone("", offsetSeconds(d.zone))
	fmt.Fprintf(&b, "Date: %s\r\nSubject: Hello\r\nMessage-ID: <%s.%d@mail.example>\r\nMIME-Version: 1.0\r\n", d.created.In(loc).Format(time.RFC1123Z), acct, d.created.Unix())
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(d.text + "\r\n")
	for i, a := range d.attach {
		fmt.Fprintf(&b, "--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"doc%d.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", i)
		enc := base64.StdEncoding.EncodeToString(a)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--b1--\r\n")
	return []byte(b.String())
}

func offsetSeconds(z string) int {
	if len(z) != 5 {
		return 0
	}
	h := int(z[1]-'0')*10 + int(z[2]-'0')
	m := int(z[3]-'0')*10 + int(z[4]-'0')
	s := (h*60 + m) * 60
	if z[0] == '-' {
		s = -s
	}
	return s
}

// messageRec is the Mailbox Message Sent event of acct's message n, whose
// object objs holds.
func messageRec(objs *memObjects, acct string, n int, d draft) pipeline.Record {
	key := fmt.Sprintf("outbound/%s/%04d.eml", acct, n)
	objs.put(key, d.eml(acct))
	id := fmt.Sprintf("msg-%s-%d", acct, n)
	ts := d.created.UTC().Format(time.RFC3339)
	return pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Message Sent","source":"s","time":"` + ts +
		`","detail":{"accountId":"` + acct + `","sentAt":"` + ts + `","object":{"bucket":"` + outboundBucket + `","key":"` + key + `"}}}`)}
}

// resume is a document many personas of one operation attach.
var resume = []byte(strings.Repeat("%PDF-1.4 résumé of a senior Go engineer, ten years of remote work. ", 40))

const coverLetter = "Dear hiring manager, I am writing to apply for the senior software engineer position at your company. " +
	"I have ten years of experience building distributed systems in Go and Python, and I have worked remotely with teams " +
	"across many time zones. I am confident my skills match your requirements and I would welcome the chance to discuss " +
	"how I can contribute to your team. Thank you for your time and consideration."

func domains(n, from int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("company%d.example", from+i))
	}
	return out
}

// farmMessages: n new mailboxes signed up from the US, each sending the
// operation's résumé and cover letter to 16 companies, from a clock nine
// hours east of the zone it claimed.
func farmMessages(objs *memObjects, n int, at time.Time) (signups, msgs []pipeline.Record) {
	for i := range n {
		acct := fmt.Sprintf("acc-farm-%02d", i)
		signups = append(signups, signupRec("su-"+acct, acct, fmt.Sprintf(signupIP, 1, 10+i), "US", at.Add(time.Duration(i)*time.Minute)))
		msgs = append(msgs, messageRec(objs, acct, 1, draft{from: "Pat Lee", zone: "+0900", origin: chiHome,
			to: domains(16, 16*i), text: strings.Replace(coverLetter, "senior", []string{"senior", "lead", "staff"}[i%3], 1),
			attach: [][]byte{resume}, created: at.Add(26*time.Hour + time.Duration(i)*time.Hour)}))
	}
	return signups, msgs
}

// TestSharedResumeLinksNewMailboxes: new mailboxes that send one résumé and
// one templated letter are linked, and queued with every reason in words.
func TestSharedResumeLinksNewMailboxes(t *testing.T) {
	t.Parallel()
	objs := &memObjects{}
	signups, msgs := farmMessages(objs, 6, now.Add(-5*24*time.Hour))
	st := stores[0].open(t)
	p := newMessagePipeline(t, st, objs)
	run(t, p, signups, 50)
	res := run(t, p, msgs, 2)
	for i, r := range res {
		rules := rulesOf(r)
		if i < 2 {
			if slices.Contains(rules, "shared_attachment") {
				t.Errorf("message %d: shared_attachment with %d senders before it", i, i)
			}
			continue
		}
		for _, want := range []string{"shared_attachment", "clock_far_from_claimed_zone", "recipient_spray"} {
			if !slices.Contains(rules, want) {
				t.Errorf("message %d: rules %v lack %s", i, rules, want)
			}
		}
		// A message is judged against the senders before it and those of
		// its own batch.
		want := pipeline.Review
		if i == len(res)-1 {
			want = pipeline.Suspend
		}
		if (r.Verdict != want && r.Verdict != pipeline.Suspend) || r.Cluster == nil || !strings.HasPrefix(r.Cluster.Key, "message:mca#") || r.Cluster.Size < i+1 {
			t.Errorf("message %d: %s, cluster %+v; want %s in a cluster of %d or more", i, r.Verdict, r.Cluster, want, i+1)
		}
	}
	q := queued(t, st)
	if len(q) < 4 {
		t.Errorf("%d accounts queued, want 4 or more", len(q))
	}
	for _, it := range q {
		for _, r := range it.Reasons {
			if strings.Contains(r.Detail, "company") || strings.Contains(r.Detail, "Pat Lee") {
				t.Errorf("a reason repeats message content: %q", r.Detail)
			}
		}
	}
}

// TestPopularContentLinksNobody: a newsletter that established senders
// forward links none of the new mailboxes that forward it too, and two
// relatives sharing a document are no campaign.
func TestPopularContentLinksNobody(t *testing.T) {
	t.Parallel()
	objs := &memObjects{}
	at := now.Add(-4 * 24 * time.Hour)
	newsletter := []byte(strings.Repeat("%PDF-1.4 Maple Street School newsletter, November. ", 60))
	var recs []pipeline.Record
	for i := range 4 { // established: no signup the scanner saw
		recs = append(recs, messageRec(objs, fmt.Sprintf("acc-old-%d", i), 1, draft{from: "Parent", zone: "-0600", origin: chiHome,
			to: domains(2, i), text: "see the newsletter", attach: [][]byte{newsletter}, created: at.Add(time.Duration(i) * time.Minute)}))
	}
	var signups []pipeline.Record
	for i := range 6 {
		acct := fmt.Sprintf("acc-new-%d", i)
		signups = append(signups, signupRec("su-"+acct, acct, fmt.Sprintf(signupIP, 2, 10+i), "US", at.Add(-time.Hour)))
		recs = append(recs, messageRec(objs, acct, 1, draft{from: "Pat Lee", zone: "-0600", origin: chiHome,
			to: domains(1, 50+i), text: "forwarding this", attach: [][]byte{newsletter}, created: at.Add(time.Hour + time.Duration(i)*time.Minute)}))
	}
	family := []byte("%PDF-1.4 our holiday photos")
	for i := range 2 {
		acct := fmt.Sprintf("acc-fam-%d", i)
		signups = append(signups, signupRec("su-"+acct, acct, fmt.Sprintf(signupIP, 3, 10), "US", at.Add(-time.Hour)))
		recs = append(recs, messageRec(objs, acct, 1, draft{from: "Pat Lee", zone: "-0600", origin: chiHome,
			to: []string{"family.example"}, text: "photos", attach: [][]byte{family}, created: at.Add(2 * time.Hour)}))
	}
	st := stores[0].open(t)
	p := newMessagePipeline(t, st, objs)
	run(t, p, signups, 50)
	for _, r := range run(t, p, recs, 3) {
		if r.Verdict != pipeline.Allow || len(r.Reasons) > 0 {
			t.Errorf("%s: %s %v, want allow with no reason", r.RecordID, r.Verdict, rulesOf(r))
		}
	}
	if q := queued(t, st); len(q) > 0 {
		t.Errorf("%d accounts queued", len(q))
	}
}

// TestHostileMessageTurnedAway: a message past the limits is turned away
// before parsing, scored on that, and never fails its record.
func TestHostileMessageTurnedAway(t *testing.T) {
	t.Parallel()
	objs := &memObjects{}
	at := now.Add(-2 * 24 * time.Hour)
	var deep strings.Builder
	deep.WriteString("From: x <acc-bomb@mail.example>\r\nTo: y@a.example\r\nMIME-Version: 1.0\r\n")
	for i := range 5000 {
		fmt.Fprintf(&deep, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	key := "outbound/acc-bomb/0001.eml"
	objs.put(key, []byte(deep.String()))
	ts := at.Format(time.RFC3339)
	rec := pipeline.Record{ID: "bomb", Body: []byte(`{"id":"bomb","detail-type":"Mailbox Message Sent","source":"s","time":"` + ts +
		`","detail":{"accountId":"acc-bomb","sentAt":"` + ts + `","object":{"bucket":"` + outboundBucket + `","key":"` + key + `"}}}`)}
	missing := messageRec(objs, "acc-bomb", 2, draft{from: "x", zone: "+0000", origin: chiHome, to: []string{"a.example"}, text: "hi", created: at})
	objs.mu.Lock()
	delete(objs.objs, outboundBucket+"/outbound/acc-bomb/0002.eml")
	objs.mu.Unlock()
	st := stores[0].open(t)
	p := newMessagePipeline(t, st, objs)
	run(t, p, []pipeline.Record{signupRec("su-bomb", "acc-bomb", fmt.Sprintf(signupIP, 4, 4), "US", at.Add(-time.Hour))}, 10)
	res := p.Process(context.Background(), []pipeline.Record{rec, missing})
	if res[0].Err != nil || !slices.Contains(rulesOf(res[0]), "hostile_message") {
		t.Errorf("hostile message: err %v, rules %v; want no error and hostile_message", res[0].Err, rulesOf(res[0]))
	}
	if !errors.Is(res[1].Err, pipeline.ErrTransient) {
		t.Errorf("missing object: %v, want a transient error (it may yet be written)", res[1].Err)
	}
	recs := records(t, st, []string{pipeline.MessageKey("acc-bomb")})
	if h, err := outbound.DecodeHistory([]byte(recs[pipeline.MessageKey("acc-bomb")])); err != nil || h.TurnedAway != 1 {
		t.Errorf("history %+v, %v: want the message turned away counted", h, err)
	}
	_ = event.KindMessage
}

// TestMessageDuplicates: messages delivered again, and twice at once, leave
// the histories, content records and queue as one delivery does.
func TestMessageDuplicates(t *testing.T) {
	t.Parallel()
	objs := &memObjects{}
	signups, msgs := farmMessages(objs, 5, now.Add(-5*24*time.Hour))
	keys := contentKeys(msgs)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			clean := s.open(t)
			p := newMessagePipeline(t, clean, objs)
			run(t, p, signups, 50)
			run(t, p, msgs, 2)
			want, wantQ := records(t, clean, keys), queued(t, clean)
			if len(wantQ) < 2 {
				t.Fatalf("%d queued: the test proves nothing", len(wantQ))
			}
			again := s.open(t)
			p = newMessagePipeline(t, again, objs)
			run(t, p, signups, 50)
			run(t, p, msgs, 2)
			for _, r := range run(t, p, msgs, 5) {
				if !r.Duplicate || r.Queued {
					t.Errorf("%s redelivered: duplicate %v, queued %v", r.RecordID, r.Duplicate, r.Queued)
				}
			}
			checkSame(t, "delivered twice", records(t, again, keys), want, queued(t, again), wantQ)

			// Two deliveries of one batch at once: each message is judged
			// against the whole batch, whichever delivery gets there first.
			whole := s.open(t)
			p = newMessagePipeline(t, whole, objs)
			run(t, p, signups, 50)
			run(t, p, msgs, len(msgs))
			want, wantQ = records(t, whole, keys), queued(t, whole)
			both := s.open(t)
			p1, p2 := newMessagePipeline(t, both, objs), newMessagePipeline(t, both, objs)
			run(t, p1, signups, 50)
			var wg sync.WaitGroup
			for _, p := range []*pipeline.Pipeline{p1, p2} {
				wg.Go(func() {
					todo := msgs
					for round := 0; len(todo) > 0 && round < 20; round++ {
						var fail []pipeline.Record
						for j, r := range p.Process(context.Background(), todo) {
							if r.Err != nil {
								fail = append(fail, todo[j])
							}
						}
						todo = fail
					}
					if len(todo) > 0 {
						t.Errorf("%d messages still failing", len(todo))
					}
				})
			}
			wg.Wait()
			checkSame(t, "two deliveries at once", records(t, both, keys), want, queued(t, both), wantQ)
		})
	}
}

// contentKeys lists the state a message stream writes: histories only
// (content records depend on the order of concurrent joins).
func contentKeys(msgs []pipeline.Record) []string {
	var keys []string
	for _, r := range msgs {
		ev, err := event.Decode(r.Body)
		if err == nil {
			keys = append(keys, pipeline.MessageKey(ev.AccountID()))
		}
	}
	return keys
}

// TestMessageFaultAtEveryWrite fails each write of a message stream in
// turn, before it is made and after (a lost answer), retries, and checks
// the histories and the queue against one clean delivery.
func TestMessageFaultAtEveryWrite(t *testing.T) {
	t.Parallel()
	objs := &memObjects{}
	signups, msgs := farmMessages(objs, 5, now.Add(-5*24*time.Hour))
	keys := contentKeys(msgs)
	const batch = 2
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			counter := &faultStore{store: s.open(t)}
			p := newMessagePipeline(t, counter, objs)
			run(t, p, signups, 50)
			before := counter.writes
			run(t, p, msgs, batch)
			total := counter.writes - before
			want, wantQ := records(t, counter.store, keys), queued(t, counter.store)
			if len(wantQ) < 2 || total < 10 {
				t.Fatalf("%d queued, %d writes: the test proves nothing", len(wantQ), total)
			}
			step := 1
			if s.name == "dynamodb" {
				step = 4
			}
			for _, applied := range []bool{false, true} {
				for n := 1; n <= total; n += step {
					name := fmt.Sprintf("fail write %d of %d (applied %v)", n, total, applied)
					f := &faultStore{store: s.open(t)}
					c := &clock{now: now}
					q := newMessagePipeline(t, f, objs)
					run(t, q, signups, 50)
					f.n, f.applied = f.writes+n, applied
					if failed := deliver(t, q, c, msgs, batch); !f.fired || failed == 0 {
						t.Fatalf("%s: the fault did not fail a record", name)
					}
					checkSame(t, name, records(t, f.store, keys), want, queued(t, f.store), wantQ)
				}
			}
		})
	}
}
