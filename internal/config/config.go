// Package config reads a deployment's settings from the environment, once,
// at start, and reports every missing or bad variable at once.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/keyhash"
)

// Config is every setting of a function. The README's configuration table
// lists the variables.
type Config struct {
	StateTable, QueueTable string
	// DynamoEndpoint overrides the DynamoDB endpoint (a local server).
	DynamoEndpoint string

	GeoCityDB, GeoASNDB, GeoAnonDB string

	// Replacement lists ("" = the embedded defaults).
	HostingCIDRs, VPNCIDRs, HostingASNs, VPNASNs string
	DisposableDomains                            string

	// RulesSource: "" (embedded), a path, s3://bucket/key or ssm:/name.
	RulesSource string
	Policy      decision.Policy
	// NoClusters turns campaign clustering off (abusectl --clusters=false,
	// to compare; the functions always cluster).
	NoClusters bool

	// HashKeyParam names the SSM SecureString holding the key for hashing
	// personal values; HashKey gives the key directly (local runs only),
	// and Load refuses it unless it passes keyhash.Check. The parameter's
	// key is checked when it is fetched.
	HashKeyParam, HashKey string

	// ObjectsDir reads the raw messages of Mailbox Message Sent events from
	// a folder laid out DIR/BUCKET/KEY instead of S3 (local runs only, like
	// DynamoEndpoint); ObjectsMaxBytes bounds one object (0: the objects
	// package's default).
	ObjectsDir      string
	ObjectsMaxBytes int64

	LogLevel slog.Level
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		StateTable:        getenv("STATE_TABLE"),
		QueueTable:        getenv("QUEUE_TABLE"),
		DynamoEndpoint:    getenv("DYNAMODB_ENDPOINT"),
		GeoCityDB:         getenv("GEOIP_CITY_DB"),
		GeoASNDB:          getenv("GEOIP_ASN_DB"),
		GeoAnonDB:         getenv("GEOIP_ANON_DB"),
		HostingCIDRs:      getenv("HOSTING_CIDRS"),
		VPNCIDRs:          getenv("VPN_CIDRS"),
		HostingASNs:       getenv("HOSTING_ASNS"),
		VPNASNs:           getenv("VPN_ASNS"),
		DisposableDomains: getenv("DISPOSABLE_DOMAINS"),
		RulesSource:       getenv("RULES_SOURCE"),
		HashKeyParam:      getenv("HASH_KEY_PARAM"),
		HashKey:           getenv("HASH_KEY"),
		ObjectsDir:        getenv("OBJECTS_DIR"),
		Policy:            decision.DefaultPolicy(),
	}
	for name, dst := range map[string]*int{
		"REVIEW_THRESHOLD":  &c.Policy.Review,
		"SUSPEND_THRESHOLD": &c.Policy.Suspend,
		"MIN_SUSPEND_RULES": &c.Policy.MinSuspendRules,
	} {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				continue
			}
			*dst = n
		}
	}
	if v := getenv("OBJECTS_MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("OBJECTS_MAX_BYTES: %q is not a positive whole number of bytes", v))
		} else {
			c.ObjectsMaxBytes = n
		}
	}
	if v := getenv("SHADOW_MODE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SHADOW_MODE: %q is not true or false", v))
		}
		c.Policy.Shadow = b
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", v))
		}
	}
	if err := c.Policy.Validate(); err != nil {
		// Name the variables: an operator fixes the environment, not a Policy.
		errs = append(errs, fmt.Errorf("REVIEW_THRESHOLD, SUSPEND_THRESHOLD, MIN_SUSPEND_RULES: %w", err))
	}
	if c.HashKey != "" {
		// The key itself is never shown: the error reaches logs.
		if err := keyhash.Check([]byte(c.HashKey)); err != nil {
			errs = append(errs, fmt.Errorf("HASH_KEY: %w", err))
		}
	}
	if c.RulesSource != "" && !validSource(c.RulesSource) {
		errs = append(errs, fmt.Errorf("RULES_SOURCE: %q is not a path, s3://bucket/key or ssm:/name", c.RulesSource))
	}
	return c, errors.Join(errs...)
}

// ForFunction additionally requires what a deployed function needs.
func (c Config) ForFunction() error {
	var errs []error
	if c.StateTable == "" {
		errs = append(errs, errors.New("STATE_TABLE: missing"))
	}
	if c.QueueTable == "" {
		errs = append(errs, errors.New("QUEUE_TABLE: missing"))
	}
	if c.HashKeyParam == "" && c.HashKey == "" {
		errs = append(errs, errors.New("HASH_KEY_PARAM: missing (or HASH_KEY for local runs)"))
	}
	return errors.Join(errs...)
}

func validSource(s string) bool {
	switch {
	case strings.HasPrefix(s, "s3://"):
		b, k, ok := strings.Cut(strings.TrimPrefix(s, "s3://"), "/")
		return ok && b != "" && k != ""
	case strings.HasPrefix(s, "ssm:"):
		return len(s) > len("ssm:")
	}
	return !strings.Contains(s, "://")
}
