package iac

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/adapt/terraform"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// targetRule is the rule about an S3 or Redshift target's data, which an
// endpoint's encryption settings decide rather than its own key.
const targetRule = "CMKG-DMS-006"

// annotate puts, in front of each finding's reason, what the deciding
// argument says ("kms_key_arn is not set: DMS uses aws/dms"), and points the
// finding's lines at that argument.
func annotate(fs []finding.Finding, notes map[string]terraform.Note) []finding.Finding {
	for i := range fs {
		f := &fs[i]
		field := terraform.FieldKey
		if f.RuleID == targetRule {
			field = terraform.FieldTarget
		}
		iacRemediation(f)
		n, ok := notes[terraform.NoteKey(f.Source.File, f.Source.Address, field)]
		if !ok {
			continue
		}
		if n.Text != "" {
			f.Reason = n.Text + "; " + f.Reason
		}
		if n.StartLine > 0 {
			f.Source.StartLine, f.Source.EndLine = n.StartLine, n.EndLine
		}
	}
	return fs
}

// statusRank orders verdicts from best to worst.
func statusRank(s finding.Status) int {
	switch s {
	case finding.StatusPass:
		return 1
	case finding.StatusUnknown:
		return 2
	case finding.StatusFail:
		return 3
	}
	return 0
}

// worstPerResource keeps one finding per rule, file and address: the worst
// of the evaluations a source yields for one resource (CloudFormation
// conditions, a module under several roots), naming its variant.
func worstPerResource(fs []finding.Finding) []finding.Finding {
	type key struct{ rule, file, address string }
	index := map[key]int{}
	count := map[key]int{}
	var out []finding.Finding
	for _, f := range fs {
		if f.Source.File == "" || f.Source.Address == "" {
			out = append(out, f)
			continue
		}
		k := key{f.RuleID, f.Source.File, f.Source.Address}
		count[k]++
		i, seen := index[k]
		if !seen {
			index[k] = len(out)
			out = append(out, f)
			continue
		}
		if statusRank(f.Status) > statusRank(out[i].Status) {
			out[i] = f
		}
	}
	for k, i := range index {
		if n := count[k]; n > 1 && out[i].Source.Variant != "" {
			out[i].Reason += fmt.Sprintf(" (the worst of %d evaluations: %s)", n, out[i].Source.Variant)
		}
	}
	return out
}

// sortFindings orders findings by file, address and rule.
func sortFindings(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Source.File, b.Source.File), cmp.Compare(a.Source.Address, b.Source.Address),
			cmp.Compare(a.RuleID, b.RuleID))
	})
}

// iacRemediation replaces the audit's remediation where it speaks of a live
// account: before apply, the fix is in the code.
func iacRemediation(f *finding.Finding) {
	switch {
	case f.Status == finding.StatusUnknown && f.Evidence == state.EvidenceDeclared:
		f.Remediation = "Run with --online to read the key's state with kms:DescribeKey, or declare the key (aws_kms_key, AWS::KMS::Key) in the configuration so its state is known."
	case f.Status == finding.StatusUnknown:
		f.Remediation = "Give the value the reason names (--var, --var-file, TF_VAR_*, --cf-param, --cf-params), or refer to a key declared in the configuration; until then treat the resource as non-compliant."
	case f.Status == finding.StatusFail && (f.RuleID == "CMKG-DMS-002" || f.RuleID == "CMKG-DMS-004") && !strings.HasPrefix(f.KeyARN, "arn:"):
		f.Remediation = "Make the key usable in the configuration before applying: is_enabled = true on an aws_kms_key (enabled = true on a replica or external key, with its key material imported), Enabled: true on an AWS::KMS::Key."
	}
}
