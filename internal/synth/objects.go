package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/mailtrust/abusescan/internal/objects"
)

// OutboundBucket is the bucket generated Mailbox Message Sent events name:
// where the platform keeps copies of outbound messages.
const OutboundBucket = "mail-outbound-copies"

// Objects holds the raw messages of a generated scenario by bucket and key;
// it reads like the scanner's object store (objects.Reader). A message is
// rendered when it is read, from what the generator composed, so that a
// scenario nobody reads the messages of costs no image encoding; the same
// key always reads the same bytes. It is safe for concurrent use.
type Objects struct {
	mails map[string]*mailDraft // by bucket + "/" + key
	keys  []string              // in the order the messages were composed
}

var _ objects.Reader = (*Objects)(nil)

func newObjects() *Objects { return &Objects{mails: map[string]*mailDraft{}} }

func (o *Objects) put(bucket, key string, m *mailDraft) {
	name := bucket + "/" + key
	if _, dup := o.mails[name]; !dup {
		o.keys = append(o.keys, name)
	}
	o.mails[name] = m
}

// Read returns the raw message stored under bucket and key; one that is not
// there is an error wrapping objects.ErrNotFound.
func (o *Objects) Read(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var m *mailDraft
	if o != nil {
		m = o.mails[bucket+"/"+key]
	}
	if m == nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, objects.ErrNotFound)
	}
	b, err := m.render()
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return b, nil
}

// Len returns the number of stored messages.
func (o *Objects) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// names returns the stored bucket/key names, sorted.
func (o *Objects) names() []string {
	if o == nil {
		return nil
	}
	return slices.Sorted(slices.Values(o.keys))
}

// WriteDir writes every message to DIR/BUCKET/KEY, the layout `abusectl
// replay --objects DIR` reads, rendering them on a few goroutines. On
// failure it still writes the others, and returns the first error.
func (o *Objects) WriteDir(dir string) error {
	names := o.names()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	work := make(chan string)
	for range max(1, min(8, len(names))) {
		wg.Go(func() {
			for name := range work {
				if err := o.writeOne(dir, name); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	return firstErr
}

func (o *Objects) writeOne(dir, name string) error {
	b, err := o.mails[name].render()
	if err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
