package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mailtrust/abusescan/internal/versioned"
)

func TestRecordEncoding(t *testing.T) {
	for _, r := range []versioned.Record{
		{Version: 1},
		{Version: 1<<63 - 1, Data: []byte{0, 1, 2}, Expires: -1},
		{Version: 7, Data: bytes.Repeat([]byte("x"), versioned.MaxData), Expires: 1_900_000_000},
	} {
		enc := appendRecord(nil, r)
		got, err := parseRecord(enc)
		if err != nil || got.Version != r.Version || got.Expires != r.Expires || !bytes.Equal(got.Data, r.Data) {
			t.Errorf("parseRecord(appendRecord(%d bytes, version %d)) = version %d, %d bytes, %v", len(r.Data), r.Version, got.Version, len(got.Data), err)
		}
		// Every truncation of the header is detected; the data has no
		// length of its own.
		header := len(enc) - len(r.Data)
		for n := range header {
			if _, err := parseRecord(enc[:n]); err == nil {
				t.Errorf("parseRecord(first %d of %d header bytes) succeeded", n, header)
			}
		}
	}
	for _, b := range [][]byte{{2, 1, 0}, {recordFormat, 0, 0}} {
		if _, err := parseRecord(b); err == nil {
			t.Errorf("parseRecord(%v) succeeded", b)
		}
	}
}

// TestRecordsReopen checks that records are in the file after Close,
// written from the buffer or directly.
func TestRecordsReopen(t *testing.T) {
	t.Parallel()
	for _, buffer := range []int{0, 2, 1000} {
		t.Run(fmt.Sprint("Buffer=", buffer), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "scan.db")
			s, err := Open(path, Options{Buffer: buffer, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]versioned.Record{}
			for i := range 5 {
				var ws []versioned.Write
				for k := range 3 {
					key := fmt.Sprint("lip#", k)
					w := versioned.Write{Key: key, Prev: int64(i), Record: versioned.Record{Version: int64(i + 1), Data: fmt.Appendf(nil, "%d-%d", k, i), Expires: int64(i)}}
					ws = append(ws, w)
					want[key] = w.Record
				}
				if err := errors.Join(s.PutRecords(ctx, ws)...); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(path, Options{}); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.Records(ctx, []string{"lip#0", "lip#1", "lip#2"}, true)
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range want {
				if g := got[k]; g.Version != w.Version || g.Expires != w.Expires || !bytes.Equal(g.Data, w.Data) {
					t.Errorf("%s after reopening = %+v, want %+v", k, g, w)
				}
			}
		})
	}
}

// TestRecordsAllocs holds Records, on the login path, to a few allocations
// per call whatever the number of records read: the map, the read
// transaction, one slab for all the data.
func TestRecordsAllocs(t *testing.T) {
	s, keys := recordStore(t, 20)
	if _, err := s.Records(t.Context(), keys, false); err != nil {
		t.Fatal(err)
	}
	got := testing.AllocsPerRun(100, func() { _, _ = s.Records(t.Context(), keys, false) })
	if got > maxRecordsAllocs {
		t.Errorf("Records of %d keys: %.0f allocations, want at most %d", len(keys), got, maxRecordsAllocs)
	}
}

// maxRecordsAllocs bounds the allocations of Records of 20 present and
// 20 absent keys: 12 when it was written (bbolt's transaction and cursor,
// the map, the slab); one for each record read would be 32 more.
const maxRecordsAllocs = 16

// recordStore returns a store of n records, and their keys each followed
// by an absent one.
func recordStore(tb testing.TB, n int) (*Store, []string) {
	s, err := Open(filepath.Join(tb.TempDir(), "scan.db"), Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	var ws []versioned.Write
	var keys []string
	for i := range n {
		k := fmt.Sprintf("lgn#acc-%d", i)
		keys = append(keys, k, fmt.Sprintf("lip#absent-%d", i))
		ws = append(ws, versioned.Write{Key: k, Record: versioned.Record{Version: 1, Data: bytes.Repeat([]byte{byte(i)}, 200), Expires: 1_900_000_000}})
	}
	if err := errors.Join(s.PutRecords(tb.Context(), ws)...); err != nil {
		tb.Fatal(err)
	}
	return s, keys
}

func BenchmarkRecords(b *testing.B) {
	s, keys := recordStore(b, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			j := i % (len(keys) - 4)
			if _, err := s.Records(b.Context(), keys[j:j+4], false); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
}
