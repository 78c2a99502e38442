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

// WriteShell renders a plan as a bash script of AWS CLI commands that does
// what Apply does, in the same order, with the same requests, waits and
// checks, for teams that must run changes themselves. It is not journaled:
// a failed script must be finished by hand or by `cmkguard remediate --apply`.
func WriteShell(w io.Writer, p *Plan) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "#!/usr/bin/env bash\n# cmkguard remediation plan %s for account %s (%s)\n", comment(p.ID), p.Account, comment(strings.Join(p.Regions, ", ")))
	fmt.Fprintf(b, "# Generated from %s. Review before running.\nset -euo pipefail\n\n", comment(describeSource(p.Source)))
	b.WriteString(shellPreamble)
	fmt.Fprintf(b, "[ \"$(aws sts get-caller-identity --region %s --query Account --output text)\" = %s ] || { echo 'wrong account: this plan is for %s' >&2; exit 1; }\n", firstOrDefault(p.Regions, "us-east-1"), p.Account, p.Account)
	for _, region := range p.Regions {
		k, _ := p.KeyFor(region)
		keyVar := "KEY_" + shellVar(region)
		fmt.Fprintf(b, "\n# ---- %s ----\n", comment(region))
		if k.Mode == KeyCreate {
			in := createKeyInput(p, k)
			fmt.Fprintf(b, "# %s\n", "key: look the alias up first, so that a re-run never creates a second key")
			fmt.Fprintf(b, "%s=$(aws kms list-aliases --region %s --query %s --output text)\n", keyVar, region, shq(fmt.Sprintf("Aliases[?AliasName=='%s'].TargetKeyId | [0]", k.Alias)))
			fmt.Fprintf(b, "if [ -z \"$%s\" ] || [ \"$%s\" = None ]; then\n", keyVar, keyVar)
			fmt.Fprintf(b, "  %s=$(aws kms create-key --region %s --description %s --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT \\\n    --tags %s \\\n    --policy %s \\\n    --query KeyMetadata.Arn --output text)\n",
				keyVar, region, shq(aws.ToString(in.Description)), shq(kmsTagsJSON(p.ID, k.Alias)), shq(compactJSON(k.Policy)))
			fmt.Fprintf(b, "  aws kms create-alias --region %s --alias-name %s --target-key-id \"$%s\"\n", region, shq(k.Alias), keyVar)
			fmt.Fprintf(b, "else\n  # the alias exists: use its key only if this plan created it\n")
			fmt.Fprintf(b, "  [ \"$(aws kms list-resource-tags --region %s --key-id \"$%s\" --query %s --output text)\" = %s ] || { echo %s >&2; exit 1; }\nfi\n",
				region, keyVar, shq(fmt.Sprintf("Tags[?TagKey=='%s'].TagValue | [0]", TagPlanID)), shq(p.ID), shq(fmt.Sprintf("alias %s points to a key this plan did not create", k.Alias)))
			fmt.Fprintf(b, "%s=$(aws kms describe-key --region %s --key-id \"$%s\" --query KeyMetadata.Arn --output text)\n", keyVar, region, keyVar)
		} else {
			fmt.Fprintf(b, "%s=%s\n", keyVar, shq(k.ARN))
			fmt.Fprintf(b, "[ \"$(aws kms describe-key --region %s --key-id \"$%s\" --query 'KeyMetadata.[KeyManager,KeyState]' --output text)\" = \"$(printf 'CUSTOMER\\tEnabled')\" ] || { echo \"key $%s is not an Enabled customer key\" >&2; exit 1; }\n", region, keyVar, keyVar)
		}
		for _, r := range p.Replacements {
			if r.Region == region {
				writeShellReplacement(b, p, r, region, keyVar)
			}
		}
		for _, c := range p.Configs {
			if c.Region == region && c.Consent {
				writeShellConfig(b, p, c, region, keyVar)
			}
		}
	}
	fmt.Fprintln(b, "\necho 'remediation complete'")
	_, err := io.WriteString(w, b.String())
	return err
}

const shellPreamble = `# wait_task REGION TASK_ARN INSTANCE_ARN: wait until the task is on the instance and no longer moving.
wait_task() {
  local out
  while :; do
    out=$(aws dms describe-replication-tasks --region "$1" --without-settings \
      --filters Name=replication-task-arn,Values="$2" \
      --query 'ReplicationTasks[0].[ReplicationInstanceArn,Status]' --output text)
    case "$out" in
      *$'\t'failed-move) echo "task $2 failed to move" >&2; return 1 ;;
      "$3"$'\t'moving) ;;
      "$3"$'\t'*) return 0 ;;
    esac
    sleep 15
  done
}
# attached_tasks REGION INSTANCE_ARN: how many tasks are on the instance. DMS answers
# ResourceNotFoundFault when there are none; any other error is printed and counts as unknown.
attached_tasks() {
  local out err rc=0
  err=$(mktemp)
  out=$(aws dms describe-replication-tasks --region "$1" --without-settings \
    --filters Name=replication-instance-arn,Values="$2" \
    --query 'length(ReplicationTasks)' --output text 2>"$err") || rc=$?
  if [ "$rc" -ne 0 ]; then
    if grep -q ResourceNotFoundFault "$err"; then out=0; else cat "$err" >&2; out=unknown; fi
  fi
  rm -f "$err"
  echo "$out"
}
`

func writeShellReplacement(b *strings.Builder, p *Plan, r Replacement, region, keyVar string) {
	newVar := "NEW_" + shellVar(region+"_"+r.Old.ID)
	in := createInstanceInput(p, r, "KEY")
	fmt.Fprintf(b, "\n# replace %s (%s)\n", comment(r.Old.ID), comment(r.Old.ARN))
	fmt.Fprintf(b, "%s=$(aws dms describe-replication-instances --region %s --filters Name=replication-instance-id,Values=%s --query 'ReplicationInstances[0].ReplicationInstanceArn' --output text 2>/dev/null || true)\n", newVar, region, shq(r.NewID))
	fmt.Fprintf(b, "if [ -z \"$%s\" ] || [ \"$%s\" = None ]; then\n", newVar, newVar)
	fmt.Fprintf(b, "  %s=$(aws dms create-replication-instance --region %s \\\n", newVar, region)
	args := [][2]string{
		{"--replication-instance-identifier", aws.ToString(in.ReplicationInstanceIdentifier)},
		{"--replication-instance-class", aws.ToString(in.ReplicationInstanceClass)},
		{"--allocated-storage", fmt.Sprint(aws.ToInt32(in.AllocatedStorage))},
		{"--engine-version", aws.ToString(in.EngineVersion)},
		{"--replication-subnet-group-identifier", aws.ToString(in.ReplicationSubnetGroupIdentifier)},
		{"--availability-zone", aws.ToString(in.AvailabilityZone)},
		{"--preferred-maintenance-window", aws.ToString(in.PreferredMaintenanceWindow)},
		{"--network-type", aws.ToString(in.NetworkType)},
		{"--dns-name-servers", aws.ToString(in.DnsNameServers)},
	}
	for _, a := range args {
		if a[1] != "" {
			fmt.Fprintf(b, "      %s %s \\\n", a[0], shq(a[1]))
		}
	}
	if len(in.VpcSecurityGroupIds) > 0 {
		quoted := make([]string, len(in.VpcSecurityGroupIds))
		for i, g := range in.VpcSecurityGroupIds {
			quoted[i] = shq(g)
		}
		fmt.Fprintf(b, "      --vpc-security-group-ids %s \\\n", strings.Join(quoted, " "))
	}
	fmt.Fprintf(b, "      %s %s %s \\\n", flagBool("multi-az", aws.ToBool(in.MultiAZ)), flagBool("publicly-accessible", aws.ToBool(in.PubliclyAccessible)), flagBool("auto-minor-version-upgrade", aws.ToBool(in.AutoMinorVersionUpgrade)))
	if k := in.KerberosAuthenticationSettings; k != nil {
		kb, _ := json.Marshal(map[string]string{"KeyCacheSecretId": aws.ToString(k.KeyCacheSecretId), "KeyCacheSecretIamArn": aws.ToString(k.KeyCacheSecretIamArn), "Krb5FileContents": aws.ToString(k.Krb5FileContents)})
		fmt.Fprintf(b, "      --kerberos-authentication-settings %s \\\n", shq(string(kb)))
	}
	tb, _ := json.Marshal(tagList(in.Tags))
	fmt.Fprintf(b, "      --tags %s \\\n", shq(string(tb)))
	fmt.Fprintf(b, "      --kms-key-id \"$%s\" \\\n      --query ReplicationInstance.ReplicationInstanceArn --output text)\n", keyVar)
	fmt.Fprintf(b, "else\n  # an instance of that name exists: use it only if this plan created it\n")
	fmt.Fprintf(b, "  [ \"$(aws dms list-tags-for-resource --region %s --resource-arn \"$%s\" --query %s --output text)\" = %s ] || { echo %s >&2; exit 1; }\nfi\n",
		region, newVar, shq(fmt.Sprintf("TagList[?Key=='%s'].Value | [0]", TagPlanID)), shq(p.ID), shq(fmt.Sprintf("an instance named %s exists that this plan did not create", r.NewID)))
	fmt.Fprintf(b, "aws dms wait replication-instance-available --region %s --filters Name=replication-instance-arn,Values=\"$%s\"\n", region, newVar)
	fmt.Fprintf(b, "# verify: the new instance's key is the chosen customer key\n")
	writeShellVerifyKey(b, region, fmt.Sprintf("aws dms describe-replication-instances --region %s --filters Name=replication-instance-arn,Values=\"$%s\" --query 'ReplicationInstances[0].KmsKeyId' --output text", region, newVar), keyVar, "new instance "+r.NewID)
	for _, t := range r.Tasks {
		tv := "RUNNING_" + shellVar(t.ID)
		fmt.Fprintf(b, "# task %s\n", comment(t.ID))
		fmt.Fprintf(b, "%s=$(aws dms describe-replication-tasks --region %s --without-settings --filters Name=replication-task-arn,Values=%s --query 'ReplicationTasks[0].Status' --output text)\n", tv, region, shq(t.ARN))
		waitStopped := fmt.Sprintf("aws dms wait replication-task-stopped --region %s --filters Name=replication-task-arn,Values=%s", region, shq(t.ARN))
		fmt.Fprintf(b, "case \"$%s\" in\n  running|starting|resuming)\n    aws dms stop-replication-task --region %s --replication-task-arn %s >/dev/null\n    %s ;;\n", tv, region, shq(t.ARN), waitStopped)
		fmt.Fprintf(b, "  stopping) %s ;;\nesac\n", waitStopped)
		fmt.Fprintf(b, "aws dms move-replication-task --region %s --replication-task-arn %s --target-replication-instance-arn \"$%s\" >/dev/null\n", region, shq(t.ARN), newVar)
		fmt.Fprintf(b, "wait_task %s %s \"$%s\"\n", region, shq(t.ARN), newVar)
		fmt.Fprintf(b, "if [ \"$%s\" = running ] || [ \"$%s\" = starting ] || [ \"$%s\" = resuming ]; then\n", tv, tv, tv)
		fmt.Fprintf(b, "  aws dms start-replication-task --region %s --replication-task-arn %s --start-replication-task-type resume-processing >/dev/null\nfi\n", region, shq(t.ARN))
	}
	if p.Options.DeleteOld {
		fmt.Fprintf(b, "# delete the old instance only when no task is attached\n")
		fmt.Fprintf(b, "[ \"$(attached_tasks %s %s)\" = 0 ] || { echo %s >&2; exit 1; }\n", region, shq(r.Old.ARN), shq("tasks may still be attached to "+r.Old.ID+": not deleting it"))
		fmt.Fprintf(b, "aws dms delete-replication-instance --region %s --replication-instance-arn %s >/dev/null\n", region, shq(r.Old.ARN))
		fmt.Fprintf(b, "aws dms wait replication-instance-deleted --region %s --filters Name=replication-instance-arn,Values=%s\n", region, shq(r.Old.ARN))
	}
	if p.Options.KeepIdentifier {
		fmt.Fprintf(b, "aws dms modify-replication-instance --region %s --replication-instance-arn \"$%s\" --replication-instance-identifier %s --apply-immediately >/dev/null\n", region, newVar, shq(r.Old.ID))
		fmt.Fprintf(b, "aws dms wait replication-instance-available --region %s --filters Name=replication-instance-arn,Values=\"$%s\"\n", region, newVar)
	}
}

func writeShellConfig(b *strings.Builder, p *Plan, c ConfigPlan, region, keyVar string) {
	const placeholder = "__CMKGUARD_KEY__"
	cc := withoutNulls(computeConfig(c.Old.Compute, placeholder))
	ccVar := "CC_" + shellVar(region+"_"+c.Old.ID)
	fmt.Fprintf(b, "\n# serverless config %s (%s)\n%s=%s\n", comment(c.Old.ID), comment(c.Old.ARN), ccVar, shq(cc))
	if c.Action == ConfigModify {
		fmt.Fprintf(b, "aws dms modify-replication-config --region %s --replication-config-arn %s --compute-config \"${%s/%s/$%s}\" >/dev/null\n", region, shq(c.Old.ARN), ccVar, placeholder, keyVar)
		writeShellVerifyKey(b, region, configKeyQuery(region, shq(c.Old.ARN)), keyVar, "serverless config "+c.Old.ID)
		return
	}
	newVar := "NEWCFG_" + shellVar(region+"_"+c.Old.ID)
	in := createConfigInput(p, c, placeholder)
	fmt.Fprintf(b, "if [ \"$(aws dms describe-replications --region %s --filters Name=replication-config-arn,Values=%s --query 'Replications[0].Status' --output text)\" = running ]; then\n", region, shq(c.Old.ARN))
	fmt.Fprintf(b, "  aws dms stop-replication --region %s --replication-config-arn %s >/dev/null\n", region, shq(c.Old.ARN))
	fmt.Fprintf(b, "  until [ \"$(aws dms describe-replications --region %s --filters Name=replication-config-arn,Values=%s --query 'Replications[0].Status' --output text)\" = stopped ]; do sleep 15; done\nfi\n", region, shq(c.Old.ARN))
	tb, _ := json.Marshal(tagList(in.Tags))
	fmt.Fprintf(b, "%s=$(aws dms create-replication-config --region %s --replication-config-identifier %s \\\n", newVar, region, shq(c.NewID))
	fmt.Fprintf(b, "    --source-endpoint-arn %s --target-endpoint-arn %s --replication-type %s \\\n", shq(c.Old.SourceEndpointARN), shq(c.Old.TargetEndpointARN), shq(c.Old.ReplicationType))
	for _, a := range [][2]string{{"--table-mappings", c.Old.TableMappings}, {"--replication-settings", c.Old.ReplicationSettings}, {"--supplemental-settings", c.Old.SupplementalSettings}} {
		if a[1] != "" {
			fmt.Fprintf(b, "    %s %s \\\n", a[0], shq(a[1]))
		}
	}
	fmt.Fprintf(b, "    --compute-config \"${%s/%s/$%s}\" --tags %s \\\n    --query ReplicationConfig.ReplicationConfigArn --output text)\n", ccVar, placeholder, keyVar, shq(string(tb)))
	fmt.Fprintf(b, "# verify: the copy's key is the chosen customer key, before anything is deleted\n")
	writeShellVerifyKey(b, region, configKeyQuery(region, "\"$"+newVar+"\""), keyVar, "serverless config "+c.NewID)
	if p.Options.DeleteOld {
		fmt.Fprintf(b, "aws dms delete-replication-config --region %s --replication-config-arn %s >/dev/null\n", region, shq(c.Old.ARN))
	}
	if p.Options.KeepIdentifier {
		fmt.Fprintf(b, "aws dms modify-replication-config --region %s --replication-config-arn \"$%s\" --replication-config-identifier %s >/dev/null\n", region, newVar, shq(c.Old.ID))
	}
	fmt.Fprintf(b, "echo %s >&2\n", shq("serverless config "+c.FinalID+" was re-created and is NOT started: start it when ready"))
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
