package awslive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/cmkguard/cmkguard/keypolicy/analyse"
	"github.com/cmkguard/cmkguard/state"
)

// GetKeyPolicyAPI reads a KMS key's policy.
type GetKeyPolicyAPI interface {
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// GetKeyRotationStatusAPI reads whether KMS rotates a key's material.
type GetKeyRotationStatusAPI interface {
	GetKeyRotationStatus(ctx context.Context, in *kms.GetKeyRotationStatusInput, optFns ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error)
}

// addSoundness reads, for a customer-managed key, its policy and its
// rotation status (the two calls at once) and records them in k. It is
// called once per distinct key ARN, from the key's resolution, so a key
// used by many resources costs one GetKeyPolicy and one
// GetKeyRotationStatus. The error is only for a cancelled scan.
func (s *scanner) addSoundness(ctx context.Context, ref keyRef, k *state.Key) error {
	if k.Manager != state.KeyManagerCustomer || ref.ARN == "" {
		return nil
	}
	if !(&state.State{Scope: s.opts.Scope}).InScope(state.KindKeys) {
		return nil
	}
	// Both calls read the key's metadata as it is now; the results are
	// written into k once both are done.
	meta := *k
	var wg sync.WaitGroup
	var policy *state.KeyPolicy
	var rotation *state.KeyRotation
	var policyErr, rotationErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		policy, policyErr = s.keyPolicy(ctx, ref)
	}()
	go func() {
		defer wg.Done()
		rotation, rotationErr = s.keyRotation(ctx, ref, meta)
	}()
	wg.Wait()
	k.Policy, k.Rotation = policy, rotation
	return errors.Join(policyErr, rotationErr)
}

// keyPolicy reads and judges ref's default key policy.
func (s *scanner) keyPolicy(ctx context.Context, ref keyRef) (*state.KeyPolicy, error) {
	if ref.Account != s.account {
		// kms:GetKeyPolicy cannot be called on another account's key.
		return &state.KeyPolicy{UnknownReason: fmt.Sprintf(
			"the key belongs to account %s, and kms:GetKeyPolicy cannot read another account's key policy: audit that account to judge it", ref.Account)}, nil
	}
	if s.c.KeyPolicy == nil {
		return &state.KeyPolicy{UnknownReason: "the key policy was not read (no kms:GetKeyPolicy client)"}, nil
	}
	out, err := s.c.KeyPolicy(ref.Region).GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(ref.ARN), PolicyName: aws.String("default")})
	if err != nil {
		if isCanceled(ctx, err) {
			return nil, err
		}
		p := classify("kms:GetKeyPolicy", err)
		return &state.KeyPolicy{UnknownReason: p.reason, MissingPermission: p.permission}, nil
	}
	return judgePolicy(aws.ToString(out.Policy), ref, s.account), nil
}

// judgePolicy runs the key policy analyser on policy, for DMS resources of
// dmsAccount. A policy the analyser cannot judge at all leaves both
// verdicts UNKNOWN, with the reason.
func judgePolicy(policy string, ref keyRef, dmsAccount string) *state.KeyPolicy {
	kp := &state.KeyPolicy{Read: true}
	in := analyse.Input{Policy: policy, KeyAccount: ref.Account, Region: ref.Region, KeyARN: ref.ARN}
	if isAccountID(dmsAccount) {
		in.DMSAccounts = []string{dmsAccount}
	}
	a, err := analyse.Analyse(in)
	if err != nil {
		why := "kms:GetKeyPolicy answered with a policy that cannot be judged: " + err.Error()
		kp.World = state.PolicyCheck{Verdict: string(analyse.Unknown), Reason: why}
		kp.DMS = []state.PolicyCheck{{Verdict: string(analyse.Unknown), Reason: why, Account: dmsAccount}}
		return kp
	}
	kp.World = policyCheck(a.World)
	for _, r := range a.DMS {
		kp.DMS = append(kp.DMS, policyCheck(r))
	}
	return kp
}

func policyCheck(r analyse.Result) state.PolicyCheck {
	return state.PolicyCheck{
		Verdict: string(r.Verdict), Reason: r.Reason, Statements: r.Statements, Actions: r.Actions,
		Account: r.Account, Basis: string(r.Basis), ExplicitDeny: r.ExplicitDeny,
	}
}

// rotationApplies reports whether KMS can rotate k's material, as far as
// k's metadata shows: only symmetric encryption keys with AWS_KMS origin.
// ok is false when the metadata does not say (DescribeKey was not read).
func rotationApplies(k state.Key) (applies, ok bool) {
	if k.Origin == "" || k.Spec == "" {
		return false, false
	}
	return k.Origin == string(kmstypes.OriginTypeAwsKms) && k.Spec == string(kmstypes.KeySpecSymmetricDefault), true
}

// keyRotation reads ref's rotation status; for a key whose metadata shows
// that rotation does not apply, it makes no call.
func (s *scanner) keyRotation(ctx context.Context, ref keyRef, k state.Key) (*state.KeyRotation, error) {
	if applies, ok := rotationApplies(k); ok && !applies {
		return &state.KeyRotation{Read: true}, nil
	}
	if s.c.KeyRotation == nil {
		return &state.KeyRotation{UnknownReason: "the rotation status was not read (no kms:GetKeyRotationStatus client)"}, nil
	}
	out, err := s.c.KeyRotation(ref.Region).GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(ref.ARN)})
	if err != nil {
		if isCanceled(ctx, err) {
			return nil, err
		}
		var unsupported *kmstypes.UnsupportedOperationException
		if errors.As(err, &unsupported) {
			// KMS refuses the call for keys it cannot rotate.
			return &state.KeyRotation{Read: true}, nil
		}
		p := classify("kms:GetKeyRotationStatus", err)
		return &state.KeyRotation{Applies: true, UnknownReason: p.reason, MissingPermission: p.permission}, nil
	}
	r := &state.KeyRotation{Read: true, Applies: true, Enabled: out.KeyRotationEnabled, PeriodDays: aws.ToInt32(out.RotationPeriodInDays)}
	if _, ok := rotationApplies(k); !ok {
		// The key's metadata is unknown: KMS answers false for keys it
		// cannot rotate, so a false here may be either.
		r.Applies = out.KeyRotationEnabled
		if !out.KeyRotationEnabled {
			r.Read = false
			r.UnknownReason = "kms:GetKeyRotationStatus reports no automatic rotation, but the key's origin and spec are unknown (kms:DescribeKey was not possible), so whether rotation applies to it is unknown"
			r.MissingPermission = k.MissingPermission
		}
	}
	if out.NextRotationDate != nil {
		r.NextRotation = out.NextRotationDate.UTC().Format(time.RFC3339)
	}
	return r, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
