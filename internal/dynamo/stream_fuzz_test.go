package dynamo_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/queue"
)

// FuzzQueueItemFromStream feeds stream images, as a record's NewImage or
// OldImage JSON from Lambda, to the decoder: it never panics, and an item
// it decodes is laid out again by StreamImage and decodes to the same item,
// its times to the millisecond the table keeps. The seeds are the images
// of the enforce samples of events/.
func FuzzQueueItemFromStream(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "enforce-stream*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no enforce samples in events/ (%v)", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var ev struct {
			Records []struct {
				Change struct {
					NewImage, OldImage json.RawMessage
				} `json:"dynamodb"`
			}
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		for _, r := range ev.Records {
			for _, img := range []json.RawMessage{r.Change.NewImage, r.Change.OldImage} {
				if len(img) > 0 {
					f.Add([]byte(img))
				}
			}
		}
	}
	f.Add([]byte(`{"accountId":{"S":"a"},"version":{"N":"1"},"reasons":{"L":[{"S":"x"}]}}`))
	f.Add([]byte(`{"createdAt":{"S":"2026-11-22T10:00:02.123456789+01:00"},"eventIds":{"SS":["b","a","b"]}}`))
	// Year 0 with an offset is year -1 in UTC, which RFC 3339 cannot write back.
	f.Add([]byte(`{"accountId":{"S":"a"},"version":{"N":"1"},"createdAt":{"S":"0000-01-01T00:00:00+00:01"}}`))
	f.Add([]byte(`{"history":{"L":[{"M":{"at":{"S":"x"}}}]},"cluster":{"NULL":true}}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		var img map[string]events.DynamoDBAttributeValue
		if err := json.Unmarshal(data, &img); err != nil {
			return
		}
		it, err := dynamo.QueueItemFromStream(img)
		if err != nil {
			return
		}
		again, err := dynamo.QueueItemFromStream(dynamo.StreamImage(it))
		if err != nil {
			t.Fatalf("the image of a decoded item does not decode: %v\nitem %+v", err, it)
		}
		if want := toMillis(it); !reflect.DeepEqual(again, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", again, want)
		}
	})
}

// toMillis is it with its times as the table keeps them: UTC, to the
// millisecond.
func toMillis(it queue.Item) queue.Item {
	ms := func(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
	it.CreatedAt, it.UpdatedAt = ms(it.CreatedAt), ms(it.UpdatedAt)
	if it.History != nil {
		h := make([]queue.Change, len(it.History))
		for i, c := range it.History {
			c.At = ms(c.At)
			h[i] = c
		}
		it.History = h
	}
	return it
}
