// Command cmkguard audits and fixes the KMS keys behind AWS DMS resources.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, factory.New(cli.Version), os.Args[1:])
	stop()
	os.Exit(code)
}
