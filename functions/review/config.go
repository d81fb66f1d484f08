package main

import (
	"errors"
	"fmt"
	"net/url"
)

// config is what the function reads from its environment, once.
type config struct {
	queueTable string
	// endpoint is a local DynamoDB-compatible server (sam local), "" in AWS.
	endpoint string
}

// loadConfig reads the configuration, naming every missing or bad
// variable at once.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{queueTable: getenv("QUEUE_TABLE"), endpoint: getenv("DYNAMODB_ENDPOINT")}
	var errs []error
	if c.queueTable == "" {
		errs = append(errs, errors.New("QUEUE_TABLE is not set"))
	}
	if c.endpoint != "" {
		if u, err := url.Parse(c.endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("DYNAMODB_ENDPOINT %q: want http(s)://host:port", c.endpoint))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}
