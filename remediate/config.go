package remediate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/cmkguard/cmkguard/finding"
)

// DMS Serverless replication configs. A config whose replication has never
// started can be modified to the customer key in place. One that has started
// is frozen: it must be re-created, which loses its replication's progress,
// so the plan does it only with explicit consent, and never starts the copy
// (the team chooses how to restart: a full load, or CDC from a position).

// ConfigResourceType is the finding resource type of a serverless config.
const ConfigResourceType = "AWS::DMS::ReplicationConfig"

// ConfigTargetsFromFindings picks the serverless configs that FAIL a
// cmkguard DMS key rule, when the audit covers them.
func ConfigTargetsFromFindings(fs []finding.Finding) []Target {
	var out []Target
	seen := map[string]bool{}
	for _, f := range fs {
		if !strings.HasPrefix(f.RuleID, "CMKG-DMS-") || f.Status != finding.StatusFail || f.ResourceType != ConfigResourceType || seen[f.ResourceARN] {
			continue
		}
		seen[f.ResourceARN] = true
		out = append(out, Target{ARN: f.ResourceARN, ID: f.ResourceID, Region: f.Region, Account: f.Account})
	}
	return out
}

// notStarted says, from its replication, whether a config can still be
// modified: only before its first replication has started.
func notStarted(r *dmstypes.Replication) bool {
	if r == nil {
		return true
	}
	if aws.ToString(r.StartReplicationType) != "" {
		return false
	}
	switch strings.ToLower(strings.ReplaceAll(aws.ToString(r.Status), "_", "-")) {
	case "", "created", "failed", "failed-provision":
		return true
	}
	return false
}

// describeConfig reads a config, its replication and its tags; nil when gone.
func describeConfig(ctx context.Context, c DMSReader, arn string) (*Config, error) {
	rc, err := configByARN(ctx, c, arn)
	if err != nil || rc == nil {
		return nil, err
	}
	rep, err := replicationOf(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	tags, err := c.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	cfg := configOf(*rc)
	if rep != nil {
		cfg.ReplicationStatus = aws.ToString(rep.Status)
	}
	cfg.Started = !notStarted(rep)
	for _, t := range tags.TagList {
		if cfg.Tags == nil {
			cfg.Tags = map[string]string{}
		}
		cfg.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &cfg, nil
}

func configOf(rc dmstypes.ReplicationConfig) Config {
	cfg := Config{
		ARN:                  aws.ToString(rc.ReplicationConfigArn),
		ID:                   aws.ToString(rc.ReplicationConfigIdentifier),
		SourceEndpointARN:    aws.ToString(rc.SourceEndpointArn),
		TargetEndpointARN:    aws.ToString(rc.TargetEndpointArn),
		ReplicationType:      string(rc.ReplicationType),
		TableMappings:        aws.ToString(rc.TableMappings),
		ReplicationSettings:  aws.ToString(rc.ReplicationSettings),
		SupplementalSettings: aws.ToString(rc.SupplementalSettings),
	}
	if cc := rc.ComputeConfig; cc != nil {
		cfg.KeyARN = aws.ToString(cc.KmsKeyId)
		cfg.Compute = ComputeSettings{
			AvailabilityZone:           aws.ToString(cc.AvailabilityZone),
			DNSNameServers:             aws.ToString(cc.DnsNameServers),
			MaxCapacityUnits:           aws.ToInt32(cc.MaxCapacityUnits),
			MinCapacityUnits:           aws.ToInt32(cc.MinCapacityUnits),
			MultiAZ:                    aws.ToBool(cc.MultiAZ),
			PreferredMaintenanceWindow: aws.ToString(cc.PreferredMaintenanceWindow),
			SubnetGroupID:              aws.ToString(cc.ReplicationSubnetGroupId),
			VPCSecurityGroupIDs:        append([]string(nil), cc.VpcSecurityGroupIds...),
		}
		sort.Strings(cfg.Compute.VPCSecurityGroupIDs)
	}
	return cfg
}

func configByARN(ctx context.Context, c DescribeReplicationConfigsAPI, arn string) (*dmstypes.ReplicationConfig, error) {
	return oneConfig(ctx, c, "replication-config-arn", arn)
}

func oneConfig(ctx context.Context, c DescribeReplicationConfigsAPI, filter, value string) (*dmstypes.ReplicationConfig, error) {
	out, err := c.DescribeReplicationConfigs(ctx, &dms.DescribeReplicationConfigsInput{
		Filters: []dmstypes.Filter{{Name: aws.String(filter), Values: []string{value}}},
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe replication config %s: %w", value, err)
	}
	for i := range out.ReplicationConfigs {
		rc := &out.ReplicationConfigs[i]
		if filter == "replication-config-arn" && aws.ToString(rc.ReplicationConfigArn) == value ||
			filter == "replication-config-id" && aws.ToString(rc.ReplicationConfigIdentifier) == value {
			return rc, nil
		}
	}
	return nil, nil
}

func replicationOf(ctx context.Context, c DescribeReplicationsAPI, configARN string) (*dmstypes.Replication, error) {
	out, err := c.DescribeReplications(ctx, &dms.DescribeReplicationsInput{
		Filters: []dmstypes.Filter{{Name: aws.String("replication-config-arn"), Values: []string{configARN}}},
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe replication of %s: %w", configARN, err)
	}
	for i := range out.Replications {
		if aws.ToString(out.Replications[i].ReplicationConfigArn) == configARN {
			return &out.Replications[i], nil
		}
	}
	return nil, nil
}

// configPlan plans one config; a started config without consent is
// recorded, with no step, and a note says what it needs.
func configPlan(req Request, t Target, old Config, taken map[string]bool) (ConfigPlan, string, error) {
	cp := ConfigPlan{Region: t.Region, Old: old, Action: ConfigModify, Consent: true, FinalID: old.ID}
	if !old.Started {
		return cp, "", nil
	}
	cp.Action, cp.Consent = ConfigRecreate, req.RecreateStartedConfigs
	cp.NewID = ExpandName(req.NameTemplate, old.ID, t.Region)
	if err := ValidateIdentifier(cp.NewID); err != nil {
		return ConfigPlan{}, "", fmt.Errorf("config %s: %w (change --name-template)", old.ID, err)
	}
	if taken[t.Region+"/"+cp.NewID] {
		return ConfigPlan{}, "", fmt.Errorf("config %s: identifier %s is already in use in %s (change --name-template)", old.ID, cp.NewID, t.Region)
	}
	taken[t.Region+"/"+cp.NewID] = true
	cp.FinalID = cp.NewID
	if req.KeepIdentifier {
		cp.FinalID = old.ID
	}
	if !cp.Consent {
		return cp, fmt.Sprintf("not planned: serverless config %s has started, so it cannot be modified; it must be re-created (its replication restarts from scratch or from a CDC position you choose): re-plan with --recreate-started-configs to do it", old.ARN), nil
	}
	return cp, "", nil
}

func configSteps(p *Plan, region string) []Step {
	var out []Step
	for i, c := range p.Configs {
		if c.Region != region || !c.Consent {
			continue
		}
		base := region + "/config/" + c.Old.ID
		add := func(suffix string, kind StepKind, desc string) {
			out = append(out, Step{ID: base + "/" + suffix, Kind: kind, Region: region, Replacement: -1, Task: -1, Config: i, Description: desc})
		}
		if c.Action == ConfigModify {
			add("modify", StepModifyConfig, fmt.Sprintf("point serverless config %s (never started) at the customer key and verify", c.Old.ID))
			continue
		}
		add("stop", StepStopConfig, fmt.Sprintf("stop the replication of serverless config %s if it is running (now %s)", c.Old.ID, orDash(c.Old.ReplicationStatus)))
		add("create", StepCreateConfig, fmt.Sprintf("create %s (copy of %s with the customer key; not started) and verify", c.NewID, c.Old.ID))
		if p.Options.DeleteOld {
			add("delete-old", StepDeleteConfig, fmt.Sprintf("delete serverless config %s", c.Old.ID))
		}
		if p.Options.KeepIdentifier {
			add("rename", StepRenameConfig, fmt.Sprintf("rename %s to %s", c.NewID, c.Old.ID))
		}
	}
	return out
}

func computeConfig(s ComputeSettings, keyARN string) *dmstypes.ComputeConfig {
	cc := &dmstypes.ComputeConfig{
		AvailabilityZone:           optional(s.AvailabilityZone),
		DnsNameServers:             optional(s.DNSNameServers),
		KmsKeyId:                   aws.String(keyARN),
		MultiAZ:                    aws.Bool(s.MultiAZ),
		PreferredMaintenanceWindow: optional(s.PreferredMaintenanceWindow),
		ReplicationSubnetGroupId:   optional(s.SubnetGroupID),
		VpcSecurityGroupIds:        append([]string(nil), s.VPCSecurityGroupIDs...),
	}
	if s.MaxCapacityUnits > 0 {
		cc.MaxCapacityUnits = aws.Int32(s.MaxCapacityUnits)
	}
	if s.MinCapacityUnits > 0 {
		cc.MinCapacityUnits = aws.Int32(s.MinCapacityUnits)
	}
	if s.MultiAZ {
		cc.AvailabilityZone = nil
	}
	return cc
}

func createConfigInput(p *Plan, c ConfigPlan, keyARN string) *dms.CreateReplicationConfigInput {
	o := c.Old
	in := &dms.CreateReplicationConfigInput{
		ReplicationConfigIdentifier: aws.String(c.NewID),
		SourceEndpointArn:           aws.String(o.SourceEndpointARN),
		TargetEndpointArn:           aws.String(o.TargetEndpointARN),
		ReplicationType:             dmstypes.MigrationTypeValue(o.ReplicationType),
		TableMappings:               optional(o.TableMappings),
		ReplicationSettings:         optional(o.ReplicationSettings),
		SupplementalSettings:        optional(o.SupplementalSettings),
		ComputeConfig:               computeConfig(o.Compute, keyARN),
	}
	in.Tags = planTags(o.Tags, p.ID)
	return in
}

func noteNewConfig(c ConfigPlan) string        { return "new-config-arn/" + c.Region + "/" + c.Old.ID }
func noteConfigWasRunning(c ConfigPlan) string { return "config-was-running/" + c.Old.ARN }

// compareConfig lists how a config differs from what the plan recorded.
func compareConfig(c ConfigPlan, now *Config) []string {
	if now == nil {
		return []string{fmt.Sprintf("serverless config %s no longer exists", c.Old.ARN)}
	}
	var diffs []string
	if now.KeyARN != c.Old.KeyARN {
		diffs = append(diffs, fmt.Sprintf("config %s: KMS key was %s, is now %s", c.Old.ID, c.Old.KeyARN, now.KeyARN))
	}
	if now.Started != c.Old.Started {
		diffs = append(diffs, fmt.Sprintf("config %s: started was %v, is now %v", c.Old.ID, c.Old.Started, now.Started))
	}
	if fmt.Sprint(now.Compute) != fmt.Sprint(c.Old.Compute) || now.SourceEndpointARN != c.Old.SourceEndpointARN ||
		now.TargetEndpointARN != c.Old.TargetEndpointARN || now.TableMappings != c.Old.TableMappings ||
		now.ReplicationSettings != c.Old.ReplicationSettings || now.ReplicationType != c.Old.ReplicationType ||
		formatTags(now.Tags) != formatTags(c.Old.Tags) {
		diffs = append(diffs, fmt.Sprintf("config %s: its settings changed since the plan", c.Old.ID))
	}
	return diffs
}

// modifyConfig points a never-started config at the customer key.
func (r *run) modifyConfig(ctx context.Context, c WriteClients, cp ConfigPlan) error {
	keyARN := r.progress.Notes[noteKey(cp.Region)]
	now, err := describeConfig(ctx, c.DMS, cp.Old.ARN)
	if err != nil {
		return err
	}
	if now == nil {
		return fmt.Errorf("serverless config %s no longer exists", cp.Old.ARN)
	}
	if now.KeyARN != keyARN {
		if now.Started {
			return fmt.Errorf("serverless config %s has started since the plan, so it can no longer be modified; make a new plan", cp.Old.ID)
		}
		if _, err := c.DMS.ModifyReplicationConfig(ctx, &dms.ModifyReplicationConfigInput{
			ReplicationConfigArn: aws.String(cp.Old.ARN),
			ComputeConfig:        computeConfig(now.Compute, keyARN),
		}); err != nil {
			return fmt.Errorf("modify serverless config %s: %w", cp.Old.ID, err)
		}
	}
	return r.verifyConfigKey(ctx, c, cp.Region, cp.Old.ARN, cp.Old.ID)
}

// stopConfig stops a started config's replication, remembering it ran.
func (r *run) stopConfig(ctx context.Context, c WriteClients, cp ConfigPlan) error {
	rep, err := replicationOf(ctx, c.DMS, cp.Old.ARN)
	if err != nil || rep == nil {
		return err
	}
	switch aws.ToString(rep.Status) {
	case "running", "starting":
		if err := r.note(noteConfigWasRunning(cp), "true"); err != nil {
			return err
		}
		if _, err := c.DMS.StopReplication(ctx, &dms.StopReplicationInput{ReplicationConfigArn: aws.String(cp.Old.ARN)}); err != nil && !invalidState(err) {
			return fmt.Errorf("stop the replication of %s: %w", cp.Old.ID, err)
		}
	case "stopping":
	default:
		return nil
	}
	return r.waitFor(ctx, r.a.TaskTimeout, "replication of "+cp.Old.ID+" to stop", func() error {
		rep, err := replicationOf(ctx, c.DMS, cp.Old.ARN)
		if err != nil {
			return err
		}
		if rep != nil && (aws.ToString(rep.Status) == "running" || aws.ToString(rep.Status) == "stopping" || aws.ToString(rep.Status) == "starting") {
			return errNotYet
		}
		return nil
	})
}

// createConfig re-creates a started config with the customer key, unless
// this plan already did.
func (r *run) createConfig(ctx context.Context, c WriteClients, cp ConfigPlan) error {
	keyARN := r.progress.Notes[noteKey(cp.Region)]
	arn := r.progress.Notes[noteNewConfig(cp)]
	if arn != "" {
		if rc, err := configByARN(ctx, c.DMS, arn); err != nil {
			return err
		} else if rc == nil {
			arn = ""
		}
	}
	if arn == "" {
		rc, err := oneConfig(ctx, c.DMS, "replication-config-id", cp.NewID)
		if err != nil {
			return err
		}
		if rc != nil {
			found := aws.ToString(rc.ReplicationConfigArn)
			ours, err := r.dmsTaggedWithPlan(ctx, c, found)
			if err != nil {
				return err
			}
			if !ours {
				return fmt.Errorf("a serverless config named %s exists in %s that this plan did not create; refusing to use it", cp.NewID, cp.Region)
			}
			arn = found
		}
	}
	if arn == "" {
		out, err := c.DMS.CreateReplicationConfig(ctx, createConfigInput(r.plan, cp, keyARN), noDMSRetry)
		switch {
		case err != nil:
			// A lost answer: the copy exists, named and tagged by this plan.
			rc, ferr := oneConfig(ctx, c.DMS, "replication-config-id", cp.NewID)
			if ferr != nil || rc == nil {
				return fmt.Errorf("create serverless config %s: %w", cp.NewID, err)
			}
			if ours, terr := r.dmsTaggedWithPlan(ctx, c, aws.ToString(rc.ReplicationConfigArn)); terr != nil || !ours {
				return fmt.Errorf("create serverless config %s: %w", cp.NewID, err)
			}
			r.a.logf("%s: the answer to CreateReplicationConfig was lost (%v), but %s is there, tagged with this plan: using it", cp.Region, err, cp.NewID)
			arn = aws.ToString(rc.ReplicationConfigArn)
		case out.ReplicationConfig == nil:
			return fmt.Errorf("create serverless config %s: the answer names no config", cp.NewID)
		default:
			arn = aws.ToString(out.ReplicationConfig.ReplicationConfigArn)
		}
	}
	if err := r.note(noteNewConfig(cp), arn); err != nil {
		return err
	}
	return r.verifyConfigKey(ctx, c, cp.Region, arn, cp.NewID)
}

// deleteConfig deletes the started config once its copy exists.
func (r *run) deleteConfig(ctx context.Context, c WriteClients, cp ConfigPlan) error {
	if arn := r.progress.Notes[noteNewConfig(cp)]; arn == "" {
		return fmt.Errorf("refusing to delete serverless config %s: its copy has not been created", cp.Old.ID)
	}
	rc, err := configByARN(ctx, c.DMS, cp.Old.ARN)
	if err != nil || rc == nil {
		return err
	}
	if _, err := c.DMS.DeleteReplicationConfig(ctx, &dms.DeleteReplicationConfigInput{ReplicationConfigArn: aws.String(cp.Old.ARN)}); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete serverless config %s: %w", cp.Old.ID, err)
	}
	return r.waitGone(ctx, r.a.InstanceTimeout, "serverless config "+cp.Old.ID, func() (bool, error) {
		rc, err := configByARN(ctx, c.DMS, cp.Old.ARN)
		return rc != nil, err
	})
}

// renameConfig gives the copy the old identifier (the copy never started,
// so it can still be modified).
func (r *run) renameConfig(ctx context.Context, c WriteClients, cp ConfigPlan) error {
	arn := r.progress.Notes[noteNewConfig(cp)]
	rc, err := configByARN(ctx, c.DMS, arn)
	if err != nil {
		return err
	}
	if rc == nil {
		return fmt.Errorf("serverless config %s (%s) does not exist", cp.NewID, arn)
	}
	if aws.ToString(rc.ReplicationConfigIdentifier) == cp.Old.ID {
		return nil
	}
	if other, err := oneConfig(ctx, c.DMS, "replication-config-id", cp.Old.ID); err != nil {
		return err
	} else if other != nil {
		return fmt.Errorf("identifier %s is still used by %s; refusing to rename", cp.Old.ID, aws.ToString(other.ReplicationConfigArn))
	}
	if _, err := c.DMS.ModifyReplicationConfig(ctx, &dms.ModifyReplicationConfigInput{
		ReplicationConfigArn: aws.String(arn), ReplicationConfigIdentifier: aws.String(cp.Old.ID),
	}); err != nil {
		return fmt.Errorf("rename %s to %s: %w", cp.NewID, cp.Old.ID, err)
	}
	return nil
}

func (r *run) verifyConfigKey(ctx context.Context, c WriteClients, region, arn, id string) error {
	want := r.progress.Notes[noteKey(region)]
	rc, err := configByARN(ctx, c.DMS, arn)
	if err != nil {
		return err
	}
	if rc == nil || rc.ComputeConfig == nil {
		return fmt.Errorf("serverless config %s (%s) does not exist", id, arn)
	}
	out, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: rc.ComputeConfig.KmsKeyId})
	if err != nil {
		return fmt.Errorf("describe key of serverless config %s: %w", id, err)
	}
	if m := out.KeyMetadata; m == nil || aws.ToString(m.Arn) != want || m.KeyManager != kmstypes.KeyManagerTypeCustomer {
		return fmt.Errorf("serverless config %s is encrypted with %s, not the chosen customer key %s", id, aws.ToString(rc.ComputeConfig.KmsKeyId), want)
	}
	return nil
}

func (r *run) dmsTaggedWithPlan(ctx context.Context, c WriteClients, arn string) (bool, error) {
	tags, err := c.DMS.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return false, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	for _, t := range tags.TagList {
		if aws.ToString(t.Key) == TagPlanID && aws.ToString(t.Value) == r.plan.ID {
			return true, nil
		}
	}
	return false, nil
}
