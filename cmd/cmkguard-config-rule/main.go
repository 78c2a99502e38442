// Command cmkguard-config-rule is cmkguard as an AWS Lambda function
// (provided.al2023, built as "bootstrap" with -tags lambda.norpc): the
// handler of an AWS Config custom rule and of EventBridge events for
// CloudTrail's DMS and KMS API calls. See docs/continuous.md.
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o bootstrap ./cmd/cmkguard-config-rule
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/continuous"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := setup(context.Background(), logger)
	if err != nil {
		logger.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// setup loads the standard AWS configuration (the function's role, its
// region) and the deployment's settings from the environment.
func setup(ctx context.Context, logger *slog.Logger) (*continuous.Handler, error) {
	cfg, err := awslive.LoadConfig(ctx, "", "", "")
	if err != nil {
		return nil, err
	}
	settings, err := continuous.SettingsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	h, err := continuous.New(cfg, settings, logger)
	if err != nil {
		return nil, err
	}
	h.Version = version
	return h, nil
}
