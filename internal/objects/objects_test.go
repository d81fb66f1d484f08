package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// objectsFixture is a folder with a bucket, one message, one object over
// the bound, and a secret beside the folder that no key may reach.
func objectsFixture(t testing.TB) (dir string) {
	t.Helper()
	top := t.TempDir()
	dir = filepath.Join(top, "objects")
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "mail-out", "outbound", "acc-1", "0001.eml"), []byte("Subject: hi\r\n\r\nhello\r\n"))
	write(filepath.Join(dir, "mail-out", "outbound", "acc-1", "big.eml"), bytes.Repeat([]byte("x"), 2048))
	write(filepath.Join(top, "secret"), []byte("not yours"))
	if err := os.Symlink(filepath.Join(top, "secret"), filepath.Join(dir, "mail-out", "outbound", "link.eml")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDir(t *testing.T) {
	t.Parallel()
	d, err := OpenDir(objectsFixture(t), 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tests := []struct {
		bucket, key string
		want        string
		err         error
	}{
		{"mail-out", "outbound/acc-1/0001.eml", "Subject: hi\r\n\r\nhello\r\n", nil},
		{"mail-out", "outbound/acc-2/0001.eml", "", ErrNotFound},
		{"mail-out", "outbound/acc-1/big.eml", "", ErrTooLarge},
		{"mail-out", "../secret", "", ErrBadName},
		{"mail-out", "outbound/../../secret", "", ErrBadName},
		{"mail-out", "/etc/passwd", "", ErrBadName},
		{"mail-out", "outbound/link.eml", "", ErrBadName},
		{"mail-out", "outbound/acc-1", "", ErrBadName},
		{"mail-out", "outbound//acc-1/0001.eml", "", ErrBadName},
		{"mail-out", "outbound\\acc-1", "", ErrBadName},
		{"..", "secret", "", ErrBadName},
		{"Mail-Out", "outbound/acc-1/0001.eml", "", ErrBadName},
		{"mail-out", "", "", ErrBadName},
	}
	for _, tc := range tests {
		got, err := d.Read(context.Background(), tc.bucket, tc.key)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("Read(%q, %q): error %v, want %v", tc.bucket, tc.key, err, tc.err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("Read(%q, %q) = %q, want %q", tc.bucket, tc.key, got, tc.want)
		}
	}
	if _, err := OpenDir(filepath.Join(t.TempDir(), "absent"), 0); err == nil {
		t.Error("OpenDir of an absent folder succeeded")
	}
}

// TestS3 reads through the SDK from an S3-compatible server on loopback,
// path-style, as a local S3 emulator would serve it.
func TestS3(t *testing.T) {
	t.Parallel()
	objects := map[string]string{
		"/mail-out/outbound/acc-1/0001.eml": "Subject: hi\r\n\r\nhello\r\n",
		"/mail-out/outbound/acc-1/big.eml":  strings.Repeat("x", 2048),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := objects[r.URL.Path]
		if r.Method != http.MethodGet || !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	r := NewS3(client, 1024)
	got, err := r.Read(context.Background(), "mail-out", "outbound/acc-1/0001.eml")
	if err != nil || string(got) != objects["/mail-out/outbound/acc-1/0001.eml"] {
		t.Errorf("Read = %q, %v", got, err)
	}
	for key, want := range map[string]error{
		"outbound/acc-1/big.eml":  ErrTooLarge,
		"outbound/acc-9/0001.eml": ErrNotFound,
		"outbound/../x":           ErrBadName,
	} {
		if _, err := r.Read(context.Background(), "mail-out", key); !errors.Is(err, want) {
			t.Errorf("Read(%q): %v, want %v", key, err, want)
		}
	}
}

// FuzzDirRead: whatever bucket and key an event names, a folder read never
// returns anything from outside the folder.
func FuzzDirRead(f *testing.F) {
	for _, s := range [][2]string{{"mail-out", "../secret"}, {"mail-out", "outbound/link.eml"}, {"..", "secret"}, {"mail-out", "outbound/acc-1/0001.eml"}, {".", "../../secret"}} {
		f.Add(s[0], s[1])
	}
	dir := objectsFixture(f)
	d, err := OpenDir(dir, 1024)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	f.Fuzz(func(t *testing.T, bucket, key string) {
		got, err := d.Read(context.Background(), bucket, key)
		if err == nil && strings.Contains(string(got), "not yours") {
			t.Errorf("Read(%q, %q) reached outside the folder", bucket, key)
		}
	})
}
