package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/audit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/estatefile"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/state"
)

// Options are the demo command's dependencies and flags.
type Options struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Version string
	// EstateYAML is the estate to serve; default the embedded demo estate.
	EstateYAML []byte

	Formats []string
	Stats   bool
}

// NewCmdDemo returns the demo command. runF replaces demoRun in tests.
func NewCmdDemo(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Version: f.Version, EstateYAML: cmkguard.DemoEstateYAML}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Audit a built-in demo AWS estate on a local emulator (no AWS account needed)",
		Long: `Start cmkguard's local AWS emulator on 127.0.0.1 with a demo estate (a payments
company running DMS in several regions, with every verdict the audit can give),
run 'cmkguard audit' against it with dummy credentials, and print the report.
Nothing leaves this machine.

The demo exits 0 even though its estate has findings on purpose; it exits 1
only if the demo itself failed.`,
		Example: `  go run ./cmd/cmkguard demo
  cmkguard demo --format json | jq '.summary'
  cmkguard demo --stats`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Formats, "format", []string{"table"}, "Output FORMAT or FORMAT=FILE, as for 'cmkguard audit'")
	cmd.Flags().BoolVar(&opts.Stats, "stats", false, "Print the API calls the audit made to stderr")
	return cmd
}

// Emulator is a running in-process emulator.
type Emulator struct {
	Server   *awsemu.Server
	Endpoint string
	http     *http.Server
	done     chan error
	// client is the transport of Config's clients, closed with the emulator.
	client *http.Transport
}

// StartEmulator serves estateYAML on a free loopback port.
func StartEmulator(estateYAML []byte) (*Emulator, error) {
	est, err := estatefile.Parse(estateYAML)
	if err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	srv := awsemu.New(awsemu.Options{DefaultAccount: est.DefaultAccount})
	if err := srv.LoadEstate(est); err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	e := &Emulator{
		Server:   srv,
		Endpoint: "http://" + ln.Addr().String(),
		http:     &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second},
		done:     make(chan error, 1),
		client:   http.DefaultTransport.(*http.Transport).Clone(),
	}
	e.client.MaxIdleConnsPerHost = 256
	go func() { e.done <- e.http.Serve(ln) }()
	return e, nil
}

// Close stops the emulator and waits for it. Connections the client
// dialled but never used would hold a graceful shutdown for seconds, so the
// client's idle connections are closed first and, past a short grace
// period, the server closes whatever is left.
func (e *Emulator) Close() error {
	e.client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var err error
	if shutdownErr := e.http.Shutdown(ctx); errors.Is(shutdownErr, context.DeadlineExceeded) {
		err = e.http.Close()
	} else {
		err = shutdownErr
	}
	if serveErr := <-e.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}

// Config returns an SDK configuration for the emulator that ignores the
// user's own AWS environment (profile, region, endpoint) and uses dummy
// credentials, so that the demo can never reach a real account.
func (e *Emulator) Config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDCMKGUARDDEMO", "demo-secret-not-real", ""),
		BaseEndpoint: aws.String(e.Endpoint),
		Retryer:      awslive.NewRetryer,
		HTTPClient:   &http.Client{Transport: e.client},
	}
}

func demoRun(ctx context.Context, opts *Options) (err error) {
	emu, err := StartEmulator(opts.EstateYAML)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := emu.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop the emulator: %w", cerr)
		}
	}()
	ios := opts.IO
	fmt.Fprintf(ios.Info(), "cmkguard demo: auditing a demo AWS estate on a local emulator at %s (dummy credentials; nothing leaves this machine)\n\n", emu.Endpoint)
	auditOpts := &audit.Options{
		IO: ios, Now: opts.Now, Version: opts.Version,
		EndpointURL: emu.Endpoint, Formats: opts.Formats, FailOn: audit.FailOnNone, Stats: opts.Stats,
		Scan: func(ctx context.Context, o *audit.Options) (state.State, *awslive.Stats, error) {
			return awslive.ScanAccount(ctx, emu.Config(), awslive.Options{Regions: o.Regions})
		},
	}
	if err := audit.Run(ctx, auditOpts); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprint(ios.Info(), nextSteps)
	return nil
}

const nextSteps = `
That was a demo estate: its findings are there on purpose, so the demo exits 0.

Run the same audit on your own account (read-only; needs the permissions of
'cmkguard permissions audit'):

  cmkguard audit                                  # your default AWS profile, every enabled region
  cmkguard audit --profile prod --region eu-west-1
  cmkguard audit --format json > audit.json       # for tools; exit code 3 when findings need action

Then plan the fix: cmkguard remediate --help
`
