// Command enforce is the Lambda function that reads the queue table's
// stream and suspends, through the platform's signed webhook, the accounts
// whose item becomes pending with action suspend, within the blast-radius
// caps and unless the kill switch is off (internal/enforce). It only
// wires: configuration, the secret, clients, lambda.Start.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/mailtrust/abusescan/internal/awsparam"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/enforce"
	"github.com/mailtrust/abusescan/internal/webhook"
)

func main() {
	e, log, err := start(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		// A bad configuration or an unreadable secret fails the cold start
		// loudly: the stream keeps the records until the function starts.
		log.Error("start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(newHandler(e, log, os.Stdout))
}

// Kill switch timing: read at most once a minute; a failed read keeps the
// last value for five minutes.
const (
	switchTTL   = time.Minute
	switchStale = 5 * time.Minute
)

// reserve is kept of each invocation's deadline for writing the items and
// reporting the batch: webhook retries stop short of it.
const reserve = 5 * time.Second

// start reads the configuration and the secret (once, here) and assembles
// the enforcer. The logger is usable even when it fails.
func start(ctx context.Context, getenv func(string) string, out io.Writer) (*enforce.Enforcer, *slog.Logger, error) {
	log := slog.New(slog.NewJSONHandler(out, nil))
	cfg, err := enforce.LoadConfig(getenv)
	if err != nil {
		return nil, log, fmt.Errorf("configuration: %w", err)
	}
	log = slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel}))
	fetch := func(ctx context.Context, name string) ([]byte, error) {
		return nil, fmt.Errorf("no AWS configuration to read %s", name)
	}
	if (cfg.SecretParam != "" && cfg.Configured()) || cfg.SwitchParam != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, log, fmt.Errorf("aws configuration: %w", err)
		}
		fetch = func(ctx context.Context, name string) ([]byte, error) {
			return awsparam.Fetch(ctx, awsCfg, "ssm:"+name)
		}
	}
	if !cfg.Configured() {
		// No endpoint yet: every change is consumed as switched off, and
		// the items stay pending for people.
		cfg.SwitchParam, cfg.Switch = "", "off"
	}
	secret := []byte(cfg.Secret)
	if cfg.SecretParam != "" && cfg.Configured() {
		if secret, err = fetch(ctx, cfg.SecretParam); err != nil {
			return nil, log, fmt.Errorf("ENFORCE_SECRET_PARAM: %w", err)
		}
	}
	var key []byte
	if cfg.Configured() {
		if key, err = webhook.ParseSecret(string(secret)); err != nil {
			return nil, log, fmt.Errorf("ENFORCE_SECRET(_PARAM): %w", err)
		}
	}
	sw := &enforce.KillSwitch{Now: time.Now, TTL: switchTTL, Stale: switchStale,
		Fetch: func(context.Context) (string, error) { return cfg.Switch, nil }}
	if cfg.SwitchParam != "" {
		sw.Fetch = func(ctx context.Context) (string, error) {
			v, err := fetch(ctx, cfg.SwitchParam)
			return string(v), err
		}
	}
	client, err := dynamo.NewClient(ctx, cfg.DynamoEndpoint)
	if err != nil {
		return nil, log, err
	}
	store := dynamo.New(client, dynamo.Tables{State: cfg.StateTable, Queue: cfg.QueueTable})
	sender := &webhook.Client{
		URL: cfg.WebhookURL, Key: key, Now: time.Now,
		HTTP:    &http.Client{Timeout: cfg.AttemptTimeout},
		Backoff: webhook.Backoff{Base: 200 * time.Millisecond, Max: 5 * time.Second, Reserve: reserve},
	}
	e, err := enforce.New(store, store, sender, sw, enforce.Options{Limits: cfg.Limits, Shadow: cfg.Shadow, Now: time.Now})
	if err != nil {
		return nil, log, err
	}
	log.Info("ready", slog.Bool("endpoint", cfg.Configured()), slog.Bool("shadow", cfg.Shadow), slog.Int("capPer10Min", cfg.Limits.PerWindow), slog.Int("capPerDay", cfg.Limits.PerDay))
	return e, log, nil
}
