package config

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/decision"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty) = %v", err)
	}
	if c.Policy != decision.DefaultPolicy() {
		t.Errorf("Policy = %+v, want the default %+v", c.Policy, decision.DefaultPolicy())
	}
	if c.LogLevel != slog.LevelInfo {
		t.Errorf("LogLevel = %v, want info", c.LogLevel)
	}
	if c != (Config{Policy: decision.DefaultPolicy()}) {
		t.Errorf("Load(empty) = %+v, want only the default policy set", c)
	}
	if err := c.ForFunction(); err == nil {
		t.Error("ForFunction() on the defaults = nil, want missing tables and key")
	}
}

func TestLoadStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field func(Config) string
	}{
		{"STATE_TABLE", func(c Config) string { return c.StateTable }},
		{"QUEUE_TABLE", func(c Config) string { return c.QueueTable }},
		{"DYNAMODB_ENDPOINT", func(c Config) string { return c.DynamoEndpoint }},
		{"GEOIP_CITY_DB", func(c Config) string { return c.GeoCityDB }},
		{"GEOIP_ASN_DB", func(c Config) string { return c.GeoASNDB }},
		{"GEOIP_ANON_DB", func(c Config) string { return c.GeoAnonDB }},
		{"HOSTING_CIDRS", func(c Config) string { return c.HostingCIDRs }},
		{"VPN_CIDRS", func(c Config) string { return c.VPNCIDRs }},
		{"HOSTING_ASNS", func(c Config) string { return c.HostingASNs }},
		{"VPN_ASNS", func(c Config) string { return c.VPNASNs }},
		{"DISPOSABLE_DOMAINS", func(c Config) string { return c.DisposableDomains }},
		{"RULES_SOURCE", func(c Config) string { return c.RulesSource }},
		{"HASH_KEY_PARAM", func(c Config) string { return c.HashKeyParam }},
		{"HASH_KEY", func(c Config) string { return c.HashKey }},
		{"OBJECTS_DIR", func(c Config) string { return c.ObjectsDir }},
	}
	// All set at once, each to a distinct value, so a swapped pair shows.
	m := map[string]string{}
	for _, tt := range tests {
		m[tt.name] = "value-of-" + strings.ToLower(tt.name)
	}
	c, err := Load(env(m))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, want := tt.field(c), m[tt.name]; got != want {
				t.Errorf("%s read as %q, want %q", tt.name, got, want)
			}
		})
	}
}

func TestLoadPolicyAndLevel(t *testing.T) {
	t.Parallel()
	def := decision.DefaultPolicy()
	tests := []struct {
		name      string
		env       map[string]string
		want      decision.Policy
		wantLevel slog.Level
	}{
		{"thresholds", map[string]string{"REVIEW_THRESHOLD": "40", "SUSPEND_THRESHOLD": "90", "MIN_SUSPEND_RULES": "3"},
			decision.Policy{Review: 40, Suspend: 90, MinSuspendRules: 3}, slog.LevelInfo},
		{"review only", map[string]string{"REVIEW_THRESHOLD": "65"},
			decision.Policy{Review: 65, Suspend: def.Suspend, MinSuspendRules: def.MinSuspendRules}, slog.LevelInfo},
		{"shadow true", map[string]string{"SHADOW_MODE": "true"},
			decision.Policy{Review: def.Review, Suspend: def.Suspend, MinSuspendRules: def.MinSuspendRules, Shadow: true}, slog.LevelInfo},
		{"shadow 1", map[string]string{"SHADOW_MODE": "1"},
			decision.Policy{Review: def.Review, Suspend: def.Suspend, MinSuspendRules: def.MinSuspendRules, Shadow: true}, slog.LevelInfo},
		{"shadow false", map[string]string{"SHADOW_MODE": "false"}, def, slog.LevelInfo},
		{"debug", map[string]string{"LOG_LEVEL": "debug"}, def, slog.LevelDebug},
		{"WARN", map[string]string{"LOG_LEVEL": "WARN"}, def, slog.LevelWarn},
		{"error", map[string]string{"LOG_LEVEL": "error"}, def, slog.LevelError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Policy != tt.want {
				t.Errorf("Policy = %+v, want %+v", c.Policy, tt.want)
			}
			if c.LogLevel != tt.wantLevel {
				t.Errorf("LogLevel = %v, want %v", c.LogLevel, tt.wantLevel)
			}
		})
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string // names that must appear in the error
	}{
		{"review not a number", map[string]string{"REVIEW_THRESHOLD": "high"}, []string{"REVIEW_THRESHOLD"}},
		{"suspend fraction", map[string]string{"SUSPEND_THRESHOLD": "85.5"}, []string{"SUSPEND_THRESHOLD"}},
		{"min rules word", map[string]string{"MIN_SUSPEND_RULES": "two"}, []string{"MIN_SUSPEND_RULES"}},
		{"shadow maybe", map[string]string{"SHADOW_MODE": "maybe"}, []string{"SHADOW_MODE"}},
		{"log level loud", map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL"}},
		{"object bound zero", map[string]string{"OBJECTS_MAX_BYTES": "0"}, []string{"OBJECTS_MAX_BYTES"}},
		{"object bound in MiB", map[string]string{"OBJECTS_MAX_BYTES": "25MiB"}, []string{"OBJECTS_MAX_BYTES"}},
		{"rules source URL", map[string]string{"RULES_SOURCE": "https://example.com/rules.yaml"}, []string{"RULES_SOURCE"}},
		{"review out of range", map[string]string{"REVIEW_THRESHOLD": "0"}, []string{"REVIEW_THRESHOLD"}},
		{"suspend out of range", map[string]string{"SUSPEND_THRESHOLD": "101"}, []string{"SUSPEND_THRESHOLD"}},
		{"min rules zero", map[string]string{"MIN_SUSPEND_RULES": "0"}, []string{"MIN_SUSPEND_RULES"}},
		{"review above suspend", map[string]string{"REVIEW_THRESHOLD": "90", "SUSPEND_THRESHOLD": "60"}, []string{"REVIEW_THRESHOLD", "SUSPEND_THRESHOLD"}},
		{"all at once", map[string]string{
			"REVIEW_THRESHOLD":  "x",
			"SUSPEND_THRESHOLD": "y",
			"MIN_SUSPEND_RULES": "z",
			"SHADOW_MODE":       "perhaps",
			"LOG_LEVEL":         "chatty",
			"RULES_SOURCE":      "s3://bucket-only",
			"STATE_TABLE":       "fine",
		}, []string{"REVIEW_THRESHOLD", "SUSPEND_THRESHOLD", "MIN_SUSPEND_RULES", "SHADOW_MODE", "LOG_LEVEL", "RULES_SOURCE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatalf("Load(%v) = nil, want an error naming %q", tt.env, tt.want)
			}
			for _, name := range tt.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			// The offending value is shown to the operator.
			for _, name := range tt.want {
				if v := tt.env[name]; !strings.Contains(err.Error(), v) {
					t.Errorf("error %q does not show the value %q of %s", err, v, name)
				}
			}
			// Load does not require what only functions need.
			for _, name := range []string{"STATE_TABLE", "QUEUE_TABLE", "HASH_KEY"} {
				if strings.Contains(err.Error(), name) {
					t.Errorf("error %q names %s, which Load does not require", err, name)
				}
			}
		})
	}
}

func TestForFunction(t *testing.T) {
	t.Parallel()
	full := map[string]string{"STATE_TABLE": "state", "QUEUE_TABLE": "queue", "HASH_KEY_PARAM": "/abusescan/hash-key"}
	without := func(names ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for _, n := range names {
			delete(m, n)
		}
		return m
	}
	with := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }
	tests := []struct {
		name string
		env  map[string]string
		want []string // nil = no error
	}{
		{"complete", full, nil},
		{"local key instead of parameter", with(without("HASH_KEY_PARAM"), "HASH_KEY", "0123456789abcdef"), nil},
		{"both keys", with(without(), "HASH_KEY", "0123456789abcdef"), nil},
		{"no state table", without("STATE_TABLE"), []string{"STATE_TABLE"}},
		{"no queue table", without("QUEUE_TABLE"), []string{"QUEUE_TABLE"}},
		{"no key", without("HASH_KEY_PARAM"), []string{"HASH_KEY_PARAM"}},
		{"nothing", map[string]string{}, []string{"STATE_TABLE", "QUEUE_TABLE", "HASH_KEY_PARAM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.ForFunction()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ForFunction() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ForFunction() = nil, want errors naming %q", tt.want)
			}
			for _, name := range tt.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("ForFunction() = %q, does not name %s", err, name)
				}
			}
			if got := len(strings.Split(err.Error(), "\n")); got != len(tt.want) {
				t.Errorf("ForFunction() reports %d problems, want %d: %q", got, len(tt.want), err)
			}
		})
	}
}

func TestRulesSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		source string
		ok     bool
	}{
		{"", true},
		{"rules.yaml", true},
		{"./config/rules.yaml", true},
		{"/etc/abusescan/rules.yaml", true},
		{"s3://abusescan-config/rules.yaml", true},
		{"s3://abusescan-config/prod/2026/rules.yaml", true},
		{"ssm:/abusescan/rules", true},
		{"s3://abusescan-config", false},
		{"s3://abusescan-config/", false},
		{"s3:///rules.yaml", false},
		{"s3://", false},
		{"ssm:", false},
		{"https://example.com/rules.yaml", false},
		{"file:///etc/rules.yaml", false},
		{"gs://bucket/rules.yaml", false},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"RULES_SOURCE": tt.source}))
			if tt.ok {
				if err != nil {
					t.Fatalf("Load(RULES_SOURCE=%q) = %v", tt.source, err)
				}
				if c.RulesSource != tt.source {
					t.Errorf("RulesSource = %q, want %q", c.RulesSource, tt.source)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "RULES_SOURCE") {
				t.Errorf("Load(RULES_SOURCE=%q) = %v, want an error naming RULES_SOURCE", tt.source, err)
			}
		})
	}
}

// TestLoadHashKey: a HASH_KEY too short or plainly not random is reported
// with the other variables, by name, and the key is not printed: errors
// reach logs.
func TestLoadHashKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // names the error must hold; nil = no error
	}{
		{"random key", map[string]string{"HASH_KEY": "b7Qw0m3Zx9T4pL2vR8sK1nC6yH5uJ0aE3fG9dW2qX4M="}, nil},
		{"parameter only: checked when fetched", map[string]string{"HASH_KEY_PARAM": "/abusescan/hash-key"}, nil},
		{"no key: ForFunction's business", map[string]string{}, nil},
		{"short", map[string]string{"HASH_KEY": "s3cr3t-k3y"}, []string{"HASH_KEY", "too short"}},
		{"sixteen spaces", map[string]string{"HASH_KEY": strings.Repeat(" ", 16)}, []string{"HASH_KEY", "entropy"}},
		{"repeated word", map[string]string{"HASH_KEY": "changeme-changeme"}, []string{"HASH_KEY", "entropy"}},
		{"with other mistakes", map[string]string{"HASH_KEY": "aaaaaaaaaaaaaaaaaaaaaaaa", "LOG_LEVEL": "loud"}, []string{"HASH_KEY", "LOG_LEVEL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(tt.env))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Load = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load = nil, want an error naming %q", tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Load = %q, does not say %q", err, s)
				}
			}
			key := tt.env["HASH_KEY"]
			if k := strings.TrimSpace(key); strings.Contains(err.Error(), key) || len(k) >= 6 && strings.Contains(err.Error(), k[:6]) {
				t.Errorf("Load = %q shows the key", err)
			}
		})
	}
}
