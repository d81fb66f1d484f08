package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// maxBodyBytes bounds one SQS body, an S3 event notification. S3 sends one
// record per notification, well under 4 KiB even with a 1,024-byte key;
// SQS would carry far more (256 KiB, or more where the queue allows it),
// which this function has no reason to read.
const maxBodyBytes = 64 << 10

// Where the platform stores outbound messages (spec/events.md): the key is
// outboundPrefix, the account id, a slash, and the platform's file name
// ending in messageSuffix.
const (
	outboundPrefix = "outbound/"
	messageSuffix  = ".eml"
)

// eventSource is the envelope source of the events made from S3
// notifications: the producer is S3 itself, and EventBridge names S3's own
// events so.
const eventSource = "aws.s3"

// testEvent is what S3 sends, alone, to a queue when a notification to it
// is configured.
const testEvent = "s3:TestEvent"

// notification is the part of an S3 event notification (events.S3Event)
// this function reads. Times and names are kept as text, so that a bad one
// is reported with its field.
type notification struct {
	// Event is set only in S3's test message, which has no Records.
	Event   string      `json:"Event"`
	Records *[]s3Record `json:"Records"`
}

type s3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			VersionID string `json:"versionId"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// translated is one S3 record of a notification: the Mailbox Message Sent
// envelope it stands for, or why it is malformed.
type translated struct {
	body []byte
	err  error
}

// translate reads an SQS body as an S3 event notification. It returns the
// envelope of each of its records (or the record's error), or test true
// for S3's test message, or an error for a body that is not a
// notification at all. Every error is an *event.FieldError: no retry
// changes the bytes.
func translate(body string) (recs []translated, test bool, err error) {
	if len(body) > maxBodyBytes {
		return nil, false, &event.FieldError{Field: "(event)", Reason: fmt.Sprintf("%d bytes, more than the %d an S3 notification may have", len(body), maxBodyBytes)}
	}
	var n notification
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, false, &event.FieldError{Field: te.Field, Reason: fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}
		}
		return nil, false, &event.FieldError{Field: "(event)", Reason: "not an S3 event notification: not a JSON object"}
	}
	if n.Records == nil && n.Event == testEvent {
		return nil, true, nil
	}
	if n.Records == nil || len(*n.Records) == 0 {
		return nil, false, &event.FieldError{Field: "Records", Reason: "missing or empty: not an S3 event notification"}
	}
	for i, r := range *n.Records {
		b, err := envelope(fmt.Sprintf("Records[%d]", i), r)
		recs = append(recs, translated{body: b, err: err})
	}
	return recs, false, nil
}

// envelope returns the Mailbox Message Sent envelope one S3 record stands
// for; at is the record's path, for errors.
func envelope(at string, r s3Record) ([]byte, error) {
	if r.EventSource != "aws:s3" {
		return nil, &event.FieldError{Field: at + ".eventSource", Reason: fmt.Sprintf("%q is not aws:s3", r.EventSource)}
	}
	if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
		return nil, &event.FieldError{Field: at + ".eventName", Reason: fmt.Sprintf("%q is not an ObjectCreated event", r.EventName)}
	}
	sent, err := time.Parse(time.RFC3339Nano, r.EventTime)
	if err != nil {
		return nil, &event.FieldError{Field: at + ".eventTime", Reason: fmt.Sprintf("%q is not an RFC 3339 time", r.EventTime)}
	}
	bucket, obj := r.S3.Bucket.Name, r.S3.Object
	if bucket == "" {
		return nil, &event.FieldError{Field: at + ".s3.bucket.name", Reason: "missing"}
	}
	// S3 writes keys URL-encoded as in a query string: "+" for a space.
	key, err := url.QueryUnescape(obj.Key)
	if err != nil {
		return nil, &event.FieldError{Field: at + ".s3.object.key", Reason: fmt.Sprintf("%q is not URL-encoded", obj.Key)}
	}
	account, ok := accountOf(key)
	if !ok {
		return nil, &event.FieldError{Field: at + ".s3.object.key", Reason: fmt.Sprintf("%q is not %s{accountId}/{file}%s", key, outboundPrefix, messageSuffix)}
	}
	version := "v:" + obj.VersionID
	if obj.VersionID == "" {
		version = "q:" + obj.Sequencer
	}
	if version == "q:" {
		return nil, &event.FieldError{Field: at + ".s3.object.sequencer", Reason: "missing, and no versionId: the object's write cannot be told from another"}
	}
	// The platform's file name is its own id, not the Message-ID header,
	// so messageId stays empty; the pipeline reads the header from the
	// object.
	b, err := event.Marshal(event.Event{
		ID: eventID(bucket, key, version), Kind: event.KindMessage, Source: eventSource, Time: sent,
		Message: &event.Message{AccountID: account, SentAt: sent, Object: event.Object{Bucket: bucket, Key: key}},
	})
	if err != nil {
		return nil, &event.FieldError{Field: at, Reason: err.Error()}
	}
	return b, nil
}

// accountOf returns the account id of a key of the form
// outbound/{accountId}/{file}.eml.
func accountOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, outboundPrefix)
	if !ok {
		return "", false
	}
	account, file, ok := strings.Cut(rest, "/")
	if !ok || account == "" || strings.Contains(file, "/") || len(file) <= len(messageSuffix) || !strings.HasSuffix(file, messageSuffix) {
		return "", false
	}
	return account, true
}

// eventID is the id of the event of one write of an object: the same
// whenever S3 delivers its notification again, and whichever queue
// message carries it, so that the pipeline counts the write once. version
// is the object's version id when the bucket keeps versions, else the
// write's sequencer (distinct for each write of a key).
func eventID(bucket, key, version string) string {
	sum := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	return "s3:" + hex.EncodeToString(sum[:])[:32]
}
