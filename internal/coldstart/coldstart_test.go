package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/objects"
)

// TestHashKey: the key fetched from HASH_KEY_PARAM is held to the same rule
// as HASH_KEY, and a refusal names the variable and the parameter, never
// the key.
func TestHashKey(t *testing.T) {
	t.Parallel()
	const random = "b7Qw0m3Zx9T4pL2vR8sK1nC6yH5uJ0aE3fG9dW2qX4M="
	errDenied := errors.New("AccessDeniedException")
	tests := []struct {
		name    string
		cfg     config.Config
		param   string // the parameter's value
		fetch   error  // the fetch's error
		want    string // the key; "" = an error
		wantErr []string
	}{
		{"parameter", config.Config{HashKeyParam: "/abusescan/hash-key"}, random, nil, random, nil},
		{"parameter over HASH_KEY", config.Config{HashKeyParam: "/abusescan/hash-key", HashKey: "abusectl-local-development-key"}, random, nil, random, nil},
		{"HASH_KEY", config.Config{HashKey: random}, "", nil, random, nil},
		{"weak parameter", config.Config{HashKeyParam: "/abusescan/hash-key"}, strings.Repeat(" ", 44), nil, "",
			[]string{"HASH_KEY_PARAM", "/abusescan/hash-key", keyhash.ErrWeakKey.Error()}},
		{"short parameter", config.Config{HashKeyParam: "/abusescan/hash-key"}, "s3cr3t-k3y", nil, "",
			[]string{"HASH_KEY_PARAM", "/abusescan/hash-key", keyhash.ErrShortKey.Error()}},
		{"parameter not readable", config.Config{HashKeyParam: "/abusescan/hash-key"}, "", errDenied, "",
			[]string{"HASH_KEY_PARAM", "/abusescan/hash-key", "AccessDenied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fetch := func(_ context.Context, name string) ([]byte, error) {
				if name != tt.cfg.HashKeyParam {
					t.Errorf("fetched %q, want %q", name, tt.cfg.HashKeyParam)
				}
				return []byte(tt.param), tt.fetch
			}
			key, err := HashKey(t.Context(), tt.cfg, fetch)
			if tt.want != "" {
				if err != nil || string(key) != tt.want {
					t.Fatalf("HashKey = %q, %v; want %q", key, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("HashKey = %q, nil; want an error", key)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("HashKey error %q does not say %q", err, s)
				}
			}
			if p := strings.TrimSpace(tt.param); p != "" && strings.Contains(err.Error(), p) {
				t.Errorf("HashKey error %q shows the key", err)
			}
		})
	}
}

// TestStartRefusesBadConfiguration: every missing or bad variable is named
// at once, before any AWS client is made, and the logger returned with the
// error writes JSON to the function's output.
func TestStartRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	env := map[string]string{"REVIEW_THRESHOLD": "90", "SUSPEND_THRESHOLD": "80"}
	var out bytes.Buffer
	sc, log, err := Start(t.Context(), func(k string) string { return env[k] }, &out)
	if err == nil || sc != nil {
		t.Fatalf("Start = %v, %v; want an error", sc, err)
	}
	for _, want := range []string{"configuration", "STATE_TABLE", "QUEUE_TABLE", "HASH_KEY_PARAM"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if log == nil {
		t.Fatal("no logger with the error")
	}
	log.Error("start", "error", err.Error())
	var line map[string]any
	if jerr := json.Unmarshal(out.Bytes(), &line); jerr != nil || line["msg"] != "start" {
		t.Errorf("logged %q, want one JSON line (%v)", out.String(), jerr)
	}
}

// TestObjects: OBJECTS_DIR reads raw messages from a folder (local runs),
// bounded by OBJECTS_MAX_BYTES; without it they come from S3, and making
// the S3 reader calls nothing.
func TestObjects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "mail-outbound-copies", "outbound", "acc-01"), 0o755); err != nil {
		t.Fatal(err)
	}
	msg := []byte("Subject: hello\r\n\r\nhi\r\n")
	if err := os.WriteFile(filepath.Join(dir, "mail-outbound-copies", "outbound", "acc-01", "0001.eml"), msg, 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T, cfg config.Config) ([]byte, error) {
		t.Helper()
		r, err := Objects(cfg, aws.Config{Region: "us-east-1"})
		if err != nil {
			t.Fatalf("Objects: %v", err)
		}
		if _, ok := r.(*objects.Dir); !ok {
			t.Fatalf("Objects = %T, want *objects.Dir", r)
		}
		return r.Read(t.Context(), "mail-outbound-copies", "outbound/acc-01/0001.eml")
	}
	t.Run("folder", func(t *testing.T) {
		t.Parallel()
		if got, err := read(t, config.Config{ObjectsDir: dir}); err != nil || !bytes.Equal(got, msg) {
			t.Errorf("Read = %q, %v; want the file", got, err)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		if _, err := read(t, config.Config{ObjectsDir: dir, ObjectsMaxBytes: 8}); !errors.Is(err, objects.ErrTooLarge) {
			t.Errorf("Read error = %v, want ErrTooLarge", err)
		}
	})
	t.Run("no folder", func(t *testing.T) {
		t.Parallel()
		_, err := Objects(config.Config{ObjectsDir: filepath.Join(dir, "absent")}, aws.Config{})
		if err == nil || !strings.Contains(err.Error(), "OBJECTS_DIR") {
			t.Errorf("Objects error = %v, want one naming OBJECTS_DIR", err)
		}
	})
	t.Run("S3", func(t *testing.T) {
		t.Parallel()
		r, err := Objects(config.Config{}, aws.Config{Region: "us-east-1"})
		if _, ok := r.(*objects.S3); !ok || err != nil {
			t.Errorf("Objects = %T, %v; want *objects.S3", r, err)
		}
	})
}
