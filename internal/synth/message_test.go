package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/textsim"
)

// messageSmall is a two-week scenario with messages and a campaign of each
// type, without sign-ins.
func messageSmall(seed int64) Config {
	cfg := loginSmall(seed)
	cfg.Logins, cfg.Messages = false, true
	cfg.GenuinePerDay = 150
	return cfg
}

func generateAll(t *testing.T, cfg Config) ([]event.Event, []Label, *Objects) {
	t.Helper()
	evs, labels, objs, err := GenerateAll(cfg)
	if err != nil {
		t.Fatalf("GenerateAll: %v", err)
	}
	return evs, labels, objs
}

// messageEvents returns the message events of evs, in order.
func messageEvents(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == event.KindMessage {
			out = append(out, e)
		}
	}
	return out
}

// objectDigest hashes every stored message, in key order.
func objectDigest(t *testing.T, o *Objects) [32]byte {
	t.Helper()
	h := sha256.New()
	for _, name := range o.names() {
		bucket, key, _ := strings.Cut(name, "/")
		b, err := o.Read(context.Background(), bucket, key)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	return [32]byte(h.Sum(nil))
}

func TestMessagesDeterministic(t *testing.T) {
	t.Parallel()
	cfg := messageSmall(5)
	cfg.GenuinePerDay = 40
	evs1, labels1, objs1 := generateAll(t, cfg)
	evs2, labels2, objs2 := generateAll(t, cfg)
	if !reflect.DeepEqual(evs1, evs2) || !reflect.DeepEqual(labels1, labels2) {
		t.Fatal("the same Config generated different events")
	}
	if objs1.Len() == 0 || objs1.Len() != len(messageEvents(evs1)) {
		t.Fatalf("%d objects for %d message events", objs1.Len(), len(messageEvents(evs1)))
	}
	if objectDigest(t, objs1) != objectDigest(t, objs2) {
		t.Fatal("the same Config generated different raw messages")
	}
	cfg.Seed++
	other, _, objs3 := generateAll(t, cfg)
	if reflect.DeepEqual(messageEvents(evs1), messageEvents(other)) || objectDigest(t, objs1) == objectDigest(t, objs3) {
		t.Error("a different seed generated the same messages")
	}
}

// TestMessagesLeaveOthersAlone checks that turning messages on changes
// neither the signups nor the sign-ins nor their labels, so that the
// figures of a run without messages stay comparable.
func TestMessagesLeaveOthersAlone(t *testing.T) {
	t.Parallel()
	for _, logins := range []bool{false, true} {
		t.Run(fmt.Sprintf("logins=%v", logins), func(t *testing.T) {
			t.Parallel()
			cfg := loginSmall(9)
			cfg.Logins = logins
			alone, aloneLabels := generate(t, cfg)
			cfg.Messages = true
			with, withLabels, objs := generateAll(t, cfg)
			var rest []event.Event
			others := map[string]bool{}
			for _, e := range with {
				if e.Kind != event.KindMessage {
					rest = append(rest, e)
					others[e.AccountID()] = true
				}
			}
			if len(rest) == len(with) || objs.Len() != len(with)-len(rest) {
				t.Fatalf("%d message events, %d objects", len(with)-len(rest), objs.Len())
			}
			if !reflect.DeepEqual(rest, alone) {
				t.Errorf("other events differ with messages: %d against %d", len(rest), len(alone))
			}
			var got []Label
			for _, l := range withLabels {
				if others[l.AccountID] {
					got = append(got, l)
				} else if l.Kind != Established {
					t.Errorf("account %s (%s) only sends mail but is not established", l.AccountID, l.Kind)
				}
			}
			if !reflect.DeepEqual(got, aloneLabels) {
				t.Errorf("labels of the other accounts differ with messages: %d against %d", len(got), len(aloneLabels))
			}
		})
	}
	if _, _, objs, err := GenerateAll(loginSmall(9)); err != nil || objs != nil {
		t.Errorf("GenerateAll without Messages: objects %v, error %v", objs, err)
	}
}

func TestObjects(t *testing.T) {
	t.Parallel()
	cfg := messageSmall(3)
	cfg.GenuinePerDay, cfg.Days = 20, 3
	cfg.Campaigns = nil
	evs, _, objs := generateAll(t, cfg)
	ms := messageEvents(evs)
	if len(ms) == 0 {
		t.Fatal("no messages")
	}
	ctx := context.Background()
	for _, c := range []struct{ bucket, key string }{
		{OutboundBucket, "outbound/nobody/0001.eml"},
		{"other-bucket", ms[0].Message.Object.Key},
	} {
		if _, err := objs.Read(ctx, c.bucket, c.key); !errors.Is(err, objects.ErrNotFound) {
			t.Errorf("Read(%s, %s) = %v, want ErrNotFound", c.bucket, c.key, err)
		}
	}
	if _, err := (*Objects)(nil).Read(ctx, OutboundBucket, "x"); !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("nil Objects: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := objs.Read(cancelled, OutboundBucket, ms[0].Message.Object.Key); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Read: %v", err)
	}

	dir := t.TempDir()
	if err := objs.WriteDir(dir); err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	d, err := objects.OpenDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var wg sync.WaitGroup
	for _, e := range ms {
		want, err := objs.Read(ctx, e.Message.Object.Bucket, e.Message.Object.Key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Read(ctx, e.Message.Object.Bucket, e.Message.Object.Key)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s read back from the folder: %d bytes, %v; want %d bytes", e.Message.Object.Key, len(got), err, len(want))
		}
		wg.Go(func() { // concurrent reads read the same bytes
			again, err := objs.Read(ctx, e.Message.Object.Bucket, e.Message.Object.Key)
			if err != nil || !bytes.Equal(again, want) {
				t.Errorf("%s read again: %v", e.Message.Object.Key, err)
			}
		})
	}
	wg.Wait()
	files := 0
	filepath.WalkDir(dir, func(_ string, de os.DirEntry, _ error) error { //nolint:errcheck // counting
		if de != nil && !de.IsDir() {
			files++
		}
		return nil
	})
	if files != objs.Len() {
		t.Errorf("WriteDir wrote %d files for %d objects", files, objs.Len())
	}
}

// parsed is what a test reads of a raw message, with the standard
// library only.
type parsed struct {
	header  mail.Header
	from    *mail.Address
	rcpts   []*mail.Address
	date    time.Time
	ip      netip.Addr // the lowest Received hop's
	xOrig   netip.Addr
	text    string // the text/plain part
	files   []file
	subject string
}

type file struct {
	name, ctype string
	inline      bool
	data        []byte
}

var receivedIP = regexp.MustCompile(`^from \S+ \(\S+ \[([0-9a-fA-F:.]+)\]\)`)

// parseMessage reads raw as the scanner's parser would, refusing anything
// malformed: the headers, every MIME part (transfer encodings decoded,
// base64 lines at most 76 columns).
func parseMessage(raw []byte) (parsed, error) {
	var p parsed
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return p, fmt.Errorf("read message: %w", err)
	}
	p.header = msg.Header
	if p.from, err = mail.ParseAddress(msg.Header.Get("From")); err != nil {
		return p, fmt.Errorf("from %q: %w", msg.Header.Get("From"), err)
	}
	for _, h := range []string{"To", "Cc"} {
		if msg.Header.Get(h) == "" {
			continue
		}
		as, err := msg.Header.AddressList(h)
		if err != nil {
			return p, fmt.Errorf("%s: %w", h, err)
		}
		p.rcpts = append(p.rcpts, as...)
	}
	if p.date, err = msg.Header.Date(); err != nil {
		return p, fmt.Errorf("date: %w", err)
	}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return p, fmt.Errorf("subject: %w", err)
	}
	received := msg.Header["Received"]
	if len(received) < 2 {
		return p, fmt.Errorf("%d Received headers", len(received))
	}
	lowest := strings.Join(strings.Fields(received[len(received)-1]), " ")
	m := receivedIP.FindStringSubmatch(lowest)
	if m == nil {
		return p, fmt.Errorf("lowest Received %q has no client address", lowest)
	}
	if p.ip, err = netip.ParseAddr(m[1]); err != nil {
		return p, fmt.Errorf("lowest Received: %w", err)
	}
	if x := msg.Header.Get("X-Originating-IP"); x != "" {
		if p.xOrig, err = netip.ParseAddr(strings.Trim(x, "[]")); err != nil {
			return p, fmt.Errorf("X-Originating-IP %q: %w", x, err)
		}
	}
	for _, h := range []string{"Message-ID", "MIME-Version"} {
		if msg.Header.Get(h) == "" {
			return p, fmt.Errorf("no %s", h)
		}
	}
	return p, walkPart(&p, msg.Header, msg.Body)
}

func walkPart(p *parsed, h map[string][]string, body io.Reader) error {
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ctype, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil {
		return fmt.Errorf("content type %q: %w", get("Content-Type"), err)
	}
	if strings.HasPrefix(ctype, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		n := 0
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", ctype, err)
			}
			n++
			if err := walkPart(p, part.Header, part); err != nil {
				return err
			}
		}
		if n < 2 {
			return fmt.Errorf("%s with %d parts", ctype, n)
		}
		return nil
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	var data []byte
	switch enc := strings.ToLower(get("Content-Transfer-Encoding")); enc {
	case "base64":
		for line := range strings.SplitSeq(strings.TrimRight(string(raw), "\r\n"), "\r\n") {
			if len(line) > 76 {
				return fmt.Errorf("base64 line of %d columns", len(line))
			}
		}
		if data, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", "")); err != nil {
			return fmt.Errorf("base64: %w", err)
		}
	case "quoted-printable":
		if data, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw))); err != nil {
			return fmt.Errorf("quoted-printable: %w", err)
		}
	case "7bit", "":
		data = raw
	default:
		return fmt.Errorf("transfer encoding %q", enc)
	}
	disp, dparams, _ := mime.ParseMediaType(get("Content-Disposition"))
	switch {
	case disp == "attachment" || disp == "inline":
		if dparams["filename"] == "" {
			return fmt.Errorf("%s %s without a file name", disp, ctype)
		}
		if disp == "inline" && get("Content-Id") == "" {
			return fmt.Errorf("inline picture without a Content-ID")
		}
		p.files = append(p.files, file{name: dparams["filename"], ctype: ctype, inline: disp == "inline", data: data})
	case ctype == "text/plain":
		p.text = strings.ReplaceAll(string(data), "\r\n", "\n")
	case ctype == "text/html":
	default:
		return fmt.Errorf("unexpected part %s", ctype)
	}
	return nil
}

// scenarioMail is a generated scenario with every message parsed, shared
// by the tests that read one (none may modify it).
type scenarioMail struct {
	cfg    Config
	evs    []event.Event
	labels map[string]Label
	signup map[string]*event.Signup
	msgs   []event.Event
	parsed []parsed
	err    error
}

var mediumOnce = sync.OnceValue(func() *scenarioMail {
	cfg := messageSmall(11)
	cfg.GenuinePerDay = 400
	cfg.Campaigns = append(cfg.Campaigns,
		Campaign{ID: "it2", Type: ITWorkerFarm, Start: cfg.Start.Add(30 * time.Hour), Accounts: 40, Spread: 4 * 24 * time.Hour})
	return loadScenarioMail(cfg)
})

func loadScenarioMail(cfg Config) *scenarioMail {
	s := &scenarioMail{cfg: cfg, labels: map[string]Label{}, signup: map[string]*event.Signup{}}
	evs, labels, objs, err := GenerateAll(cfg)
	if err != nil {
		s.err = err
		return s
	}
	s.evs = evs
	for _, l := range labels {
		s.labels[l.AccountID] = l
	}
	for _, e := range evs {
		switch e.Kind {
		case event.KindSignup:
			s.signup[e.AccountID()] = e.Signup
		case event.KindMessage:
			s.msgs = append(s.msgs, e)
		}
	}
	s.parsed = make([]parsed, len(s.msgs))
	for i, e := range s.msgs {
		raw, err := objs.Read(context.Background(), e.Message.Object.Bucket, e.Message.Object.Key)
		if err != nil {
			s.err = err
			return s
		}
		if s.parsed[i], err = parseMessage(raw); err != nil {
			s.err = fmt.Errorf("%s: %w", e.Message.Object.Key, err)
			return s
		}
	}
	return s
}

func medium(t *testing.T) *scenarioMail {
	t.Helper()
	s := mediumOnce()
	if s.err != nil {
		t.Fatalf("medium scenario: %v", s.err)
	}
	return s
}

func TestMessagesParse(t *testing.T) {
	t.Parallel()
	s := medium(t)
	end := s.cfg.Start.AddDate(0, 0, s.cfg.Days)
	keyRE := regexp.MustCompile(`^outbound/(acc-[0-9A-Z]{10})/(\d{4})\.eml$`)
	lastN := map[string]int{}
	xOrig := 0
	for i, e := range s.msgs {
		m, p := e.Message, s.parsed[i]
		data, err := event.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if got, err := event.Decode(data); err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("event %s changed in a round trip (%v)", e.ID, err)
		}
		k := keyRE.FindStringSubmatch(m.Object.Key)
		if m.Object.Bucket != OutboundBucket || k == nil || k[1] != m.AccountID {
			t.Fatalf("object %s/%s of account %s", m.Object.Bucket, m.Object.Key, m.AccountID)
		}
		n, _ := strconv.Atoi(k[2]) // the pattern matched digits
		if n != lastN[m.AccountID]+1 {
			t.Fatalf("%s follows number %d", m.Object.Key, lastN[m.AccountID])
		}
		lastN[m.AccountID] = n
		if su := s.signup[m.AccountID]; su != nil && !m.SentAt.After(su.CreatedAt) {
			t.Fatalf("%s sent at %s, before its signup at %s", m.Object.Key, m.SentAt, su.CreatedAt)
		}
		if m.SentAt.Before(s.cfg.Start) || !m.SentAt.Before(end) || e.Time.Before(m.SentAt) {
			t.Fatalf("%s sent at %s, emitted %s; span %s..%s", m.Object.Key, m.SentAt, e.Time, s.cfg.Start, end)
		}
		if d := m.SentAt.Sub(p.date); d < -2*time.Minute || d > 6*time.Minute {
			t.Fatalf("%s: Date %s, sent at %s", m.Object.Key, p.date, m.SentAt)
		}
		if p.header.Get("Message-ID") != m.MessageID {
			t.Fatalf("%s: Message-ID %s, event's %s", m.Object.Key, p.header.Get("Message-ID"), m.MessageID)
		}
		if _, ok := Lookup(p.ip); !ok {
			t.Fatalf("%s: client %s is not in the address plan", m.Object.Key, p.ip)
		}
		if p.xOrig.IsValid() {
			xOrig++
			if p.xOrig != p.ip {
				t.Fatalf("%s: X-Originating-IP %s, Received from %s", m.Object.Key, p.xOrig, p.ip)
			}
		}
		if len(p.rcpts) == 0 || strings.TrimSpace(p.text) == "" && len(p.files) == 0 {
			t.Fatalf("%s: %d recipients, %d bytes of text, %d files", m.Object.Key, len(p.rcpts), len(p.text), len(p.files))
		}
		for _, f := range p.files {
			if len(f.data) < 500 || len(f.data) > 100_000 {
				t.Errorf("%s: %s of %d bytes", m.Object.Key, f.name, len(f.data))
			}
		}
	}
	if share := float64(xOrig) / float64(len(s.msgs)); share < 0.6 || share > 0.8 {
		t.Errorf("X-Originating-IP on %.2f of messages, want about 0.7", share)
	}
	t.Logf("%d messages", len(s.msgs))
}

func TestMessageTexts(t *testing.T) {
	t.Parallel()
	s := medium(t)
	type text struct {
		acct string
		h    textsim.Hash
	}
	var personal []text
	chains := map[string][]text{}  // by subject
	letters := map[string][]text{} // by campaign
	for i, e := range s.msgs {
		p, l := s.parsed[i], s.labels[e.AccountID()]
		h, n := textsim.Sum(p.text)
		if n < textsim.MinWords {
			continue
		}
		switch {
		case l.Kind == ITWorkerFarm || l.Kind == LaptopFarm:
			letters[l.Campaign] = append(letters[l.Campaign], text{e.AccountID(), h})
		case l.Campaign != "":
		case strings.HasPrefix(p.subject, "Fwd: FW:") || strings.HasPrefix(p.subject, "Fwd: Fwd:"):
			chains[p.subject] = append(chains[p.subject], text{e.AccountID(), h})
		case strings.HasPrefix(p.subject, "Fwd:") || strings.HasPrefix(p.subject, "Application"):
		default:
			personal = append(personal, text{e.AccountID(), h})
		}
	}
	near := func(xs []text) (pairs, close int) {
		for i := range xs {
			for j := i + 1; j < len(xs); j++ {
				if xs[i].acct == xs[j].acct {
					continue
				}
				pairs++
				if textsim.Distance(xs[i].h, xs[j].h) <= textsim.Near {
					close++
				}
			}
		}
		return pairs, close
	}
	// Two unrelated texts are within textsim.Near of each other about
	// 0.03-0.05% of the time (the floor for 64 bits); people's own texts
	// must be about as far apart (they are about 0.07%).
	pairs, close := near(personal)
	if len(personal) < 1000 || close > pairs*15/10000 {
		t.Errorf("%d of %d pairs of %d personal texts are near-duplicates", close, pairs, len(personal))
	}
	t.Logf("%d of %d pairs of %d personal texts are near-duplicates", close, pairs, len(personal))
	if len(chains) != len(chainLetters) {
		t.Errorf("%d chain letters forwarded, want %d", len(chains), len(chainLetters))
	}
	for subject, cs := range chains {
		if pairs, close := near(cs); len(cs) < 10 || close < pairs*9/10 {
			t.Errorf("%q: %d of %d pairs of %d forwards are near-duplicates, want most", subject, close, pairs, len(cs))
		}
	}
	// A cover letter differs from another of its operation in the
	// persona's name, the company and the role: a few words of hundreds.
	for c, ls := range letters {
		if pairs, close := near(ls); close < pairs*9/10 {
			t.Errorf("%s: %d of %d pairs of cover letters are near-duplicates, want most", c, close, pairs)
		}
	}
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

func TestMessageContent(t *testing.T) {
	t.Parallel()
	s := medium(t)
	carriers := map[[32]byte]map[string]bool{} // by file hash
	type persona struct {
		resumes, photos map[[32]byte]bool
		wrongName       int
		msgs            int
		offsets         map[int]int
		domainsByDay    map[string]map[string]bool
	}
	personas := map[string]*persona{}
	genuineOffsetOK, genuineMsgs, genuineWide := 0, 0, 0
	for i, e := range s.msgs {
		p, acct := s.parsed[i], e.AccountID()
		l := s.labels[acct]
		for _, f := range p.files {
			h := sum(f.data)
			if carriers[h] == nil {
				carriers[h] = map[string]bool{}
			}
			carriers[h][acct] = true
		}
		_, off := p.date.Zone()
		switch su := s.signup[acct]; {
		case l.Kind == ITWorkerFarm || l.Kind == LaptopFarm:
			ps := personas[acct]
			if ps == nil {
				ps = &persona{resumes: map[[32]byte]bool{}, photos: map[[32]byte]bool{}, offsets: map[int]int{}, domainsByDay: map[string]map[string]bool{}}
				personas[acct] = ps
			}
			ps.msgs++
			ps.offsets[off/60]++
			if p.from.Name != su.DisplayName {
				ps.wrongName++
			}
			day := e.Message.SentAt.Format(time.DateOnly)
			if ps.domainsByDay[day] == nil {
				ps.domainsByDay[day] = map[string]bool{}
			}
			for _, r := range p.rcpts {
				ps.domainsByDay[day][r.Address[strings.LastIndexByte(r.Address, '@')+1:]] = true
			}
			for _, f := range p.files {
				if f.ctype == "application/pdf" {
					ps.resumes[sum(f.data)] = true
				} else {
					ps.photos[sum(f.data)] = true
				}
			}
		case l.Kind == "home" && su.Timezone != "" && !strings.HasPrefix(p.subject, "Application"):
			genuineMsgs++
			if off/60 == zoneOffset(su.Timezone, e.Message.SentAt) {
				genuineOffsetOK++
			}
			domains := map[string]bool{}
			for _, r := range p.rcpts {
				domains[r.Address[strings.LastIndexByte(r.Address, '@')+1:]] = true
			}
			if len(domains) > 3 {
				genuineWide++
			}
		}
	}
	established := func(h [32]byte) (old, young int) {
		for a := range carriers[h] {
			if s.labels[a].Kind == Established {
				old++
			} else {
				young++
			}
		}
		return old, young
	}

	t.Run("operations share résumés, not photos", func(t *testing.T) {
		for _, c := range s.cfg.Campaigns {
			if c.Type != ITWorkerFarm && c.Type != LaptopFarm {
				continue
			}
			byResume := map[[32]byte]int{}
			photos := map[[32]byte]int{}
			senders, own, wrong, msgs, opClock, spray := 0, 0, 0, 0, 0, 0
			for acct, ps := range personas {
				if s.labels[acct].Campaign != c.ID {
					continue
				}
				senders++
				wrong += ps.wrongName
				msgs += ps.msgs
				for h := range ps.resumes {
					byResume[h]++
					if old, young := established(h); old == 0 && young == 1 {
						own++
					}
				}
				for h := range ps.photos {
					photos[h]++
				}
				for off, n := range ps.offsets {
					if off == 480 || off == 540 || off == 180 {
						opClock += n
					}
				}
				for _, ds := range ps.domainsByDay {
					if len(ds) >= 10 {
						spray++
						break
					}
				}
			}
			if senders < c.Accounts*2/3 {
				t.Errorf("%s: %d of %d personas send", c.ID, senders, c.Accounts)
				continue
			}
			top := 0
			for h, n := range byResume {
				top = max(top, n)
				if old, _ := established(h); old > 0 {
					t.Errorf("%s: an established account carries a résumé of the operation", c.ID)
				}
			}
			if top < senders/5 || own == 0 || own > senders/2 {
				t.Errorf("%s: the most shared résumé is %d personas', %d have their own, of %d", c.ID, top, own, senders)
			}
			for _, n := range photos {
				if n > 2 {
					t.Errorf("%s: %d personas send the same photo file, want an edit each", c.ID, n)
				}
			}
			if share := float64(wrong) / float64(msgs); share < 0.05 || share > 0.3 {
				t.Errorf("%s: %.2f of messages have another persona's name", c.ID, share)
			}
			switch share := float64(opClock) / float64(msgs); {
			case c.Type == ITWorkerFarm && share < 0.6, c.Type == LaptopFarm && share > 0:
				t.Errorf("%s: %.2f of messages on the operators' clock", c.ID, share)
			}
			if spray < senders/2 {
				t.Errorf("%s: %d of %d personas write to ten domains a day", c.ID, spray, senders)
			}
			t.Logf("%s: %d personas, %d messages, top résumé %d, own %d, wrong name %d, operator's clock %d", c.ID, senders, msgs, top, own, wrong, opClock)
		}
	})

	t.Run("popular content is carried by established senders", func(t *testing.T) {
		popular := 0
		for h, cs := range carriers {
			if len(cs) < 15 {
				continue
			}
			old, young := established(h)
			campaign := false
			for a := range cs {
				campaign = campaign || s.labels[a].Campaign != ""
			}
			if campaign {
				continue
			}
			popular++
			t.Logf("a file carried by %d new accounts and %d established", young, old)
			if old < 10 || old < young/3 {
				t.Errorf("a file carried by %d accounts, %d of them established", young+old, old)
			}
		}
		if popular < 5 {
			t.Errorf("%d popular files, want the memes and newsletters", popular)
		}
	})

	t.Run("families share their photos", func(t *testing.T) {
		shared := 0
		for _, cs := range carriers {
			family, other := 0, 0
			for a := range cs {
				if s.labels[a].Kind == "family-device" {
					family++
				} else {
					other++
				}
			}
			if family >= 2 && other == 0 {
				shared++
			}
		}
		if shared == 0 {
			t.Error("no family's accounts send the same photo")
		}
	})

	t.Run("genuine mail", func(t *testing.T) {
		if share := float64(genuineOffsetOK) / float64(genuineMsgs); share < 0.97 {
			t.Errorf("%.3f of home users' messages have the offset of their zone", share)
		}
		if float64(genuineWide) > 0.05*float64(genuineMsgs) {
			t.Errorf("%d of %d home users' messages go to more than three domains", genuineWide, genuineMsgs)
		}
		senders := map[string]bool{}
		young := 0
		for _, l := range s.labels {
			if l.Campaign == "" && l.Kind != Established {
				young++
			}
		}
		for _, e := range s.msgs {
			if l := s.labels[e.AccountID()]; l.Campaign == "" && l.Kind != Established {
				senders[e.AccountID()] = true
			}
		}
		if share := float64(len(senders)) / float64(young); share < 0.25 || share > 0.5 {
			t.Errorf("%.2f of new genuine accounts send mail", share)
		}
	})

	t.Run("spam", func(t *testing.T) {
		for _, c := range s.cfg.Campaigns {
			if c.Type != BotWave && c.Type != SlowWave {
				continue
			}
			senders := map[string]bool{}
			for _, e := range s.msgs {
				if s.labels[e.AccountID()].Campaign == c.ID {
					senders[e.AccountID()] = true
				}
			}
			if len(senders) < c.Accounts/2 {
				t.Errorf("%s: %d of %d accounts send", c.ID, len(senders), c.Accounts)
			}
		}
	})
}

// TestZoneOffset checks the daylight saving rules against the zone
// database, where the machine has it.
func TestZoneOffset(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
		"America/Los_Angeles", "Europe/London", "Europe/Berlin", "Europe/Kyiv", "Europe/Moscow", "Asia/Shanghai",
		"Asia/Pyongyang", "Asia/Kolkata", "America/Sao_Paulo", "UTC"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Skipf("no zone database: %v", err)
		}
		for at := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC); at.Year() < 2028; at = at.Add(time.Hour) {
			_, want := at.In(loc).Zone()
			if got := zoneOffset(tz, at); got != want/60 {
				t.Fatalf("zoneOffset(%s, %s) = %d, want %d", tz, at, got, want/60)
			}
		}
	}
}
