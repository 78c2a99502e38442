package securityhub

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// GetCallerIdentityAPIClient is the STS call that names the calling account.
type GetCallerIdentityAPIClient interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// NewFromConfig returns a Publisher for Security Hub in cfg's region, for
// the account cfg's credentials belong to (asked of STS, since Security Hub
// takes a custom integration's findings only for the calling account).
func NewFromConfig(ctx context.Context, cfg aws.Config) (*Publisher, error) {
	return newPublisher(ctx, cfg, sts.NewFromConfig(cfg))
}

func newPublisher(ctx context.Context, cfg aws.Config, identity GetCallerIdentityAPIClient) (*Publisher, error) {
	if cfg.Region == "" {
		return nil, errors.New("security hub: no region (set --region, AWS_REGION or the profile's region)")
	}
	who, err := identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("security hub: identify the calling account: %w", err)
	}
	account := aws.ToString(who.Account)
	if account == "" {
		return nil, errors.New("security hub: STS named no calling account")
	}
	return &Publisher{Client: shsdk.NewFromConfig(cfg), Account: account, Region: cfg.Region}, nil
}
