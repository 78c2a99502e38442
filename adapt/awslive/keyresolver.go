package awslive

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// KeyResolver resolves key references found outside a scan (a literal key
// ARN or alias in infrastructure as code, `cmkguard iac --online`) with the
// scan's own rules: each distinct key ARN is described once by its full ARN,
// an alias is followed with kms:ListAliases (never DescribeKey, which for
// alias/aws/... could create the key), and a denied call becomes an unknown
// key with its reason.
type KeyResolver struct {
	s *scanner
}

// NewKeyResolver identifies the calling account (sts:GetCallerIdentity) and
// returns a resolver using c.
func NewKeyResolver(ctx context.Context, c Clients) (*KeyResolver, error) {
	id, err := c.Identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("identify the account (sts:GetCallerIdentity): %s", classify("sts:GetCallerIdentity", err).reason)
	}
	return &KeyResolver{s: newScanner(c, Options{KeyConcurrency: DefaultKeyConcurrency}, aws.ToString(id.Account))}, nil
}

// Account is the calling account, which a bare key id or alias without an
// ARN belongs to.
func (r *KeyResolver) Account() string { return r.s.account }

// Resolve learns who manages the key behind ref and its state. The error is
// only for a cancelled context; every other failure is recorded in the key.
func (r *KeyResolver) Resolve(ctx context.Context, ref keyref.Ref) (state.Key, error) {
	if ref.Account == "" {
		ref.Account = r.s.account
		if ref.KeyID != "" && ref.Region != "" {
			ref.ARN = keyref.KeyARN(ref.Partition, ref.Region, ref.Account, ref.KeyID)
		}
	}
	return r.s.resolveKey(ctx, ref)
}
