package terraform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// unresolved marks a value that cannot be known before apply (or at all
// without something cmkguard does not read), with why, for a person.
type unresolved struct{ why string }

// kmsResource marks a value that refers to a KMS key or alias managed in
// the configuration: its key is customer-managed (AWS-managed keys cannot
// be declared), and its declared state is known when the key's is.
type kmsResource struct {
	address string // module-qualified, without instance key
	typ     string
	state   string // Enabled, Disabled, PendingImport; "" unknown
	origin  string
	multi   bool
}

// kmsData marks a value read by a data.aws_kms_alias or data.aws_kms_key
// whose static argument (name or key_id) is known: that argument decides
// who manages the key.
type kmsData struct {
	address string
	ref     string // the alias name or key id given
}

// kmsTypes are the resource types whose keys are customer-managed.
var kmsTypes = map[string]bool{
	"aws_kms_key": true, "aws_kms_replica_key": true, "aws_kms_external_key": true,
	"aws_kms_replica_external_key": true, "aws_kms_alias": true,
}

func unknownBecause(format string, args ...any) cty.Value {
	return cty.DynamicVal.Mark(unresolved{why: fmt.Sprintf(format, args...)})
}

// reasons returns the distinct unresolved reasons among marks, sorted.
func reasons(marks cty.ValueMarks) []string {
	var out []string
	for m := range marks {
		if u, ok := m.(unresolved); ok && !slices.Contains(out, u.why) {
			out = append(out, u.why)
		}
	}
	slices.Sort(out)
	return out
}

// joinReasons says up to three reasons, and how many more there are.
func joinReasons(rs []string) string {
	if len(rs) > 3 {
		return strings.Join(rs[:3], "; ") + fmt.Sprintf("; and %d more", len(rs)-3)
	}
	return strings.Join(rs, "; ")
}

// marksOf returns every mark anywhere in v, without panicking on any value.
func marksOf(v cty.Value) (cty.Value, cty.ValueMarks) {
	return v.UnmarkDeep()
}
