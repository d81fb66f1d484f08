package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailtrust/abusescan/internal/versioned"
)

// maxRecordAttempts bounds the read-change-write loop on a contended
// record.
const maxRecordAttempts = 5

// recordOp is one read-change-write of a shared versioned record (a peer
// set, a content record).
type recordOp struct {
	key string
	// change is given the stored record (Version 0: none) and returns its
	// new data and expiry, and whether it changed. It may be called again
	// with a fresher record when the write lost a race, so whatever it
	// concludes is overwritten on each call.
	change func(r versioned.Record) (data []byte, expires int64, changed bool)
}

// updateRecords reads the records of ops (strongly consistent), changes
// them, writes those that changed on condition of the version read, and
// re-reads and redoes those that changed under it. It returns the ops that
// failed, with why.
func (p *Pipeline) updateRecords(ctx context.Context, ops []*recordOp) map[*recordOp]error {
	failed := map[*recordOp]error{}
	pending := ops
	for attempt := 1; len(pending) > 0; attempt++ {
		keys := make([]string, len(pending))
		for i, o := range pending {
			keys[i] = o.key
		}
		recs, err := p.c.Store.Records(ctx, keys, true)
		if err != nil {
			for _, o := range pending {
				failed[o] = fmt.Errorf("read %s: %w: %w", o.key, ErrTransient, err)
			}
			return failed
		}
		var writes []versioned.Write
		var writers []*recordOp
		for _, o := range pending {
			r := recs[o.key]
			data, expires, changed := o.change(r)
			if !changed {
				continue
			}
			writes = append(writes, versioned.Write{Key: o.key, Prev: r.Version, Record: versioned.Record{
				Version: r.Version + 1, Data: data, Expires: max(r.Expires, expires),
			}})
			writers = append(writers, o)
		}
		errs := p.c.Store.PutRecords(ctx, writes)
		var retry []*recordOp
		for i, o := range writers {
			err := resultErr(errs, i)
			switch {
			case err == nil:
			case errors.Is(err, versioned.ErrConflict) && attempt < maxRecordAttempts:
				retry = append(retry, o)
			default:
				failed[o] = storeErr("write "+o.key, err)
			}
		}
		pending = retry
	}
	return failed
}
