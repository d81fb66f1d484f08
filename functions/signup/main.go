// Command signup is the Lambda function that scores Mailbox Signup events,
// delivered in batches from SQS (or one at a time as EventBridge events), and
// writes the accounts to suspend or review into the DynamoDB queue. It only
// wires: configuration, clients, the pipeline, lambda.Start.
package main

import (
	"context"
	"log/slog"
	"os"
	_ "time/tzdata" // provided.al2023 has no zone database; time-zone signals need one

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mailtrust/abusescan/internal/coldstart"
	"github.com/mailtrust/abusescan/internal/invoke"
)

func main() {
	sc, log, err := coldstart.Start(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		// Failing the cold start loudly is the only safe answer to a bad
		// configuration: Lambda reports it and retries nothing silently.
		log.Error("start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(invoke.Raw(newHandler(sc.Pipeline, log, os.Stdout)))
}
