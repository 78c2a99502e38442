package iac

import (
	"context"
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// ResolverFunc resolves one key reference; the error is only for a
// cancelled run.
type ResolverFunc func(ctx context.Context, ref keyref.Ref) (state.Key, error)

// liveResolver asks KMS through the standard credential chain.
func liveResolver(ctx context.Context, opts *Options) (ResolverFunc, error) {
	cfg, err := awslive.LoadConfig(ctx, opts.Profile, opts.EndpointURL, "")
	if err != nil {
		return nil, err
	}
	r, err := awslive.NewKeyResolver(ctx, awslive.NewClients(cfg, nil))
	if err != nil {
		return nil, fmt.Errorf("--online: %w", err)
	}
	return r.Resolve, nil
}

// resolveOnline replaces the declared facts of every literal key reference
// (a key ARN, a key id, an alias other than alias/aws/*) with what KMS says.
// Keys the configuration declares (aws_kms_key.x.arn) are not looked up:
// they do not exist before apply. alias/aws/* is never looked up: its name
// proves the key AWS-managed, and DescribeKey on it could create the key.
func resolveOnline(ctx context.Context, opts *Options, st *state.State) error {
	resolve := opts.Resolver
	if resolve == nil {
		var err error
		if resolve, err = liveResolver(ctx, opts); err != nil {
			return err
		}
	}
	cache := map[string]state.Key{}
	do := func(ref, region string, key *state.Key) error {
		if key.Evidence != state.EvidenceDeclared || !isLiteralRef(ref) {
			return nil
		}
		r := keyref.Parse(ref, "", region)
		if r.Malformed != "" || r.AWSManagedName || r.Region == "" {
			return nil
		}
		id := ref + "\x00" + region
		k, ok := cache[id]
		if !ok {
			var err error
			if k, err = resolve(ctx, r); err != nil {
				return err
			}
			cache[id] = k
		}
		*key = k
		return nil
	}
	for i := range st.Instances {
		in := &st.Instances[i]
		if err := do(in.KeyRef, in.Region, &in.Key); err != nil {
			return err
		}
	}
	for i := range st.ReplicationConfigs {
		c := &st.ReplicationConfigs[i]
		if err := do(c.KeyRef, c.Region, &c.Key); err != nil {
			return err
		}
	}
	for i := range st.Endpoints {
		e := &st.Endpoints[i]
		if err := do(e.KeyRef, e.Region, &e.Key); err != nil {
			return err
		}
		if err := do(e.TargetKeyRef, e.Region, &e.TargetKey); err != nil {
			return err
		}
	}
	return nil
}

// isLiteralRef reports whether ref is a key reference written as a value
// rather than the text of an expression.
func isLiteralRef(ref string) bool {
	return strings.HasPrefix(ref, "arn:") || strings.HasPrefix(ref, "alias/") || (ref != "" && !strings.ContainsAny(ref, ".()[]{} \"$"))
}
