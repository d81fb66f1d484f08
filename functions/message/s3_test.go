package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// s3Body returns an S3 notification of one ObjectCreated:Put of key in
// bucket mail-outbound-copies, with edit applied to its record.
func s3Body(t testing.TB, key string, edit func(r map[string]any)) string {
	t.Helper()
	r := map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		"eventTime": "2026-11-23T09:02:11.480Z", "eventName": "ObjectCreated:Put",
		"userIdentity":      map[string]any{"principalId": "AWS:AROA4QWERTYEXAMPLE7Q:mail-archiver"},
		"requestParameters": map[string]any{"sourceIPAddress": "192.0.2.17"},
		"responseElements":  map[string]any{"x-amz-request-id": "8QK3ZP1X7M2R4T6V"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "abusescan-outbound-messages",
			"bucket": map[string]any{"name": "mail-outbound-copies", "arn": "arn:aws:s3:::mail-outbound-copies"},
			"object": map[string]any{"key": key, "size": 1868, "eTag": "88901836923c44e5f88d8ce4f6967659", "sequencer": "00674C1A8F3B2D91E7"},
		},
	}
	if edit != nil {
		edit(r)
	}
	b, err := json.Marshal(map[string]any{"Records": []any{r}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func object(r map[string]any) map[string]any {
	return r["s3"].(map[string]any)["object"].(map[string]any)
}

// TestTranslate: an ObjectCreated record of outbound/{accountId}/{file}.eml
// becomes a valid Mailbox Message Sent envelope for that account and
// object (the key URL-decoded, no Message-ID, sentAt the record's time);
// anything else is malformed, naming the field of the notification.
func TestTranslate(t *testing.T) {
	t.Parallel()
	good := []struct {
		name, key, wantKey, wantAccount string
	}{
		{"plain", "outbound/acc-01JA7K3M9Q/0001.eml", "outbound/acc-01JA7K3M9Q/0001.eml", "acc-01JA7K3M9Q"},
		{"space as +", "outbound/acc+7/msg+1.eml", "outbound/acc 7/msg 1.eml", "acc 7"},
		{"percent escapes", "outbound/acc%3D01/0001%2B2.eml", "outbound/acc=01/0001+2.eml", "acc=01"},
		{"non-ASCII", "outbound/acc-01/r%C3%A9sum%C3%A9.eml", "outbound/acc-01/résumé.eml", "acc-01"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, test, err := translate(s3Body(t, tt.key, nil))
			if err != nil || test || len(recs) != 1 || recs[0].err != nil {
				t.Fatalf("translate = %+v, %v, %v; want one envelope", recs, test, err)
			}
			e, err := event.Decode(recs[0].body)
			if err != nil {
				t.Fatalf("the envelope does not decode: %v\n%s", err, recs[0].body)
			}
			sent := time.Date(2026, 11, 23, 9, 2, 11, 480_000_000, time.UTC)
			m := e.Message
			if e.Kind != event.KindMessage || m == nil {
				t.Fatalf("kind %q, want %q", e.Kind, event.KindMessage)
			}
			if m.AccountID != tt.wantAccount || m.Object.Bucket != "mail-outbound-copies" || m.Object.Key != tt.wantKey {
				t.Errorf("account %q, object %q %q; want %q, mail-outbound-copies %q", m.AccountID, m.Object.Bucket, m.Object.Key, tt.wantAccount, tt.wantKey)
			}
			if m.MessageID != "" {
				t.Errorf("messageId %q, want none: the key's file name is not the Message-ID", m.MessageID)
			}
			if !m.SentAt.Equal(sent) || !e.Time.Equal(sent) || e.Source != eventSource {
				t.Errorf("sentAt %s, time %s, source %q; want %s, %s, %s", m.SentAt, e.Time, e.Source, sent, sent, eventSource)
			}
			if !strings.HasPrefix(e.ID, "s3:") || len(e.ID) != len("s3:")+32 {
				t.Errorf("id %q, want s3: and 32 hex digits", e.ID)
			}
		})
	}

	bad := []struct {
		name  string
		body  string
		field string
	}{
		{"not JSON", `{"Records":[{"eventSource":"aws:s3"`, "(event)"},
		{"binary", "\x1f\x8b\x08\x00", "(event)"},
		{"a JSON array", `[{"eventSource":"aws:s3"}]`, "(event)"},
		{"no records", `{"Service":"Amazon S3"}`, "Records"},
		{"empty records", `{"Records":[]}`, "Records"},
		{"a key of another type", `{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":17}}}]}`, "Records.s3.object.key"},
		{"too large", `{"Records":[],"pad":"` + strings.Repeat("x", maxBodyBytes) + `"}`, "(event)"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := translate(tt.body)
			checkField(t, err, tt.field)
		})
	}

	badRecord := []struct {
		name  string
		key   string
		edit  func(r map[string]any)
		field string
	}{
		{"outside outbound/", "inbound/acc-01/0001.eml", nil, "Records[0].s3.object.key"},
		{"a folder below the account", "outbound/acc-01/drafts/0003.eml", nil, "Records[0].s3.object.key"},
		{"no account", "outbound//0001.eml", nil, "Records[0].s3.object.key"},
		{"not .eml", "outbound/acc-01/0001.txt", nil, "Records[0].s3.object.key"},
		{"only .eml", "outbound/acc-01/.eml", nil, "Records[0].s3.object.key"},
		{"the account folder", "outbound/acc-01/", nil, "Records[0].s3.object.key"},
		{"a bad escape", "outbound/acc-01/00%zz.eml", nil, "Records[0].s3.object.key"},
		{"a removal", "outbound/acc-01/0001.eml", func(r map[string]any) { r["eventName"] = "ObjectRemoved:Delete" }, "Records[0].eventName"},
		{"a restore", "outbound/acc-01/0001.eml", func(r map[string]any) { r["eventName"] = "ObjectRestore:Completed" }, "Records[0].eventName"},
		{"another source", "outbound/acc-01/0001.eml", func(r map[string]any) { r["eventSource"] = "aws:sqs" }, "Records[0].eventSource"},
		{"no time", "outbound/acc-01/0001.eml", func(r map[string]any) { delete(r, "eventTime") }, "Records[0].eventTime"},
		{"a bad time", "outbound/acc-01/0001.eml", func(r map[string]any) { r["eventTime"] = "23/11/2026 09:02" }, "Records[0].eventTime"},
		{"no bucket", "outbound/acc-01/0001.eml", func(r map[string]any) { delete(r["s3"].(map[string]any), "bucket") }, "Records[0].s3.bucket.name"},
		{"no sequencer nor version", "outbound/acc-01/0001.eml", func(r map[string]any) { delete(object(r), "sequencer") }, "Records[0].s3.object.sequencer"},
	}
	for _, tt := range badRecord {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, test, err := translate(s3Body(t, tt.key, tt.edit))
			if err != nil || test || len(recs) != 1 {
				t.Fatalf("translate = %+v, %v, %v; want one record", recs, test, err)
			}
			if recs[0].body != nil {
				t.Errorf("an envelope %s for a malformed record", recs[0].body)
			}
			checkField(t, recs[0].err, tt.field)
		})
	}

	t.Run("S3's test message", func(t *testing.T) {
		t.Parallel()
		recs, test, err := translate(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T08:59:40.118Z","Bucket":"mail-outbound-copies","RequestId":"9A1C4E7F2B5D8G3H","HostId":"x"}`)
		if err != nil || !test || recs != nil {
			t.Errorf("translate = %+v, %v, %v; want the test message", recs, test, err)
		}
	})
}

func checkField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *event.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, event.ErrMalformed) {
		t.Fatalf("error %v, want a FieldError naming %s", err, field)
	}
	if fe.Field != field {
		t.Errorf("FieldError names %q, want %q (%v)", fe.Field, field, fe)
	}
}

// TestEventID: a notification delivered again, or carried by another queue
// message, gives the same event id; another write of the same key does
// not. A version id, when the bucket keeps versions, identifies the write.
func TestEventID(t *testing.T) {
	t.Parallel()
	id := func(edit func(r map[string]any)) string {
		t.Helper()
		recs, _, err := translate(s3Body(t, "outbound/acc-01/0001.eml", edit))
		if err != nil || len(recs) != 1 || recs[0].err != nil {
			t.Fatalf("translate: %v %+v", err, recs)
		}
		return invokeEnvelopeID(t, recs[0].body)
	}
	first := id(nil)
	tests := []struct {
		name string
		edit func(r map[string]any)
		same bool
	}{
		{"delivered again", nil, true},
		{"another request's metadata", func(r map[string]any) {
			r["responseElements"] = map[string]any{"x-amz-request-id": "OTHER"}
			r["awsRegion"] = "eu-west-1"
		}, true},
		{"another write of the key", func(r map[string]any) { object(r)["sequencer"] = "00674C1A8F3B2D91F0" }, false},
		{"another key", func(r map[string]any) { object(r)["key"] = "outbound/acc-01/0002.eml" }, false},
		{"another bucket", func(r map[string]any) {
			r["s3"].(map[string]any)["bucket"] = map[string]any{"name": "mail-outbound-copies-2"}
		}, false},
		{"a version", func(r map[string]any) { object(r)["versionId"] = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" }, false},
	}
	for _, tt := range tests {
		if got := id(tt.edit); (got == first) != tt.same {
			t.Errorf("%s: id %s, first %s; want the same: %v", tt.name, got, first, tt.same)
		}
	}
	v1 := id(func(r map[string]any) { object(r)["versionId"] = "v1" })
	v1again := id(func(r map[string]any) { object(r)["versionId"] = "v1"; object(r)["sequencer"] = "0099" })
	if v1 != v1again {
		t.Errorf("same version, other sequencer: ids %s and %s, want one", v1, v1again)
	}
}

func invokeEnvelopeID(t *testing.T, body []byte) string {
	t.Helper()
	e, err := event.Decode(body)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return e.ID
}

// FuzzTranslate: no body makes translate panic, and what it accepts is an
// envelope of the contract with the ids the function makes.
func FuzzTranslate(f *testing.F) {
	f.Add(s3Body(f, "outbound/acc-01JA7K3M9Q/0001.eml", nil))
	f.Add(s3Body(f, "outbound/acc+7/r%C3%A9sum%C3%A9.eml", nil))
	f.Add(`{"Service":"Amazon S3","Event":"s3:TestEvent"}`)
	f.Add(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-11-23T09:02:11Z","s3":{"bucket":{"name":"b"},"object":{"key":"outbound/a/%00.eml","sequencer":"1"}}}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		recs, test, err := translate(body)
		if err != nil {
			if !errors.Is(err, event.ErrMalformed) {
				t.Fatalf("error %v is not malformed", err)
			}
			return
		}
		if test {
			return
		}
		for _, r := range recs {
			if r.err != nil {
				if !errors.Is(r.err, event.ErrMalformed) {
					t.Fatalf("error %v is not malformed", r.err)
				}
				continue
			}
			var env struct {
				ID         string `json:"id"`
				DetailType string `json:"detail-type"`
			}
			if err := json.Unmarshal(r.body, &env); err != nil || !strings.HasPrefix(env.ID, "s3:") || env.DetailType != string(event.KindMessage) {
				t.Fatalf("envelope %s: %v", r.body, err)
			}
		}
	})
}
