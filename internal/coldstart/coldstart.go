// Package coldstart is what every Lambda function of the scanner does once,
// when its process starts: read the configuration from the environment,
// fetch the rules and the hash key from where the deployment keeps them,
// open DynamoDB and the reader of stored messages, and assemble the
// scanner. The functions differ only in the
// handler they give the scanner's pipeline to, so this is shared rather
// than copied into each function's main.
package coldstart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/mailtrust/abusescan/internal/awsparam"
	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/redact"
	"github.com/mailtrust/abusescan/internal/setup"
)

// Start reads the configuration through getenv and assembles the scanner
// over DynamoDB, logging to out. The logger it returns is usable even when
// it fails. Until it succeeds that logger does not redact: no event has
// been read, and an operator needs the bad values of the configuration
// verbatim (the key is never in an error).
func Start(ctx context.Context, getenv func(string) string, out io.Writer) (*setup.Scanner, *slog.Logger, error) {
	log := slog.New(slog.NewJSONHandler(out, nil))
	cfg, err := config.Load(getenv)
	// Both checks, so that every missing or bad variable is named at once.
	if err = errors.Join(err, cfg.ForFunction()); err != nil {
		return nil, log, fmt.Errorf("configuration: %w", err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, log, fmt.Errorf("aws configuration: %w", err)
	}
	var rulesSrc []byte
	if cfg.RulesSource != "" {
		if rulesSrc, err = awsparam.Fetch(ctx, awsCfg, cfg.RulesSource); err != nil {
			return nil, log, fmt.Errorf("rules: %w", err)
		}
	}
	key, err := HashKey(ctx, cfg, func(ctx context.Context, name string) ([]byte, error) {
		return awsparam.Fetch(ctx, awsCfg, "ssm:"+name)
	})
	if err != nil {
		return nil, log, err
	}
	client, err := dynamo.NewClient(ctx, cfg.DynamoEndpoint)
	if err != nil {
		return nil, log, err
	}
	store := dynamo.New(client, dynamo.Tables{State: cfg.StateTable, Queue: cfg.QueueTable})
	objs, err := Objects(cfg, awsCfg)
	if err != nil {
		return nil, log, err
	}
	redacting := redact.NewLogger(out, cfg.LogLevel)
	sc, err := setup.Build(cfg, store, objs, rulesSrc, key, redacting, setup.Clock{Now: time.Now})
	if err != nil {
		return nil, log, err
	}
	for _, off := range sc.Off {
		redacting.Warn("signals off", slog.String("why", off))
	}
	redacting.Info("ready", slog.String("rulesVersion", sc.Rules.Version()), slog.Bool("shadow", cfg.Policy.Shadow),
		slog.Int("reviewThreshold", cfg.Policy.Review), slog.Int("suspendThreshold", cfg.Policy.Suspend))
	return sc, redacting, nil
}

// Objects returns the reader of the raw messages Mailbox Message Sent
// events point at: the folder OBJECTS_DIR names (local runs), or else S3
// through awsCfg. Either is bounded by OBJECTS_MAX_BYTES (default
// objects.MaxBytes). Making the S3 client reads nothing and calls nothing:
// only an event's object is fetched, when the event is scored, so functions
// that never see a message event pay nothing for it.
func Objects(cfg config.Config, awsCfg aws.Config) (pipeline.Objects, error) {
	if cfg.ObjectsDir != "" {
		dir, err := objects.OpenDir(cfg.ObjectsDir, cfg.ObjectsMaxBytes)
		if err != nil {
			return nil, fmt.Errorf("OBJECTS_DIR %s: %w", cfg.ObjectsDir, err)
		}
		return dir, nil
	}
	return objects.NewS3FromConfig(awsCfg, cfg.ObjectsMaxBytes), nil
}

// HashKey returns the key for hashing personal values: the value of the SSM
// parameter HASH_KEY_PARAM names, read by fetch, or else HASH_KEY, which
// config.Load has checked. A parameter's value is checked here, to the same
// rule; errors name the parameter, never the key.
func HashKey(ctx context.Context, cfg config.Config, fetch func(ctx context.Context, name string) ([]byte, error)) ([]byte, error) {
	if cfg.HashKeyParam == "" {
		return []byte(cfg.HashKey), nil
	}
	key, err := fetch(ctx, cfg.HashKeyParam)
	if err == nil {
		err = keyhash.Check(key)
	}
	if err != nil {
		return nil, fmt.Errorf("HASH_KEY_PARAM %s: %w", cfg.HashKeyParam, err)
	}
	return key, nil
}
