package awsemu

import (
	"encoding/json"
	"time"
)

// dmsTask is a DMS replication task.
type dmsTask struct {
	record
	instanceARN       string
	targetInstanceARN string // set while moving
	sourceARN         string
	targetARN         string
	migrationType     string
	tableMappings     string
	settings          string
	taskData          string
	stopReason        string
	lastFailure       string
	startDate         time.Time
	everStarted       bool
	cdcStartPosition  string
	cdcStopPosition   string
	recoveryPoint     string
}

type taskStatsJSON struct {
	FullLoadProgressPercent int32  `json:"FullLoadProgressPercent"`
	ElapsedTimeMillis       int64  `json:"ElapsedTimeMillis"`
	TablesLoaded            int32  `json:"TablesLoaded"`
	TablesLoading           int32  `json:"TablesLoading"`
	TablesQueued            int32  `json:"TablesQueued"`
	TablesErrored           int32  `json:"TablesErrored"`
	StartDate               *epoch `json:"StartDate,omitempty"`
}

type replicationTaskJSON struct {
	ReplicationTaskIdentifier    string         `json:"ReplicationTaskIdentifier"`
	SourceEndpointArn            string         `json:"SourceEndpointArn"`
	TargetEndpointArn            string         `json:"TargetEndpointArn"`
	ReplicationInstanceArn       string         `json:"ReplicationInstanceArn"`
	MigrationType                string         `json:"MigrationType"`
	TableMappings                string         `json:"TableMappings,omitempty"`
	ReplicationTaskSettings      string         `json:"ReplicationTaskSettings,omitempty"`
	Status                       string         `json:"Status"`
	LastFailureMessage           string         `json:"LastFailureMessage,omitempty"`
	StopReason                   string         `json:"StopReason,omitempty"`
	ReplicationTaskCreationDate  *epoch         `json:"ReplicationTaskCreationDate,omitempty"`
	ReplicationTaskStartDate     *epoch         `json:"ReplicationTaskStartDate,omitempty"`
	CdcStartPosition             string         `json:"CdcStartPosition,omitempty"`
	CdcStopPosition              string         `json:"CdcStopPosition,omitempty"`
	RecoveryCheckpoint           string         `json:"RecoveryCheckpoint,omitempty"`
	ReplicationTaskArn           string         `json:"ReplicationTaskArn"`
	ReplicationTaskStats         *taskStatsJSON `json:"ReplicationTaskStats,omitempty"`
	TaskData                     string         `json:"TaskData,omitempty"`
	TargetReplicationInstanceArn string         `json:"TargetReplicationInstanceArn,omitempty"`
}

func (t *dmsTask) view(now time.Time, withSettings bool) replicationTaskJSON {
	v := replicationTaskJSON{
		ReplicationTaskIdentifier: t.id, SourceEndpointArn: t.sourceARN, TargetEndpointArn: t.targetARN,
		ReplicationInstanceArn: t.instanceARN, MigrationType: t.migrationType, Status: t.status,
		LastFailureMessage: t.lastFailure, StopReason: t.stopReason, ReplicationTaskCreationDate: ts(t.created),
		ReplicationTaskStartDate: ts(t.startDate), CdcStartPosition: t.cdcStartPosition, CdcStopPosition: t.cdcStopPosition,
		RecoveryCheckpoint: t.recoveryPoint, ReplicationTaskArn: t.arn, TaskData: t.taskData,
		TargetReplicationInstanceArn: t.targetInstanceARN,
	}
	if withSettings {
		v.TableMappings, v.ReplicationTaskSettings = t.tableMappings, t.settings
	}
	if t.everStarted {
		v.ReplicationTaskStats = &taskStatsJSON{FullLoadProgressPercent: 100, ElapsedTimeMillis: now.Sub(t.startDate).Milliseconds(), TablesLoaded: 1, StartDate: ts(t.startDate)}
	}
	return v
}

// DefaultTaskSettings is the ReplicationTaskSettings of a task created without any.
const DefaultTaskSettings = `{"TargetMetadata":{"TargetSchema":"","SupportLobs":true,"FullLobMode":false,"LobChunkSize":64,"LimitedSizeLobMode":true,"LobMaxSize":32},"FullLoadSettings":{"TargetTablePrepMode":"DROP_AND_CREATE","MaxFullLoadSubTasks":8},"Logging":{"EnableLogging":false}}`

type createTaskInput struct {
	ReplicationTaskIdentifier string   `json:"ReplicationTaskIdentifier"`
	SourceEndpointArn         string   `json:"SourceEndpointArn"`
	TargetEndpointArn         string   `json:"TargetEndpointArn"`
	ReplicationInstanceArn    string   `json:"ReplicationInstanceArn"`
	MigrationType             string   `json:"MigrationType"`
	TableMappings             string   `json:"TableMappings"`
	ReplicationTaskSettings   string   `json:"ReplicationTaskSettings"`
	CdcStartPosition          string   `json:"CdcStartPosition"`
	CdcStopPosition           string   `json:"CdcStopPosition"`
	Tags                      []apiTag `json:"Tags"`
	TaskData                  string   `json:"TaskData"`
	ResourceIdentifier        string   `json:"ResourceIdentifier"`
}

func validMigrationType(t string) *apiError {
	switch t {
	case "full-load", "cdc", "full-load-and-cdc":
		return nil
	case "":
		return required("MigrationType", t)
	}
	return invalidParam("Invalid MigrationType %s: use full-load, cdc or full-load-and-cdc", t)
}

func validJSONParam(name, v string) *apiError {
	if v != "" && !json.Valid([]byte(v)) {
		return invalidParam("%s is not valid JSON", name)
	}
	return nil
}

func (c *call) dmsCreateReplicationTask() (any, *apiError) {
	var in createTaskInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.createTask(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"ReplicationTask": t.view(c.now, true)}, nil
}

func (c *call) createTask(in createTaskInput) (*dmsTask, *apiError) {
	id, aerr := validIdentifier("ReplicationTaskIdentifier", in.ReplicationTaskIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	for name, v := range map[string]string{"SourceEndpointArn": in.SourceEndpointArn, "TargetEndpointArn": in.TargetEndpointArn, "ReplicationInstanceArn": in.ReplicationInstanceArn, "TableMappings": in.TableMappings} {
		if aerr := required(name, v); aerr != nil {
			return nil, aerr
		}
	}
	if aerr := validMigrationType(in.MigrationType); aerr != nil {
		return nil, aerr
	}
	if aerr := validJSONParam("TableMappings", in.TableMappings); aerr != nil {
		return nil, aerr
	}
	if aerr := validJSONParam("ReplicationTaskSettings", in.ReplicationTaskSettings); aerr != nil {
		return nil, aerr
	}
	z := c.zone()
	if aerr := freeIdentifier(c, &z.tasks, nil, "ReplicationTask", id); aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkEndpointPair(in.SourceEndpointArn, in.TargetEndpointArn); aerr != nil {
		return nil, aerr
	}
	inst, aerr := c.instanceByARN(in.ReplicationInstanceArn, "")
	if aerr != nil {
		return nil, aerr
	}
	if inst.status != "available" {
		return nil, invalidResourceState("Replication instance %s is %s; tasks can be created only on an available instance", inst.id, inst.status)
	}
	rid, aerr := resourceIDFor(in.ResourceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	t := &dmsTask{instanceARN: inst.arn, sourceARN: in.SourceEndpointArn, targetARN: in.TargetEndpointArn,
		migrationType: in.MigrationType, tableMappings: in.TableMappings, settings: in.ReplicationTaskSettings,
		taskData: in.TaskData, cdcStartPosition: in.CdcStartPosition, cdcStopPosition: in.CdcStopPosition}
	if t.settings == "" {
		t.settings = DefaultTaskSettings
	}
	t.record = c.newRecord(id, "task", rid, "")
	if aerr := c.authorize("dms:CreateReplicationTask", t.arn); aerr != nil {
		return nil, aerr
	}
	t.tags = tagsFromAPI(in.Tags)
	t.transition(c.now, c.delayed(), "creating", "ready", nil)
	z.tasks.add(t)
	return t, nil
}

// checkEndpointPair checks that source and target name existing endpoints of the right types.
func (c *call) checkEndpointPair(source, target string) *apiError {
	src, aerr := byARN(c, &c.zone().endpoints, "Endpoint", "SourceEndpointArn", source, "")
	if aerr != nil {
		return aerr
	}
	dst, aerr := byARN(c, &c.zone().endpoints, "Endpoint", "TargetEndpointArn", target, "")
	if aerr != nil {
		return aerr
	}
	if src.endpointType != "SOURCE" {
		return invalidParam("Endpoint %s is not a source endpoint", source)
	}
	if dst.endpointType != "TARGET" {
		return invalidParam("Endpoint %s is not a target endpoint", target)
	}
	return nil
}

func (c *call) dmsDescribeReplicationTasks() (any, *apiError) {
	var in struct {
		describeInput
		WithoutSettings bool `json:"WithoutSettings"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().tasks, in.describeInput, describeQuery[*dmsTask]{
		filters:  []string{"replication-task-arn", "replication-task-id", "migration-type", "endpoint-arn", "replication-instance-arn"},
		idFilter: "replication-task-id", arnFilter: "replication-task-arn",
		match: func(fs filterSet, t *dmsTask) bool {
			endpointOK := fs.match("endpoint-arn", t.sourceARN) || fs.match("endpoint-arn", t.targetARN)
			return fs.match("migration-type", t.migrationType) && endpointOK && fs.match("replication-instance-arn", t.instanceARN)
		},
		none: "No replication tasks found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("ReplicationTasks", page, next, func(t *dmsTask) replicationTaskJSON { return t.view(c.now, !in.WithoutSettings) }), nil
}

func (c *call) taskByARN(arn, action string) (*dmsTask, *apiError) {
	return byARN(c, &c.zone().tasks, "Replication task", "ReplicationTaskArn", arn, action)
}

func (c *call) dmsStartReplicationTask() (any, *apiError) {
	var in struct {
		ReplicationTaskArn       string `json:"ReplicationTaskArn"`
		StartReplicationTaskType string `json:"StartReplicationTaskType"`
		CdcStartPosition         string `json:"CdcStartPosition"`
		CdcStopPosition          string `json:"CdcStopPosition"`
		CdcStartTime             *epoch `json:"CdcStartTime"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.taskByARN(in.ReplicationTaskArn, "dms:StartReplicationTask")
	if aerr != nil {
		return nil, aerr
	}
	switch in.StartReplicationTaskType {
	case "start-replication":
		if t.status != "ready" && t.status != "stopped" && t.status != "failed" {
			return nil, invalidResourceState("Replication task %s is %s; it cannot be started", t.id, t.status)
		}
	case "resume-processing", "reload-target":
		if t.status != "stopped" && t.status != "failed" && t.status != "ready" {
			return nil, invalidResourceState("Replication task %s is %s; it cannot be started", t.id, t.status)
		}
		if !t.everStarted && t.status == "ready" && in.StartReplicationTaskType == "reload-target" {
			return nil, invalidResourceState("Replication task %s has never run; start it with start-replication", t.id)
		}
	case "":
		return nil, required("StartReplicationTaskType", "")
	default:
		return nil, invalidParam("Invalid StartReplicationTaskType %s: use start-replication, resume-processing or reload-target", in.StartReplicationTaskType)
	}
	inst, ok := c.zone().instances.byArn(t.instanceARN, c.now)
	if !ok || inst.status != "available" {
		return nil, invalidResourceState("The replication instance of task %s is not available", t.id)
	}
	if in.CdcStartPosition != "" {
		t.cdcStartPosition = in.CdcStartPosition
	}
	if in.CdcStopPosition != "" {
		t.cdcStopPosition = in.CdcStopPosition
	}
	if in.StartReplicationTaskType != "resume-processing" || !t.everStarted {
		t.startDate = c.now
	}
	t.everStarted = true
	t.stopReason, t.lastFailure = "", ""
	t.transition(c.now, c.delayed(), "starting", "running", nil)
	return map[string]any{"ReplicationTask": t.view(c.now, true)}, nil
}

func (c *call) dmsStopReplicationTask() (any, *apiError) {
	var in struct {
		ReplicationTaskArn string `json:"ReplicationTaskArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.taskByARN(in.ReplicationTaskArn, "dms:StopReplicationTask")
	if aerr != nil {
		return nil, aerr
	}
	if t.status != "running" && t.status != "starting" {
		return nil, invalidResourceState("Replication task %s is %s; only a running task can be stopped", t.id, t.status)
	}
	t.recoveryPoint = "checkpoint:V1#" + itoa(int(c.now.Unix()))
	t.transition(c.now, c.delayed(), "stopping", "stopped", func() { t.stopReason = "Stop Reason NORMAL" })
	return map[string]any{"ReplicationTask": t.view(c.now, true)}, nil
}

func (c *call) dmsDeleteReplicationTask() (any, *apiError) {
	var in struct {
		ReplicationTaskArn string `json:"ReplicationTaskArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.taskByARN(in.ReplicationTaskArn, "dms:DeleteReplicationTask")
	if aerr != nil {
		return nil, aerr
	}
	switch t.status {
	case "running", "starting", "stopping", "moving", "deleting", "creating":
		return nil, invalidResourceState("Replication task %s is %s; it cannot be deleted now", t.id, t.status)
	}
	t.transition(c.now, c.delayed(), "deleting", statusGone, nil)
	return map[string]any{"ReplicationTask": t.view(c.now, true)}, nil
}

func (c *call) dmsModifyReplicationTask() (any, *apiError) {
	var in struct {
		ReplicationTaskArn        string `json:"ReplicationTaskArn"`
		ReplicationTaskIdentifier string `json:"ReplicationTaskIdentifier"`
		MigrationType             string `json:"MigrationType"`
		TableMappings             string `json:"TableMappings"`
		ReplicationTaskSettings   string `json:"ReplicationTaskSettings"`
		CdcStartPosition          string `json:"CdcStartPosition"`
		CdcStopPosition           string `json:"CdcStopPosition"`
		TaskData                  string `json:"TaskData"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.taskByARN(in.ReplicationTaskArn, "dms:ModifyReplicationTask")
	if aerr != nil {
		return nil, aerr
	}
	switch t.status {
	case "ready", "stopped", "failed":
	default:
		return nil, invalidResourceState("Replication task %s is %s; it can be modified only when ready, stopped or failed", t.id, t.status)
	}
	if in.MigrationType != "" {
		if aerr := validMigrationType(in.MigrationType); aerr != nil {
			return nil, aerr
		}
	}
	if aerr := validJSONParam("TableMappings", in.TableMappings); aerr != nil {
		return nil, aerr
	}
	if aerr := validJSONParam("ReplicationTaskSettings", in.ReplicationTaskSettings); aerr != nil {
		return nil, aerr
	}
	newID, aerr := newIdentifier(c, &c.zone().tasks, t, "ReplicationTask", "ReplicationTaskIdentifier", in.ReplicationTaskIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	c.zone().tasks.rename(t, newID)
	for dst, v := range map[*string]string{&t.migrationType: in.MigrationType, &t.tableMappings: in.TableMappings, &t.settings: in.ReplicationTaskSettings, &t.cdcStartPosition: in.CdcStartPosition, &t.cdcStopPosition: in.CdcStopPosition, &t.taskData: in.TaskData} {
		if v != "" {
			*dst = v
		}
	}
	prev := t.status
	t.transition(c.now, c.delayed(), "modifying", prev, nil)
	return map[string]any{"ReplicationTask": t.view(c.now, true)}, nil
}

func (c *call) dmsMoveReplicationTask() (any, *apiError) {
	var in struct {
		ReplicationTaskArn           string `json:"ReplicationTaskArn"`
		TargetReplicationInstanceArn string `json:"TargetReplicationInstanceArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	if aerr := required("TargetReplicationInstanceArn", in.TargetReplicationInstanceArn); aerr != nil {
		return nil, aerr
	}
	t, aerr := c.taskByARN(in.ReplicationTaskArn, "dms:MoveReplicationTask")
	if aerr != nil {
		return nil, aerr
	}
	switch t.status {
	case "stopped", "failed", "failed-move", "ready":
	default:
		return nil, invalidResourceState("Replication task %s is %s; only a stopped, failed or failed-move task can be moved", t.id, t.status)
	}
	if in.TargetReplicationInstanceArn == t.instanceARN {
		return nil, invalidParam("Replication task %s is already on replication instance %s", t.id, in.TargetReplicationInstanceArn)
	}
	target, aerr := byARN(c, &c.zone().instances, "Replication instance", "TargetReplicationInstanceArn", in.TargetReplicationInstanceArn, "")
	if aerr != nil {
		return nil, aerr
	}
	if target.status != "available" {
		return nil, invalidResourceState("Target replication instance %s is %s; it must be available", target.id, target.status)
	}
	if source, ok := c.zone().instances.byArn(t.instanceARN, c.now); ok {
		if compareVersions(target.engineVersion, source.engineVersion) < 0 {
			return nil, invalidParam("Target replication instance %s runs engine version %s, older than %s on %s", target.id, target.engineVersion, source.engineVersion, source.id)
		}
		if target.allocatedStorage < source.allocatedStorage {
			return nil, invalidParam("Target replication instance %s has %d GiB of storage, less than the %d GiB of %s", target.id, target.allocatedStorage, source.allocatedStorage, source.id)
		}
	}
	after := t.status
	if after == "failed-move" || after == "failed" {
		after = "stopped"
	}
	t.targetInstanceARN = target.arn
	t.transition(c.now, c.delayed(), "moving", after, func() {
		t.instanceARN, t.targetInstanceARN = target.arn, ""
	})
	return map[string]any{"ReplicationTask": t.view(c.now, true)}, nil
}
