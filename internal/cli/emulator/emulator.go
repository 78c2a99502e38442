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
	AdminAddr       string
	Estate          string
	Latency         time.Duration
	Jitter          time.Duration
	Throttle        []string
	ServerErrorRate float64
	LoseAnswer      []string
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
the built-in demo estate) and runs until interrupted (Ctrl-C or SIGTERM).

Its admin API listens on --admin-addr, a second address: GET
/_cmkguard/requests (the request log), POST /_cmkguard/reset (back to the
estate) and GET/POST /_cmkguard/faults (deny rules and faults at run time).`,
		Example: `  cmkguard emulator --estate demo
  cmkguard emulator --addr 127.0.0.1:4566 --estate estate.yaml --latency 50ms --jitter 10ms
  cmkguard emulator --estate demo --throttle 0.05 --throttle kms:DescribeKey=0.3 --seed 7
  cmkguard emulator --estate demo --lose-answer kms:CreateKey=0.5
  curl -s http://127.0.0.1:4567/_cmkguard/requests`,
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
	fl.StringVar(&opts.AdminAddr, "admin-addr", "127.0.0.1:4567", `address of the admin API (host:port; loopback unless --allow-remote; "" for none)`)
	fl.StringVar(&opts.Estate, "estate", "", `estate file to seed the emulator (YAML or JSON), or "demo"`)
	fl.DurationVar(&opts.Latency, "latency", 0, "latency added to every call, e.g. 50ms")
	fl.DurationVar(&opts.Jitter, "jitter", 0, "random extra latency, uniform in [0, jitter)")
	fl.StringSliceVar(&opts.Throttle, "throttle", nil, "throttling probability: P for every call, or ACTION=P (e.g. kms:DescribeKey=0.3); repeatable or comma-separated")
	fl.Float64Var(&opts.ServerErrorRate, "server-errors", 0, "probability of an HTTP 5xx reply")
	fl.StringSliceVar(&opts.LoseAnswer, "lose-answer", nil, "probability that an action succeeds but its answer is lost: P or ACTION=P; repeatable or comma-separated")
	fl.Uint64Var(&opts.Seed, "seed", 1, "seed for jitter, throttling and 5xx draws")
	fl.DurationVar(&opts.Delay, "delay", 0, "how long status changes take (creating → available, …)")
	fl.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow a non-loopback listen address")
	return cmd
}

// Run starts the emulator and serves until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	if err := checkAddr("--addr", opts.Addr, opts.AllowRemote); err != nil {
		return err
	}
	if opts.AdminAddr != "" {
		if err := checkAddr("--admin-addr", opts.AdminAddr, opts.AllowRemote); err != nil {
			return err
		}
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
	if faults.Latency > 0 || faults.Jitter > 0 || len(faults.Throttle) > 0 || faults.ServerErrorRate > 0 || len(faults.LoseAnswer) > 0 {
		srv.SetFaults(faults)
	}
	servers := []*served{{name: "API", addr: opts.Addr, handler: srv}}
	if opts.AdminAddr != "" {
		servers = append(servers, &served{name: "admin API", addr: opts.AdminAddr, handler: srv.AdminHandler()})
	}
	for _, s := range servers {
		if err := s.listen(); err != nil {
			closeAll(servers)
			return err
		}
	}
	url := servers[0].url()
	fmt.Fprintf(opts.IO.Out, "export AWS_ENDPOINT_URL=%s\n", url)
	fmt.Fprintf(opts.IO.Out, "export AWS_ACCESS_KEY_ID=%s\n", DummyAccessKeyID)
	fmt.Fprintf(opts.IO.Out, "export AWS_SECRET_ACCESS_KEY=%s\n", DummySecretAccessKey)
	fmt.Fprintf(opts.IO.Out, "export AWS_REGION=%s\n", srv.DefaultRegion())
	fmt.Fprintf(opts.IO.Out, "export AWS_DEFAULT_REGION=%s\n", srv.DefaultRegion())
	admin := "off"
	if len(servers) > 1 {
		admin = servers[1].url() + awsemu.AdminPrefix
		fmt.Fprintf(opts.IO.Out, "export CMKGUARD_EMULATOR_ADMIN_URL=%s\n", servers[1].url())
	}
	fmt.Fprintf(opts.IO.Info(), "cmkguard emulator: serving %s (estate: %s; admin API: %s); stop with Ctrl-C\n", url, estateName, admin)
	if opts.Ready != nil {
		opts.Ready(servers[0].ln.Addr().String(), srv)
	}
	serveErr := make(chan error, len(servers))
	for _, s := range servers {
		go func() { serveErr <- s.http.Serve(s.ln) }()
	}
	var failed error
	select {
	case err := <-serveErr:
		failed = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.http.Shutdown(shutdownCtx); err != nil && failed == nil {
			failed = fmt.Errorf("shut down the %s: %w", s.name, err)
		}
	}
	if failed != nil {
		return failed
	}
	for range servers {
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	fmt.Fprintln(opts.IO.Info(), "cmkguard emulator: stopped")
	return nil
}

// served is one listening HTTP server of the emulator command.
type served struct {
	name    string
	addr    string
	handler http.Handler
	ln      net.Listener
	http    *http.Server
}

func (s *served) listen() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("%s: listen on %s: %w", s.name, s.addr, err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	return nil
}

func (s *served) url() string { return "http://" + s.ln.Addr().String() }

func closeAll(servers []*served) {
	for _, s := range servers {
		if s.ln != nil {
			_ = s.ln.Close()
		}
	}
}

// checkAddr refuses addresses that are not loopback unless remote is allowed.
func checkAddr(flag, addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return exit.Usagef("%s %q: want host:port, e.g. 127.0.0.1:4566", flag, addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return exit.Usagef("%s %q: port %q is not a number from 0 to 65535", flag, addr, port)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return exit.Usagef("%s %q is not a loopback address; pass --allow-remote to listen on it (anyone who can reach it can use the emulator)", flag, addr)
	}
	return nil
}

func (opts *Options) faults() (awsemu.Faults, error) {
	f := awsemu.Faults{Latency: opts.Latency, Jitter: opts.Jitter, ServerErrorRate: opts.ServerErrorRate, Seed: opts.Seed}
	var err error
	if f.Throttle, err = actionProbabilities("--throttle", opts.Throttle); err != nil {
		return f, err
	}
	if f.LoseAnswer, err = actionProbabilities("--lose-answer", opts.LoseAnswer); err != nil {
		return f, err
	}
	if err := f.Validate(); err != nil {
		return f, exit.Usagef("%v", err)
	}
	return f, nil
}

// actionProbabilities parses repeated "P" or "ACTION=P" flag values.
func actionProbabilities(flag string, values []string) (map[string]float64, error) {
	var out map[string]float64
	for _, v := range values {
		action, p, found := strings.Cut(v, "=")
		if !found {
			action, p = "*", v
		}
		prob, err := strconv.ParseFloat(p, 64)
		if err != nil || action == "" {
			return nil, exit.Usagef("%s %q: want a probability (0.05) or ACTION=P (kms:DescribeKey=0.3)", flag, v)
		}
		if out == nil {
			out = map[string]float64{}
		}
		out[action] = prob
	}
	return out, nil
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
