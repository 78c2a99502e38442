package remediate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"

	"github.com/cmkguard/cmkguard/internal/printable"
)

// WriteText renders a plan for a person to review. Control characters in
// the plan's values (read from AWS, or from an edited plan) are escaped
// (printable.Text), so that none reaches the terminal.
func WriteText(w io.Writer, p *Plan) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Remediation plan %s\n", p.ID)
	fmt.Fprintf(b, "  account:  %s\n", p.Account)
	fmt.Fprintf(b, "  regions:  %s\n", strings.Join(p.Regions, ", "))
	fmt.Fprintf(b, "  source:   %s\n", describeSource(p.Source))
	fmt.Fprintf(b, "  created:  %s by %s\n", p.CreatedAt, p.Tool)
	fmt.Fprintf(b, "  options:  delete old instances: %s; keep identifiers: %s\n", yesNo(p.Options.DeleteOld), yesNo(p.Options.KeepIdentifier))
	for _, n := range p.Notes {
		fmt.Fprintf(b, "  note:     %s\n", n)
	}
	if len(p.Replacements) == 0 {
		fmt.Fprintln(b, "\nNothing to remediate: no replication instance fails "+RuleID+".")
		_, err := io.WriteString(w, printable.Text(b.String()))
		return err
	}
	for _, region := range p.Regions {
		k, _ := p.KeyFor(region)
		fmt.Fprintf(b, "\n%s\n", region)
		if k.Mode == KeyCreate {
			fmt.Fprintf(b, "  key: new customer-managed key, alias %s, key policy statements: %s\n", k.Alias, policySids(k.Policy))
		} else {
			fmt.Fprintf(b, "  key: existing customer-managed key %s\n", k.ARN)
		}
		for _, r := range p.Replacements {
			if r.Region != region {
				continue
			}
			writeReplacement(b, r)
		}
		for _, c := range p.Configs {
			if c.Region == region {
				writeConfig(b, c, p.Options)
			}
		}
	}
	fmt.Fprintf(b, "\nSteps (%d), each journaled and safe to resume:\n", len(p.Steps))
	for i, s := range p.Steps {
		fmt.Fprintf(b, "  %3d. %-60s %s\n", i+1, s.ID, s.Description)
	}
	if !p.Options.DeleteOld {
		fmt.Fprintln(b, "\nThe old instances are kept (no --delete-old): delete them yourself once satisfied.")
	}
	_, err := io.WriteString(w, printable.Text(b.String()))
	return err
}

func writeReplacement(b *strings.Builder, r Replacement) {
	o, n := r.Old.Settings, r.New
	fmt.Fprintf(b, "  replace %s (%s)\n", r.Old.ID, r.Old.ARN)
	fmt.Fprintf(b, "    now encrypted with %s\n", r.Old.KeyARN)
	fmt.Fprintf(b, "    new instance %s", r.NewID)
	if r.FinalID != r.NewID {
		fmt.Fprintf(b, ", renamed %s after the old one is deleted", r.FinalID)
	}
	fmt.Fprintln(b)
	fmt.Fprintf(b, "      class %s, storage %d GiB, engine %s", n.Class, n.AllocatedStorage, n.EngineVersion)
	if n.EngineVersion != o.EngineVersion {
		fmt.Fprintf(b, " (was %s)", o.EngineVersion)
	}
	fmt.Fprintln(b)
	az := orDash(n.AvailabilityZone)
	if n.MultiAZ {
		az = "chosen by DMS (Multi-AZ)"
	}
	fmt.Fprintf(b, "      subnet group %s, security groups %s, AZ %s, multi-AZ %s\n", orDash(n.SubnetGroupID), orDash(strings.Join(n.VPCSecurityGroupIDs, " ")), az, yesNo(n.MultiAZ))
	fmt.Fprintf(b, "      publicly accessible %s, auto minor upgrade %s, maintenance %s, network %s\n", yesNo(n.PubliclyAccessible), yesNo(n.AutoMinorVersionUpgrade), orDash(n.PreferredMaintenanceWindow), orDash(n.NetworkType))
	if len(n.Tags) > 0 {
		fmt.Fprintf(b, "      tags %s\n", formatTags(n.Tags))
	}
	if len(r.Tasks) == 0 {
		fmt.Fprintln(b, "    no tasks to move")
	}
	for _, t := range r.Tasks {
		fmt.Fprintf(b, "    task %s (%s): ", t.ID, t.Status)
		if isRunning(t.Status) {
			fmt.Fprintln(b, "stop, move, restart with resume-processing")
		} else {
			fmt.Fprintf(b, "move (not running: left %s)\n", t.Status)
		}
	}
}

func writeConfig(b *strings.Builder, c ConfigPlan, o Options) {
	fmt.Fprintf(b, "  serverless config %s (%s)\n    now encrypted with %s\n", c.Old.ID, c.Old.ARN, c.Old.KeyARN)
	switch {
	case c.Action == ConfigModify:
		fmt.Fprintln(b, "    never started: modify it in place to use the customer key")
	case !c.Consent:
		fmt.Fprintln(b, "    started: it can only be re-created; NOT planned (needs --recreate-started-configs)")
	default:
		fmt.Fprintf(b, "    started (replication %s): re-create as %s with the customer key, NOT started afterwards", orDash(c.Old.ReplicationStatus), c.NewID)
		if o.DeleteOld {
			fmt.Fprintf(b, "; delete %s", c.Old.ID)
		}
		if o.KeepIdentifier {
			fmt.Fprintf(b, "; rename %s to %s", c.NewID, c.Old.ID)
		}
		fmt.Fprintln(b, "\n    start the new replication yourself (full load, or CDC from a position you choose)")
	}
}

func describeSource(s Source) string {
	switch s.Kind {
	case "report":
		return fmt.Sprintf("audit report %s (%s, generated %s), %d failing instance(s)", s.File, s.SHA256, orDash(s.GeneratedAt), s.Findings)
	case "live":
		return fmt.Sprintf("live audit at %s, %d failing instance(s)", orDash(s.GeneratedAt), s.Findings)
	}
	return s.Kind
}

func policySids(policy string) string {
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return "(unreadable)"
	}
	sids := make([]string, 0, len(doc.Statement))
	for _, s := range doc.Statement {
		sids = append(sids, s.Sid)
	}
	return strings.Join(sids, ", ")
}

func formatTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeShellVerifyKey writes the check that the key the command keyOf
// prints is the key in $keyVar, customer-managed; the script stops if not.
func writeShellVerifyKey(b *strings.Builder, region, keyOf, keyVar, what string) {
	fmt.Fprintf(b, "[ \"$(aws kms describe-key --region %s --key-id \"$(%s)\" --query 'KeyMetadata.[Arn,KeyManager]' --output text)\" = \"$(printf '%%s\\tCUSTOMER' \"$%s\")\" ] || { echo %s >&2; exit 1; }\n",
		region, keyOf, keyVar, shq(what+" is not encrypted with the chosen key"))
}

func configKeyQuery(region, arn string) string {
	return fmt.Sprintf("aws dms describe-replication-configs --region %s --filters Name=replication-config-arn,Values=%s --query 'ReplicationConfigs[0].ComputeConfig.KmsKeyId' --output text", region, arn)
}

// withoutNulls encodes v as JSON without its null fields (the AWS CLI
// rejects a null where it expects a value).
func withoutNulls(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return string(b)
	}
	for k, x := range m {
		if x == nil {
			delete(m, k)
		}
	}
	b, _ = json.Marshal(m)
	return string(b)
}

// tagList is DMS tags as the AWS CLI's --tags JSON wants them.
func tagList(tags []dmstypes.Tag) []map[string]string {
	out := make([]map[string]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, map[string]string{"Key": aws.ToString(t.Key), "Value": aws.ToString(t.Value)})
	}
	return out
}

func flagBool(name string, v bool) string {
	if v {
		return "--" + name
	}
	return "--no-" + name
}

func kmsTagsJSON(planID, alias string) string {
	b, _ := json.Marshal([]map[string]string{{"TagKey": TagPlanID, "TagValue": planID}, {"TagKey": "cmkguard:alias", "TagValue": alias}})
	return string(b)
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// shq quotes s for bash.
func shq(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// comment makes s safe inside a shell comment: a line break in a name read
// from an audit report or from AWS must not end the comment and start a command.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

func shellVar(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

func isRunning(status string) bool {
	return status == "running" || status == "starting"
}

func firstOrDefault(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// WriteReview renders what a person must see before consenting to apply a
// plan, after its text: the full key policy of every key the plan creates,
// and what the plan's integrity check does and does not prove.
func WriteReview(w io.Writer, p *Plan) error {
	b := &strings.Builder{}
	for _, k := range p.Keys {
		if k.Mode != KeyCreate {
			fmt.Fprintf(b, "\nKey policy in %s: the existing key %s keeps its own policy (cmkguard does not change it).\n", k.Region, k.ARN)
			continue
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(k.Policy), "  ", "  "); err != nil {
			pretty.Reset()
			pretty.WriteString(k.Policy)
		}
		fmt.Fprintf(b, "\nKey policy of the new key %s in %s (who may administer and use it):\n  %s\n", k.Alias, k.Region, pretty.String())
	}
	if p.Signature != "" {
		fmt.Fprintf(b, "\nIntegrity: signed (%s) with the --sign-key given, and verified: the plan is the one that key signed.\n", p.Signature[:len(signaturePrefix)-1])
	} else {
		fmt.Fprintf(b, "\nIntegrity: the plan's digest (%s) detects accidental changes only, NOT tampering:\n"+
			"  whoever can edit the plan file can recompute it. Review the plan above, not the file's\n"+
			"  provenance; to detect tampering, make and apply plans with --sign-key FILE.\n", p.Digest)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
