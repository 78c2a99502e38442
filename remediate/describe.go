package remediate

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// RegionReaders returns the read-only clients for a region.
type RegionReaders func(region string) (ReadClients, error)

// Describe reads, with read-only calls only, the facts NewPlan needs for req:
// each target instance with its settings, tags and tasks, the identifiers in
// use, and the requested key (or the aliases in use, for --create-key).
func Describe(ctx context.Context, clients RegionReaders, req Request) (Facts, error) {
	facts := Facts{
		Instances:         map[string]DescribedInstance{},
		Identifiers:       map[string]map[string]bool{},
		Keys:              map[string]KeyFacts{},
		Aliases:           map[string]map[string]bool{},
		Configs:           map[string]Config{},
		ConfigIdentifiers: map[string]map[string]bool{},
	}
	byRegion := map[string][]Target{}
	configsByRegion := map[string][]Target{}
	for _, t := range req.Targets {
		if t.Account != "" && t.Account != req.Account {
			continue
		}
		byRegion[t.Region] = append(byRegion[t.Region], t)
	}
	for _, t := range req.ConfigTargets {
		if t.Account != "" && t.Account != req.Account {
			continue
		}
		configsByRegion[t.Region] = append(configsByRegion[t.Region], t)
		if _, ok := byRegion[t.Region]; !ok {
			byRegion[t.Region] = nil
		}
	}
	regions := make([]string, 0, len(byRegion))
	for r := range byRegion {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, region := range regions {
		c, err := clients(region)
		if err != nil {
			return Facts{}, err
		}
		all, err := listInstances(ctx, c.DMS, nil)
		if err != nil {
			return Facts{}, fmt.Errorf("describe replication instances in %s: %w", region, err)
		}
		facts.Identifiers[region] = map[string]bool{}
		byARN := map[string]dmstypes.ReplicationInstance{}
		for _, ri := range all {
			facts.Identifiers[region][aws.ToString(ri.ReplicationInstanceIdentifier)] = true
			byARN[aws.ToString(ri.ReplicationInstanceArn)] = ri
		}
		for _, t := range byRegion[region] {
			ri, ok := byARN[t.ARN]
			if !ok {
				continue
			}
			d, err := describeInstance(ctx, c.DMS, ri)
			if err != nil {
				return Facts{}, err
			}
			facts.Instances[t.ARN] = d
		}
		if err := describeConfigs(ctx, c.DMS, region, configsByRegion[region], &facts); err != nil {
			return Facts{}, err
		}
		if req.Key.CreateAlias != "" {
			aliases, err := listAliases(ctx, c.KMS)
			if err != nil {
				return Facts{}, fmt.Errorf("list KMS aliases in %s: %w", region, err)
			}
			facts.Aliases[region] = map[string]bool{}
			for _, a := range aliases {
				facts.Aliases[region][aws.ToString(a.AliasName)] = true
			}
		}
		if req.Key.Existing != "" {
			facts.Keys[region] = describeExistingKey(ctx, c.KMS, req.Key.Existing, region)
		}
	}
	return facts, nil
}

// describeInstance reads an instance's tags and tasks.
func describeInstance(ctx context.Context, c DMSReader, ri dmstypes.ReplicationInstance) (DescribedInstance, error) {
	arn := aws.ToString(ri.ReplicationInstanceArn)
	tags, err := c.ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return DescribedInstance{}, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	tasks, err := listTasks(ctx, c, arn)
	if err != nil {
		return DescribedInstance{}, fmt.Errorf("describe tasks of %s: %w", arn, err)
	}
	d := DescribedInstance{Instance: instanceOf(ri, tags.TagList)}
	for _, t := range tasks {
		d.Tasks = append(d.Tasks, Task{ARN: aws.ToString(t.ReplicationTaskArn), ID: aws.ToString(t.ReplicationTaskIdentifier), Status: aws.ToString(t.Status)})
	}
	return d, nil
}

// instanceOf converts an SDK instance into the plan's model.
func instanceOf(ri dmstypes.ReplicationInstance, tags []dmstypes.Tag) Instance {
	s := InstanceSettings{
		Class:                      aws.ToString(ri.ReplicationInstanceClass),
		AllocatedStorage:           ri.AllocatedStorage,
		EngineVersion:              aws.ToString(ri.EngineVersion),
		AvailabilityZone:           aws.ToString(ri.AvailabilityZone),
		MultiAZ:                    ri.MultiAZ,
		PubliclyAccessible:         ri.PubliclyAccessible,
		AutoMinorVersionUpgrade:    ri.AutoMinorVersionUpgrade,
		PreferredMaintenanceWindow: aws.ToString(ri.PreferredMaintenanceWindow),
		NetworkType:                aws.ToString(ri.NetworkType),
		DNSNameServers:             aws.ToString(ri.DnsNameServers),
	}
	for _, g := range ri.VpcSecurityGroups {
		s.VPCSecurityGroupIDs = append(s.VPCSecurityGroupIDs, aws.ToString(g.VpcSecurityGroupId))
	}
	sort.Strings(s.VPCSecurityGroupIDs)
	if ri.ReplicationSubnetGroup != nil {
		s.SubnetGroupID = aws.ToString(ri.ReplicationSubnetGroup.ReplicationSubnetGroupIdentifier)
	}
	if k := ri.KerberosAuthenticationSettings; k != nil && (k.KeyCacheSecretIamArn != nil || k.KeyCacheSecretId != nil || k.Krb5FileContents != nil) {
		s.Kerberos = &Kerberos{
			KeyCacheSecretIAMARN: aws.ToString(k.KeyCacheSecretIamArn),
			KeyCacheSecretID:     aws.ToString(k.KeyCacheSecretId),
			Krb5FileContents:     aws.ToString(k.Krb5FileContents),
		}
	}
	for _, t := range tags {
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return Instance{
		ARN:      aws.ToString(ri.ReplicationInstanceArn),
		ID:       aws.ToString(ri.ReplicationInstanceIdentifier),
		Status:   aws.ToString(ri.ReplicationInstanceStatus),
		KeyARN:   aws.ToString(ri.KmsKeyId),
		Settings: s,
	}
}

// describeExistingKey resolves --kms-key for one region. A key ARN in another
// region is reported as such without a call; an alias is resolved in region.
func describeExistingKey(ctx context.Context, c DescribeKeyAPI, ref, region string) KeyFacts {
	kf := KeyFacts{Ref: ref}
	if a, err := ParseARN(ref); err == nil {
		if a.Service != "kms" {
			kf.Problem = "is not a KMS key or alias ARN"
			return kf
		}
		if a.Region != region {
			kf.Region = a.Region
			kf.ARN = ref
			return kf
		}
	}
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
	if err != nil {
		var nf *kmstypes.NotFoundException
		var api smithy.APIError
		switch {
		case errors.As(err, &nf):
			kf.Problem = "was not found in " + region
		case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
			kf.Problem = "cannot be described (kms:DescribeKey denied); its manager and state are unknown"
		default:
			kf.Problem = "could not be described: " + err.Error()
		}
		return kf
	}
	m := out.KeyMetadata
	if m == nil {
		kf.Problem = "could not be described: the answer has no key metadata"
		return kf
	}
	kf.ARN = aws.ToString(m.Arn)
	kf.Account = aws.ToString(m.AWSAccountId)
	kf.Manager = string(m.KeyManager)
	kf.State = string(m.KeyState)
	kf.Usage = string(m.KeyUsage)
	kf.Spec = string(m.KeySpec)
	kf.Origin = string(m.Origin)
	if a, err := ParseARN(kf.ARN); err == nil {
		kf.Region = a.Region
	}
	return kf
}

func listInstances(ctx context.Context, c DescribeReplicationInstancesAPI, filters []dmstypes.Filter) ([]dmstypes.ReplicationInstance, error) {
	var out []dmstypes.ReplicationInstance
	in := &dms.DescribeReplicationInstancesInput{Filters: filters, MaxRecords: aws.Int32(100)}
	for {
		page, err := c.DescribeReplicationInstances(ctx, in)
		if err != nil {
			if isNotFound(err) {
				return out, nil
			}
			return nil, err
		}
		out = append(out, page.ReplicationInstances...)
		if aws.ToString(page.Marker) == "" {
			return out, nil
		}
		in.Marker = page.Marker
	}
}

func listTasks(ctx context.Context, c DescribeReplicationTasksAPI, instanceARN string) ([]dmstypes.ReplicationTask, error) {
	var out []dmstypes.ReplicationTask
	in := &dms.DescribeReplicationTasksInput{
		Filters:         []dmstypes.Filter{{Name: aws.String("replication-instance-arn"), Values: []string{instanceARN}}},
		MaxRecords:      aws.Int32(100),
		WithoutSettings: aws.Bool(true),
	}
	for {
		page, err := c.DescribeReplicationTasks(ctx, in)
		if err != nil {
			if isNotFound(err) {
				return out, nil
			}
			return nil, err
		}
		out = append(out, page.ReplicationTasks...)
		if aws.ToString(page.Marker) == "" {
			return out, nil
		}
		in.Marker = page.Marker
	}
}

func listAliases(ctx context.Context, c ListAliasesAPI) ([]kmstypes.AliasListEntry, error) {
	var out []kmstypes.AliasListEntry
	in := &kms.ListAliasesInput{}
	for {
		page, err := c.ListAliases(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Aliases...)
		if !page.Truncated || aws.ToString(page.NextMarker) == "" {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}

// isNotFound recognises DMS's and KMS's "no such resource" answers: DMS
// answers a Describe* with filters that match nothing with ResourceNotFoundFault.
func isNotFound(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ResourceNotFoundFault", "NotFoundException", "ResourceNotFoundException":
			return true
		}
	}
	return false
}

// describeConfigs describes the serverless config targets of a region and
// the config identifiers in use there.
func describeConfigs(ctx context.Context, c DMSReader, region string, targets []Target, facts *Facts) error {
	if len(targets) == 0 {
		return nil
	}
	facts.ConfigIdentifiers[region] = map[string]bool{}
	in := &dms.DescribeReplicationConfigsInput{}
	for {
		page, err := c.DescribeReplicationConfigs(ctx, in)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("describe replication configs in %s: %w", region, err)
		}
		if page == nil {
			break
		}
		for _, rc := range page.ReplicationConfigs {
			facts.ConfigIdentifiers[region][aws.ToString(rc.ReplicationConfigIdentifier)] = true
		}
		if aws.ToString(page.Marker) == "" {
			break
		}
		in.Marker = page.Marker
	}
	for _, t := range targets {
		cfg, err := describeConfig(ctx, c, t.ARN)
		if err != nil {
			return err
		}
		if cfg != nil {
			facts.Configs[t.ARN] = *cfg
		}
	}
	return nil
}
