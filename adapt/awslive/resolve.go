package awslive

import (
	"context"
	"fmt"

	"github.com/cmkguard/cmkguard/state"
)

// ResolveKeys fills in the key facts of every resource of st from its key
// references, as Scan does for the resources it lists: the same
// DescribeKey-by-ARN, the same ListAliases fallback, each distinct key read
// once. account is the caller's account (the one whose aliases may be
// listed). It is for sources that carry the resources but not their key
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
	keys := newScanner(c, Options{KeyConcurrency: keyConcurrency, Scope: st.Scope}, account).newKeyResolver(ctx)
	keys.addState(st)
	resolved, err := keys.wait()
	if err != nil {
		return fmt.Errorf("resolve keys: %w", err)
	}
	assignKeys(st, resolved)
	return nil
}
