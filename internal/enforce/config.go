package enforce

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/enforce/caps"
)

// Config is the enforcer function's settings (README, "Auto-suspension").
type Config struct {
	QueueTable, StateTable string
	// DynamoEndpoint overrides the DynamoDB endpoint (a local server).
	DynamoEndpoint string
	// WebhookURL is the platform's suspension endpoint: https only; ""
	// until there is one, and then nothing is sent, as if switched off.
	WebhookURL string
	// SecretParam names the SSM SecureString holding the signing secret
	// (whsec_ + base64); Secret gives it directly, for local runs only.
	SecretParam, Secret string
	// SwitchParam names the SSM parameter of the kill switch; Switch gives
	// its value directly, for local runs only.
	SwitchParam, Switch string
	Limits              caps.Limits
	Shadow              bool
	// AttemptTimeout bounds one webhook attempt.
	AttemptTimeout time.Duration
	LogLevel       slog.Level
}

// Configured reports whether there is an endpoint to call.
func (c Config) Configured() bool { return c.WebhookURL != "" }

// LoadConfig reads the configuration through getenv, naming every missing
// or bad variable at once. It never quotes the secret.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		QueueTable: getenv("QUEUE_TABLE"), StateTable: getenv("STATE_TABLE"),
		DynamoEndpoint: getenv("DYNAMODB_ENDPOINT"),
		WebhookURL:     getenv("ENFORCE_WEBHOOK_URL"),
		SecretParam:    getenv("ENFORCE_SECRET_PARAM"), Secret: getenv("ENFORCE_SECRET"),
		SwitchParam: getenv("ENFORCE_SWITCH_PARAM"), Switch: getenv("ENFORCE_SWITCH"),
		Limits:         caps.Limits{Window: 10 * time.Minute},
		AttemptTimeout: 5 * time.Second,
	}
	for name, v := range map[string]string{"QUEUE_TABLE": c.QueueTable, "STATE_TABLE": c.StateTable} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is not set", name))
		}
	}
	// No URL: no endpoint yet, and nothing is sent (Configured).
	if u, err := url.Parse(c.WebhookURL); c.WebhookURL != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		errs = append(errs, fmt.Errorf("ENFORCE_WEBHOOK_URL: %q, want empty or an https:// URL", c.WebhookURL))
	}
	if c.WebhookURL != "" && (c.SecretParam == "") == (c.Secret == "") {
		errs = append(errs, errors.New("set one of ENFORCE_SECRET_PARAM (deployed) and ENFORCE_SECRET (local runs)"))
	}
	if (c.SwitchParam == "") == (c.Switch == "") {
		errs = append(errs, errors.New("set one of ENFORCE_SWITCH_PARAM (deployed) and ENFORCE_SWITCH (local runs)"))
	}
	for name, dst := range map[string]*int{"ENFORCE_CAP_10MIN": &c.Limits.PerWindow, "ENFORCE_CAP_DAY": &c.Limits.PerDay} {
		v := getenv(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: %q, want a whole number of at least 1", name, v))
			continue
		}
		*dst = n
	}
	if v := getenv("ENFORCE_ATTEMPT_TIMEOUT_MS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 60_000 {
			errs = append(errs, fmt.Errorf("ENFORCE_ATTEMPT_TIMEOUT_MS: %q, want 100..60000", v))
		} else {
			c.AttemptTimeout = time.Duration(n) * time.Millisecond
		}
	}
	if v := getenv("SHADOW_MODE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SHADOW_MODE: %q is not true or false", v))
		}
		c.Shadow = b
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is none of DEBUG, INFO, WARN, ERROR", v))
		}
	}
	return c, errors.Join(errs...)
}
