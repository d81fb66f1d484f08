// Command review is the Lambda function that serves the review page
// (internal/review) behind a function URL with IAM authentication: the
// caller's IAM identity is who decides. It only wires: configuration, the
// DynamoDB queue, the page, lambda.Start.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/review"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		log.Error("start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	client, err := dynamo.NewClient(context.Background(), cfg.endpoint)
	if err != nil {
		log.Error("start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	st := dynamo.New(client, dynamo.Tables{Queue: cfg.queueTable})
	// The CSRF key lives as long as this instance: a form shown by another
	// instance is refused, and the page asks for a reload. Nothing is
	// written then, and nothing secret needs storing.
	page, err := review.New(st, review.Options{Caller: caller, Key: review.NewKey(), Log: log})
	if err != nil {
		log.Error("start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(newHandler(page, log))
}
