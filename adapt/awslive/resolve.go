package awslive

import (
	"context"
	"fmt"

	"github.com/cmkguard/cmkguard/state"
)

// ResolveKeys fills in the Key (and an endpoint's TargetKey) of every
// resource of st from its KeyRef, as Scan does for the resources it lists:
// the same DescribeKey-by-ARN, the same ListAliases fallback, each distinct
// key read once. account is the caller's account (the one whose aliases may
// be listed). It is for sources that carry the resources but not their key
// facts (an AWS Config configuration item, a CloudTrail event).
//
// It returns an error only when ctx ends; a key that cannot be read is
// recorded in the state with its reason, for the rules to turn into
// UNKNOWN.
func ResolveKeys(ctx context.Context, c Clients, account string, st *state.State, keyConcurrency int) error {
	if keyConcurrency <= 0 {
		keyConcurrency = DefaultKeyConcurrency
	}
	// st.Scope decides, as Options.Scope does for a scan, whether each
	// customer key's policy and rotation are read (state.KindKeys).
	s := &scanner{c: c, opts: Options{KeyConcurrency: keyConcurrency, Scope: st.Scope}, account: account,
		keys: map[string]*keyEntry{}, aliases: map[string]*aliasEntry{}}
	keys := s.newKeyResolver(ctx)
	for _, inst := range st.Instances {
		if inst.KeyRef != "" {
			keys.add(inst.KeyRef, parseOwnKeyRef(inst.KeyRef, inst.Account, inst.Region))
		}
	}
	for _, rc := range st.ReplicationConfigs {
		if rc.KeyRef != "" {
			keys.add(rc.KeyRef, parseOwnKeyRef(rc.KeyRef, rc.Account, rc.Region))
		}
	}
	for _, e := range st.Endpoints {
		if e.KeyRef != "" {
			keys.add(e.KeyRef, parseOwnKeyRef(e.KeyRef, e.Account, e.Region))
		}
		if e.TargetKeyRef != "" {
			keys.add(targetKey(e.TargetKeyRef), parseKeyRef(e.TargetKeyRef, e.Account, e.Region))
		}
	}
	resolved, err := keys.wait()
	if err != nil {
		return fmt.Errorf("resolve keys: %w", err)
	}
	for i := range st.Instances {
		st.Instances[i].Key = keyFor(st.Instances[i].KeyRef, resolved, "the instance reports no KMS key")
	}
	for i := range st.ReplicationConfigs {
		st.ReplicationConfigs[i].Key = keyFor(st.ReplicationConfigs[i].KeyRef, resolved, "the replication config names no KMS key")
	}
	for i := range st.Endpoints {
		e := &st.Endpoints[i]
		e.Key = keyFor(e.KeyRef, resolved, "the endpoint names no KMS key")
		if e.TargetKeyRef != "" {
			e.TargetKey = resolved[targetKey(e.TargetKeyRef)]
		}
	}
	return nil
}
