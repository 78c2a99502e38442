package audit

import (
	"context"
	"fmt"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/publish/securityhub"
)

// maxSecurityHubProblems caps the per-finding lines printed about findings
// Security Hub did not take.
const maxSecurityHubProblems = 20

// publishToSecurityHub sends rep's findings to Security Hub in the
// configured region (AWS_REGION or the profile's), for the calling account,
// and says on stderr what was accepted, rejected and not sent.
func publishToSecurityHub(ctx context.Context, opts *Options, rep *finding.Report) error {
	cfg, err := awslive.LoadConfig(ctx, opts.Profile, opts.EndpointURL, "")
	if err != nil {
		return fmt.Errorf("--securityhub: %w", err)
	}
	pub, err := securityhub.NewFromConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("--securityhub: %w", err)
	}
	res, err := pub.Publish(ctx, rep)
	if res != nil {
		fmt.Fprintf(opts.IO.ErrOut, "%s in %s for account %s\n", res.Summary(), pub.Region, pub.Account)
		n := 0
		for _, list := range [][]securityhub.Problem{res.Rejected, res.Skipped} {
			for _, p := range list {
				if n == maxSecurityHubProblems {
					fmt.Fprintf(opts.IO.ErrOut, "  ... and %d more\n", len(res.Rejected)+len(res.Skipped)-n)
					break
				}
				fmt.Fprintf(opts.IO.ErrOut, "  %s %s: %s %s\n", p.Code, p.Resource, p.ID, p.Message)
				n++
			}
		}
	}
	if err != nil {
		return fmt.Errorf("--securityhub: %w", err)
	}
	return nil
}
