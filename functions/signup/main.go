// Command signup is the Lambda function that scores Mailbox Signup events,
// delivered in batches from SQS (or one at a time as EventBridge events), and
// writes the accounts to suspend or review into the DynamoDB queue. It only
// wires: configuration, clients, the pipeline, lambda.Start.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // provided.al2023 has no zone database; time-zone signals need one

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/mailtrust/abusescan/internal/awsparam"
	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/redact"
	"github.com/mailtrust/abusescan/internal/setup"
)

func main() {
	h, log, err := build(context.Background())
	if err != nil {
		// Failing the cold start loudly is the only safe answer to a bad
		// configuration: Lambda reports it and retries nothing silently.
		log.Error("start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h)
}

// build reads the configuration and assembles the handler; the logger it
// returns is usable even when it fails. Until it succeeds that logger does
// not redact: no event has been read, and an operator needs the bad values
// of the configuration verbatim (the key is never in an error).
func build(ctx context.Context) (func(context.Context, json.RawMessage) (any, error), *slog.Logger, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := assemble(ctx, &log)
	return h, log, err
}

func assemble(ctx context.Context, logp **slog.Logger) (func(context.Context, json.RawMessage) (any, error), error) {
	cfg, err := config.Load(os.Getenv)
	if err == nil {
		err = cfg.ForFunction()
	}
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	log := redact.NewLogger(os.Stdout, cfg.LogLevel)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	var rulesSrc []byte
	if cfg.RulesSource != "" {
		if rulesSrc, err = awsparam.Fetch(ctx, awsCfg, cfg.RulesSource); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	key, err := hashKey(ctx, cfg, func(ctx context.Context, name string) ([]byte, error) {
		return awsparam.Fetch(ctx, awsCfg, "ssm:"+name)
	})
	if err != nil {
		return nil, err
	}
	client, err := dynamo.NewClient(ctx, cfg.DynamoEndpoint)
	if err != nil {
		return nil, err
	}
	store := dynamo.New(client, dynamo.Tables{State: cfg.StateTable, Queue: cfg.QueueTable})
	sc, err := setup.Build(cfg, store, rulesSrc, key, log, setup.Clock{Now: time.Now})
	if err != nil {
		return nil, err
	}
	*logp = log
	for _, off := range sc.Off {
		log.Warn("signals off", slog.String("why", off))
	}
	log.Info("ready", slog.String("rulesVersion", sc.Rules.Version()), slog.Bool("shadow", cfg.Policy.Shadow),
		slog.Int("reviewThreshold", cfg.Policy.Review), slog.Int("suspendThreshold", cfg.Policy.Suspend))
	return newHandler(sc.Pipeline, log, os.Stdout), nil
}

// hashKey returns the key for hashing personal values: the value of the SSM
// parameter HASH_KEY_PARAM names, read by fetch, or else HASH_KEY, which
// config.Load has checked. A parameter's value is checked here, to the same
// rule; errors name the parameter, never the key.
func hashKey(ctx context.Context, cfg config.Config, fetch func(ctx context.Context, name string) ([]byte, error)) ([]byte, error) {
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
