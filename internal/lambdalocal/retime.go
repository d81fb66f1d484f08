package lambdalocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// ErrNoTimes is returned by Retime for an event in which no envelope has a
// time or detail time that parses.
var ErrNoTimes = errors.New("no event time to move")

// envelopeTimes are the times of an EventBridge envelope that a function
// judges against its clock: the envelope's, and its detail's (one per
// event kind); or, for an S3 event notification (the message function's
// SQS bodies), its records' eventTime, which becomes the envelope's.
type envelopeTimes struct {
	Time   string `json:"time"`
	Detail struct {
		CreatedAt string `json:"createdAt"`
		At        string `json:"at"`
		SentAt    string `json:"sentAt"`
	} `json:"detail"`
	Records []struct {
		EventTime string `json:"eventTime"`
	} `json:"Records"`
}

func (e envelopeTimes) all() []string {
	out := []string{e.Time, e.Detail.CreatedAt, e.Detail.At, e.Detail.SentAt}
	for _, r := range e.Records {
		out = append(out, r.EventTime)
	}
	return out
}

// Retime moves every envelope time (`time` and `detail.createdAt`,
// `detail.at` or `detail.sentAt`) of event, an SQS or a Kinesis event of
// EventBridge envelopes or one EventBridge event, by one shift, so that the
// newest is a minute before now and their spacing stays. A deployed
// function refuses events more than an hour ahead of its clock or older
// than the state retention, so a sample's fixed dates would be refused
// before them and some weeks after.
//
// Only the quoted times change: every other byte of a body stays, a
// malformed body keeps its times, and so does an SQS record's md5OfBody,
// which no function here checks. An SQS event is re-encoded as
// events.SQSEvent, a Kinesis event as events.KinesisEvent, with each
// record's data re-encoded in base64 and its approximateArrivalTimestamp
// moved by the same shift.
func Retime(event []byte, now time.Time) ([]byte, error) {
	var probe struct {
		Records *[]struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(event, &probe); err != nil {
		return nil, fmt.Errorf("retime: %w", err)
	}
	if probe.Records == nil {
		out, _, err := shift([]string{string(event)}, now)
		if err != nil {
			return nil, err
		}
		return []byte(out[0]), nil
	}
	if len(*probe.Records) > 0 && (*probe.Records)[0].EventSource == "aws:kinesis" {
		return retimeKinesis(event, now)
	}
	var sqs events.SQSEvent
	if err := json.Unmarshal(event, &sqs); err != nil {
		return nil, fmt.Errorf("retime: sqs event: %w", err)
	}
	bodies := make([]string, len(sqs.Records))
	for i, r := range sqs.Records {
		bodies[i] = r.Body
	}
	bodies, _, err := shift(bodies, now)
	if err != nil {
		return nil, err
	}
	for i := range sqs.Records {
		sqs.Records[i].Body = bodies[i]
	}
	out, err := json.Marshal(sqs)
	if err != nil {
		return nil, fmt.Errorf("retime: %w", err)
	}
	return out, nil
}

// retimeKinesis is Retime for a Kinesis event.
func retimeKinesis(event []byte, now time.Time) ([]byte, error) {
	var ks events.KinesisEvent
	if err := json.Unmarshal(event, &ks); err != nil {
		return nil, fmt.Errorf("retime: kinesis event: %w", err)
	}
	data := make([]string, len(ks.Records))
	for i, r := range ks.Records {
		data[i] = string(r.Kinesis.Data)
	}
	data, by, err := shift(data, now)
	if err != nil {
		return nil, err
	}
	for i := range ks.Records {
		k := &ks.Records[i].Kinesis
		k.Data = []byte(data[i])
		if !k.ApproximateArrivalTimestamp.IsZero() {
			k.ApproximateArrivalTimestamp.Time = k.ApproximateArrivalTimestamp.Add(by)
		}
	}
	out, err := json.Marshal(ks)
	if err != nil {
		return nil, fmt.Errorf("retime: %w", err)
	}
	return out, nil
}

// shift moves the times of the envelopes so that the newest of all is a
// minute before now, and returns by how much.
func shift(envelopes []string, now time.Time) ([]string, time.Duration, error) {
	times := make([]envelopeTimes, len(envelopes))
	var newest time.Time
	for i, env := range envelopes {
		_ = json.Unmarshal([]byte(env), &times[i]) // a malformed envelope keeps its times
		for _, s := range times[i].all() {
			if at, err := time.Parse(time.RFC3339Nano, s); err == nil && at.After(newest) {
				newest = at
			}
		}
	}
	if newest.IsZero() {
		return nil, 0, fmt.Errorf("retime: %w", ErrNoTimes)
	}
	by := now.Add(-time.Minute).Truncate(time.Second).Sub(newest)
	out := make([]string, len(envelopes))
	for i, env := range envelopes {
		// One pass over the text, so that a moved time is never moved again.
		var pairs []string
		for _, s := range times[i].all() {
			if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
				pairs = append(pairs, strconv.Quote(s), strconv.Quote(at.Add(by).UTC().Format(time.RFC3339Nano)))
			}
		}
		out[i] = strings.NewReplacer(pairs...).Replace(env)
	}
	return out, by, nil
}
