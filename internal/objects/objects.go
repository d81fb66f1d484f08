// Package objects reads the raw outbound messages the platform stores for
// Mailbox Message Sent events (spec/events.md): from S3 when deployed, from a
// folder (DIR/BUCKET/KEY) in a replay. Reads are bounded, and a folder read
// never leaves its folder, whatever the key says: bucket and key come from
// events, which are hostile. It is the only package that imports the S3 SDK
// for message objects.
package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Errors of a read. ErrNotFound may cure itself (an object written after
// its event is read); the others never do.
var (
	ErrNotFound = errors.New("object not found")
	ErrTooLarge = errors.New("object larger than the limit")
	ErrBadName  = errors.New("not a valid bucket or key")
)

// MaxBytes is the default bound on one object: a raw message with its
// attachments, as large as mail platforms accept (SES: 40 MB) would be more
// than a scanner of new mailboxes needs to read.
const MaxBytes = 25 << 20

// Reader reads one stored object.
type Reader interface {
	Read(ctx context.Context, bucket, key string) ([]byte, error)
}

// Dir reads objects from a folder laid out as DIR/BUCKET/KEY.
type Dir struct {
	root *os.Root
	max  int64
}

var _ Reader = (*Dir)(nil)

// OpenDir opens the folder dir; max bounds an object (0: MaxBytes).
func OpenDir(dir string, max int64) (*Dir, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("objects folder: %w", err)
	}
	if max <= 0 {
		max = MaxBytes
	}
	return &Dir{root: r, max: max}, nil
}

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// Read returns the object's bytes. The path is resolved inside the folder
// (os.Root): "..", absolute keys and symbolic links out of it are refused.
func (d *Dir) Read(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(bucket, key); err != nil {
		return nil, err
	}
	name := bucket + "/" + key
	f, err := d.root.Open(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("read s3://%s/%s: %w: %w", bucket, key, ErrBadName, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read s3://%s/%s: %w: not a file", bucket, key, ErrBadName)
	}
	return readBounded(f, d.max, bucket, key)
}

// S3API is what S3 needs of the SDK's client.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3 reads objects from Amazon S3.
type S3 struct {
	client S3API
	max    int64
}

var _ Reader = (*S3)(nil)

// NewS3 returns a reader over client; max bounds an object (0: MaxBytes).
func NewS3(client S3API, max int64) *S3 {
	if max <= 0 {
		max = MaxBytes
	}
	return &S3{client: client, max: max}
}

// NewS3FromConfig returns a reader over an S3 client made from cfg (the
// function's AWS configuration); max bounds an object (0: MaxBytes). Making
// the client calls nothing.
func NewS3FromConfig(cfg aws.Config, max int64) *S3 {
	return NewS3(s3.NewFromConfig(cfg), max)
}

// Read returns the object's bytes, refusing one whose stated length is over
// the bound before reading any of it.
func (s *S3) Read(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := checkName(bucket, key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, ErrNotFound)
		}
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > s.max {
		return nil, fmt.Errorf("read s3://%s/%s: %w (%d bytes, limit %d)", bucket, key, ErrTooLarge, *out.ContentLength, s.max)
	}
	return readBounded(out.Body, s.max, bucket, key)
}

func readBounded(r io.Reader, max int64, bucket, key string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read s3://%s/%s: %w (limit %d)", bucket, key, ErrTooLarge, max)
	}
	return b, nil
}

// checkName refuses a bucket that S3 would not name (3 to 63 lowercase
// letters, digits, dots and hyphens) and a key that is empty, over S3's
// 1,024 bytes, or, for a folder, could mean another path than it says: an
// absolute path, a "." or ".." segment, an empty segment, a backslash or a
// NUL.
func checkName(bucket, key string) error {
	if n := len(bucket); n < 3 || n > 63 || strings.Trim(bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || strings.Contains(bucket, "..") {
		return fmt.Errorf("bucket %q: %w", truncate(bucket), ErrBadName)
	}
	if key == "" || len(key) > 1024 || strings.ContainsAny(key, "\\\x00") || strings.HasPrefix(key, "/") || path.Clean(key) != key {
		return fmt.Errorf("key %q: %w", truncate(key), ErrBadName)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("key %q: %w", truncate(key), ErrBadName)
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
