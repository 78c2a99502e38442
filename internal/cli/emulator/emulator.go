package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cmkguard "github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/estatefile"
	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// DemoEstate is the --estate value that loads the embedded demo estate.
const DemoEstate = "demo"

// Dummy credentials printed for the user to export. The emulator accepts any
// credentials; these only make SDKs sign their requests.
const (
	DummyAccessKeyID     = "AKIAEMULATOR00000000"
	DummySecretAccessKey = "emulator-dummy-secret-not-a-real-key"
)

// Options are the emulator command's dependencies and flags.
type Options struct {
	IO *iostreams.IOStreams

	Addr            string
	Estate          string
	Latency         time.Duration
	Jitter          time.Duration
	Throttle        []string
	ServerErrorRate float64
	Seed            uint64
	Delay           time.Duration
	AllowRemote     bool

	// Ready, when set, is called with the listening address once serving
	// (tests use it to find a port chosen with :0).
	Ready func(addr string, srv *awsemu.Server)
}

// NewCmdEmulator returns the emulator command. runF replaces Run in tests.
func NewCmdEmulator(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local AWS (DMS, KMS, EC2, STS, Organizations, Security Hub) for tests and demos",
		Long: `Serve cmkguard's local AWS emulator on one address. The AWS SDKs and the AWS
CLI talk to it when AWS_ENDPOINT_URL points at it; any credentials work
(the access key id chooses the account; see docs/emulator.md).

The emulator binds a loopback address only, unless --allow-remote is given.
It seeds its state from --estate (a YAML or JSON estate file, or "demo" for
the built-in demo estate) and runs until interrupted (Ctrl-C or SIGTERM).`,
		Example: `  cmkguard emulator --estate demo
  cmkguard emulator --addr 127.0.0.1:4566 --estate estate.yaml --latency 50ms --jitter 10ms
  cmkguard emulator --estate demo --throttle 0.05 --throttle kms:DescribeKey=0.3 --seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:4566", "address to listen on (host:port; loopback unless --allow-remote)")
	fl.StringVar(&opts.Estate, "estate", "", `estate file to seed the emulator (YAML or JSON), or "demo"`)
	fl.DurationVar(&opts.Latency, "latency", 0, "latency added to every call, e.g. 50ms")
	fl.DurationVar(&opts.Jitter, "jitter", 0, "random extra latency, uniform in [0, jitter)")
	fl.StringSliceVar(&opts.Throttle, "throttle", nil, "throttling probability: P for every call, or ACTION=P (e.g. kms:DescribeKey=0.3); repeatable or comma-separated")
	fl.Float64Var(&opts.ServerErrorRate, "server-errors", 0, "probability of an HTTP 5xx reply")
	fl.Uint64Var(&opts.Seed, "seed", 1, "seed for jitter, throttling and 5xx draws")
	fl.DurationVar(&opts.Delay, "delay", 0, "how long status changes take (creating → available, …)")
	fl.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow a non-loopback listen address")
	return cmd
}

// Run starts the emulator and serves until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	if err := checkAddr(opts.Addr, opts.AllowRemote); err != nil {
		return err
	}
	faults, err := opts.faults()
	if err != nil {
		return err
	}
	srv := awsemu.New(awsemu.Options{Delay: opts.Delay})
	estateName, err := loadEstate(srv, opts.Estate)
	if err != nil {
		return err
	}
	if faults.Latency > 0 || faults.Jitter > 0 || len(faults.Throttle) > 0 || faults.ServerErrorRate > 0 {
		srv.SetFaults(faults)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(opts.IO.Out, "export AWS_ENDPOINT_URL=%s\n", url)
	fmt.Fprintf(opts.IO.Out, "export AWS_ACCESS_KEY_ID=%s\n", DummyAccessKeyID)
	fmt.Fprintf(opts.IO.Out, "export AWS_SECRET_ACCESS_KEY=%s\n", DummySecretAccessKey)
	fmt.Fprintf(opts.IO.Out, "export AWS_REGION=%s\n", srv.DefaultRegion())
	fmt.Fprintf(opts.IO.ErrOut, "cmkguard emulator: serving %s (estate: %s); stop with Ctrl-C\n", url, estateName)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String(), srv)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(opts.IO.ErrOut, "cmkguard emulator: stopped")
	return nil
}

// checkAddr refuses addresses that are not loopback unless remote is allowed.
func checkAddr(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return exit.Usagef("--addr %q: want host:port, e.g. 127.0.0.1:4566", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return exit.Usagef("--addr %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return exit.Usagef("--addr %q is not a loopback address; pass --allow-remote to listen on it (anyone who can reach it can use the emulator)", addr)
	}
	return nil
}

func (opts *Options) faults() (awsemu.Faults, error) {
	f := awsemu.Faults{Latency: opts.Latency, Jitter: opts.Jitter, ServerErrorRate: opts.ServerErrorRate, Seed: opts.Seed}
	for _, t := range opts.Throttle {
		action, p, found := strings.Cut(t, "=")
		if !found {
			action, p = "*", t
		}
		prob, err := strconv.ParseFloat(p, 64)
		if err != nil || action == "" {
			return f, exit.Usagef("--throttle %q: want a probability (0.05) or ACTION=P (kms:DescribeKey=0.3)", t)
		}
		if f.Throttle == nil {
			f.Throttle = map[string]float64{}
		}
		f.Throttle[action] = prob
	}
	if err := f.Validate(); err != nil {
		return f, exit.Usagef("%v", err)
	}
	return f, nil
}

func loadEstate(srv *awsemu.Server, estate string) (string, error) {
	var e *awsemu.Estate
	var err error
	switch estate {
	case "":
		return "empty", nil
	case DemoEstate:
		e, err = estatefile.Parse(cmkguard.DemoEstateYAML)
	default:
		e, err = estatefile.Load(estate)
	}
	if err != nil {
		return "", err
	}
	if err := srv.LoadEstate(e); err != nil {
		return "", fmt.Errorf("%s: %w", estate, err)
	}
	return estate, nil
}
