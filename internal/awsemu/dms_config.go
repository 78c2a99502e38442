package awsemu

import "time"

// dmsConfig is a DMS Serverless replication config and its replication.
type dmsConfig struct {
	record
	sourceARN, targetARN string
	replicationType      string
	compute              computeConfigJSON
	tableMappings        string
	settings             string
	supplemental         string
	updated              time.Time
	started              bool   // a replication has started: the config is frozen
	replication          string // the replication's status: created, running, stopped
	startType            string
	premigration         []premigrationStatusJSON // dms_assessments.go
}

type computeConfigJSON struct {
	AvailabilityZone           string   `json:"AvailabilityZone,omitempty"`
	DNSNameServers             string   `json:"DnsNameServers,omitempty"`
	KmsKeyID                   string   `json:"KmsKeyId,omitempty"`
	MaxCapacityUnits           *int32   `json:"MaxCapacityUnits,omitempty"`
	MinCapacityUnits           *int32   `json:"MinCapacityUnits,omitempty"`
	MultiAZ                    *bool    `json:"MultiAZ,omitempty"`
	PreferredMaintenanceWindow string   `json:"PreferredMaintenanceWindow,omitempty"`
	ReplicationSubnetGroupID   string   `json:"ReplicationSubnetGroupId,omitempty"`
	VpcSecurityGroupIDs        []string `json:"VpcSecurityGroupIds,omitempty"`
}

type replicationConfigJSON struct {
	ReplicationConfigIdentifier string            `json:"ReplicationConfigIdentifier"`
	ReplicationConfigArn        string            `json:"ReplicationConfigArn"`
	SourceEndpointArn           string            `json:"SourceEndpointArn"`
	TargetEndpointArn           string            `json:"TargetEndpointArn"`
	ReplicationType             string            `json:"ReplicationType"`
	ComputeConfig               computeConfigJSON `json:"ComputeConfig"`
	ReplicationSettings         string            `json:"ReplicationSettings,omitempty"`
	SupplementalSettings        string            `json:"SupplementalSettings,omitempty"`
	TableMappings               string            `json:"TableMappings,omitempty"`
	ReplicationConfigCreateTime *epoch            `json:"ReplicationConfigCreateTime,omitempty"`
	ReplicationConfigUpdateTime *epoch            `json:"ReplicationConfigUpdateTime,omitempty"`
}

func (rc *dmsConfig) view() replicationConfigJSON {
	cc := rc.compute
	cc.VpcSecurityGroupIDs = append([]string(nil), cc.VpcSecurityGroupIDs...)
	return replicationConfigJSON{ReplicationConfigIdentifier: rc.id, ReplicationConfigArn: rc.arn,
		SourceEndpointArn: rc.sourceARN, TargetEndpointArn: rc.targetARN, ReplicationType: rc.replicationType,
		ComputeConfig: cc, ReplicationSettings: rc.settings, SupplementalSettings: rc.supplemental,
		TableMappings: rc.tableMappings, ReplicationConfigCreateTime: ts(rc.created), ReplicationConfigUpdateTime: ts(rc.updated)}
}

type createConfigInput struct {
	ReplicationConfigIdentifier string            `json:"ReplicationConfigIdentifier"`
	SourceEndpointArn           string            `json:"SourceEndpointArn"`
	TargetEndpointArn           string            `json:"TargetEndpointArn"`
	ComputeConfig               computeConfigJSON `json:"ComputeConfig"`
	ReplicationType             string            `json:"ReplicationType"`
	TableMappings               string            `json:"TableMappings"`
	ReplicationSettings         string            `json:"ReplicationSettings"`
	SupplementalSettings        string            `json:"SupplementalSettings"`
	ResourceIdentifier          string            `json:"ResourceIdentifier"`
	Tags                        []apiTag          `json:"Tags"`
}

// checkCompute validates a ComputeConfig and resolves its key to an ARN.
func (c *call) checkCompute(cc *computeConfigJSON) *apiError {
	if cc.MaxCapacityUnits == nil {
		return required("ComputeConfig.MaxCapacityUnits", "")
	}
	valid := map[int32]bool{1: true, 2: true, 4: true, 8: true, 16: true, 32: true, 64: true, 128: true, 192: true, 256: true, 384: true}
	if !valid[*cc.MaxCapacityUnits] || (cc.MinCapacityUnits != nil && (!valid[*cc.MinCapacityUnits] || *cc.MinCapacityUnits > *cc.MaxCapacityUnits)) {
		return invalidParam("Capacity units must be one of 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384, with MinCapacityUnits <= MaxCapacityUnits")
	}
	if cc.ReplicationSubnetGroupID != "" {
		if _, aerr := c.subnetGroupOrDefault(cc.ReplicationSubnetGroupID); aerr != nil {
			return aerr
		}
	}
	arn, aerr := c.dmsKey(cc.KmsKeyID)
	if aerr != nil {
		return aerr
	}
	cc.KmsKeyID = arn
	return nil
}

func (c *call) dmsCreateReplicationConfig() (any, *apiError) {
	var in createConfigInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	rc, aerr := c.createConfig(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"ReplicationConfig": rc.view()}, nil
}

func (c *call) createConfig(in createConfigInput) (*dmsConfig, *apiError) {
	id, aerr := validIdentifier("ReplicationConfigIdentifier", in.ReplicationConfigIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	for name, v := range map[string]string{"SourceEndpointArn": in.SourceEndpointArn, "TargetEndpointArn": in.TargetEndpointArn, "TableMappings": in.TableMappings} {
		if aerr := required(name, v); aerr != nil {
			return nil, aerr
		}
	}
	if in.ReplicationType == "" {
		return nil, required("ReplicationType", "")
	}
	if aerr := validMigrationType(in.ReplicationType); aerr != nil {
		return nil, aerr
	}
	for name, v := range map[string]string{"TableMappings": in.TableMappings, "ReplicationSettings": in.ReplicationSettings, "SupplementalSettings": in.SupplementalSettings} {
		if aerr := validJSONParam(name, v); aerr != nil {
			return nil, aerr
		}
	}
	z := c.zone()
	if aerr := freeIdentifier(c, &z.configs, nil, "ReplicationConfig", id); aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkEndpointPair(in.SourceEndpointArn, in.TargetEndpointArn); aerr != nil {
		return nil, aerr
	}
	cc := in.ComputeConfig
	if aerr := c.checkCompute(&cc); aerr != nil {
		return nil, aerr
	}
	rid, aerr := resourceIDFor(in.ResourceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	rc := &dmsConfig{sourceARN: in.SourceEndpointArn, targetARN: in.TargetEndpointArn, replicationType: in.ReplicationType,
		compute: cc, tableMappings: in.TableMappings, settings: in.ReplicationSettings, supplemental: in.SupplementalSettings,
		updated: c.now, replication: "created"}
	rc.record = c.newRecord(id, "replication-config", rid, "created")
	if aerr := c.authorize("dms:CreateReplicationConfig", rc.arn); aerr != nil {
		return nil, aerr
	}
	rc.tags = tagsFromAPI(in.Tags)
	z.configs.add(rc)
	return rc, nil
}

func (c *call) dmsDescribeReplicationConfigs() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().configs, in, describeQuery[*dmsConfig]{
		filters:  []string{"replication-config-arn", "replication-config-id"},
		idFilter: "replication-config-id", arnFilter: "replication-config-arn",
		none: "No replication configs found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("ReplicationConfigs", page, next, (*dmsConfig).view), nil
}

func (c *call) configByARN(arn, action string) (*dmsConfig, *apiError) {
	return byARN(c, &c.zone().configs, "Replication config", "ReplicationConfigArn", arn, action)
}

func (c *call) dmsModifyReplicationConfig() (any, *apiError) {
	var in struct {
		ReplicationConfigArn        string             `json:"ReplicationConfigArn"`
		ReplicationConfigIdentifier string             `json:"ReplicationConfigIdentifier"`
		ReplicationType             string             `json:"ReplicationType"`
		TableMappings               string             `json:"TableMappings"`
		ReplicationSettings         string             `json:"ReplicationSettings"`
		SupplementalSettings        string             `json:"SupplementalSettings"`
		ComputeConfig               *computeConfigJSON `json:"ComputeConfig"`
		SourceEndpointArn           string             `json:"SourceEndpointArn"`
		TargetEndpointArn           string             `json:"TargetEndpointArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	rc, aerr := c.configByARN(in.ReplicationConfigArn, "dms:ModifyReplicationConfig")
	if aerr != nil {
		return nil, aerr
	}
	if rc.started {
		return nil, invalidResourceState("Replication config %s cannot be modified: its replication has already started", rc.id)
	}
	if in.ReplicationType != "" {
		if aerr := validMigrationType(in.ReplicationType); aerr != nil {
			return nil, aerr
		}
	}
	for name, v := range map[string]string{"TableMappings": in.TableMappings, "ReplicationSettings": in.ReplicationSettings, "SupplementalSettings": in.SupplementalSettings} {
		if aerr := validJSONParam(name, v); aerr != nil {
			return nil, aerr
		}
	}
	src, dst := rc.sourceARN, rc.targetARN
	if in.SourceEndpointArn != "" {
		src = in.SourceEndpointArn
	}
	if in.TargetEndpointArn != "" {
		dst = in.TargetEndpointArn
	}
	if aerr := c.checkEndpointPair(src, dst); aerr != nil {
		return nil, aerr
	}
	cc := rc.compute
	if in.ComputeConfig != nil {
		cc = *in.ComputeConfig
		if cc.MaxCapacityUnits == nil {
			cc.MaxCapacityUnits = rc.compute.MaxCapacityUnits
		}
		if aerr := c.checkCompute(&cc); aerr != nil {
			return nil, aerr
		}
	}
	newID, aerr := newIdentifier(c, &c.zone().configs, rc, "ReplicationConfig", "ReplicationConfigIdentifier", in.ReplicationConfigIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	c.zone().configs.rename(rc, newID)
	rc.sourceARN, rc.targetARN, rc.compute = src, dst, cc
	for dst, v := range map[*string]string{&rc.replicationType: in.ReplicationType, &rc.tableMappings: in.TableMappings, &rc.settings: in.ReplicationSettings, &rc.supplemental: in.SupplementalSettings} {
		if v != "" {
			*dst = v
		}
	}
	rc.updated = c.now
	return map[string]any{"ReplicationConfig": rc.view()}, nil
}

func (c *call) dmsDeleteReplicationConfig() (any, *apiError) {
	var in struct {
		ReplicationConfigArn string `json:"ReplicationConfigArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	rc, aerr := c.configByARN(in.ReplicationConfigArn, "dms:DeleteReplicationConfig")
	if aerr != nil {
		return nil, aerr
	}
	if rc.replication == "running" {
		return nil, invalidResourceState("Replication config %s has a running replication; stop it first", rc.id)
	}
	view := rc.view()
	rc.status = statusGone
	c.zone().configs.drop(rc)
	return map[string]any{"ReplicationConfig": view}, nil
}

type replicationJSON struct {
	ReplicationConfigIdentifier string `json:"ReplicationConfigIdentifier"`
	ReplicationConfigArn        string `json:"ReplicationConfigArn"`
	SourceEndpointArn           string `json:"SourceEndpointArn"`
	TargetEndpointArn           string `json:"TargetEndpointArn"`
	ReplicationType             string `json:"ReplicationType"`
	Status                      string `json:"Status"`
	StartReplicationType        string `json:"StartReplicationType,omitempty"`
	ReplicationCreateTime       *epoch `json:"ReplicationCreateTime,omitempty"`
	ReplicationUpdateTime       *epoch `json:"ReplicationUpdateTime,omitempty"`
	// PremigrationAssessmentStatuses: dms_assessments.go.
	PremigrationAssessmentStatuses []premigrationStatusJSON `json:"PremigrationAssessmentStatuses,omitempty"`
}

func (rc *dmsConfig) replicationView() replicationJSON {
	return replicationJSON{ReplicationConfigIdentifier: rc.id, ReplicationConfigArn: rc.arn, SourceEndpointArn: rc.sourceARN,
		TargetEndpointArn: rc.targetARN, ReplicationType: rc.replicationType, Status: rc.replication,
		StartReplicationType: rc.startType, ReplicationCreateTime: ts(rc.created), ReplicationUpdateTime: ts(rc.updated),
		PremigrationAssessmentStatuses: rc.premigration}
}

func (c *call) dmsStartReplication() (any, *apiError) {
	var in struct {
		ReplicationConfigArn string `json:"ReplicationConfigArn"`
		StartReplicationType string `json:"StartReplicationType"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	rc, aerr := c.configByARN(in.ReplicationConfigArn, "dms:StartReplication")
	if aerr != nil {
		return nil, aerr
	}
	switch in.StartReplicationType {
	case "start-replication", "resume-processing", "reload-target":
	case "":
		return nil, required("StartReplicationType", "")
	default:
		return nil, invalidParam("Invalid StartReplicationType %s", in.StartReplicationType)
	}
	if rc.replication == "running" {
		return nil, invalidResourceState("The replication of %s is already running", rc.id)
	}
	rc.started, rc.replication, rc.startType, rc.updated = true, "running", in.StartReplicationType, c.now
	return map[string]any{"Replication": rc.replicationView()}, nil
}

func (c *call) dmsStopReplication() (any, *apiError) {
	var in struct {
		ReplicationConfigArn string `json:"ReplicationConfigArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	rc, aerr := c.configByARN(in.ReplicationConfigArn, "dms:StopReplication")
	if aerr != nil {
		return nil, aerr
	}
	if rc.replication != "running" {
		return nil, invalidResourceState("The replication of %s is not running", rc.id)
	}
	rc.replication, rc.updated = "stopped", c.now
	return map[string]any{"Replication": rc.replicationView()}, nil
}

func (c *call) dmsDescribeReplications() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().configs, in, describeQuery[*dmsConfig]{
		filters:  []string{"replication-config-arn", "replication-config-id", "replication-type"},
		idFilter: "replication-config-id", arnFilter: "replication-config-arn",
		match: func(fs filterSet, rc *dmsConfig) bool { return fs.match("replication-type", rc.replicationType) },
		// no none: filters that match nothing give an empty list
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("Replications", page, next, (*dmsConfig).replicationView), nil
}
