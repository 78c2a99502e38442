package awsemu

import "strings"

// dmsAssessmentRun is a premigration assessment run of a replication
// task. DMS writes its results to S3 with ResultEncryptionMode (SSE_S3 or
// SSE_KMS with ResultKmsKeyArn); without one, S3's default (SSE_S3).
type dmsAssessmentRun struct {
	record
	name, taskARN, instanceARN, role, bucket, folder, encryptionMode, kmsKeyArn string
}

// assessmentRunJSON is the model's ReplicationTaskAssessmentRun shape.
type assessmentRunJSON struct {
	ReplicationTaskAssessmentRunArn          string `json:"ReplicationTaskAssessmentRunArn"`
	ReplicationTaskArn                       string `json:"ReplicationTaskArn"`
	Status                                   string `json:"Status"`
	ReplicationTaskAssessmentRunCreationDate *epoch `json:"ReplicationTaskAssessmentRunCreationDate,omitempty"`
	ServiceAccessRoleArn                     string `json:"ServiceAccessRoleArn,omitempty"`
	ResultLocationBucket                     string `json:"ResultLocationBucket,omitempty"`
	ResultLocationFolder                     string `json:"ResultLocationFolder,omitempty"`
	ResultEncryptionMode                     string `json:"ResultEncryptionMode,omitempty"`
	ResultKmsKeyArn                          string `json:"ResultKmsKeyArn,omitempty"`
	AssessmentRunName                        string `json:"AssessmentRunName"`
}

func (r *dmsAssessmentRun) view() assessmentRunJSON {
	return assessmentRunJSON{ReplicationTaskAssessmentRunArn: r.arn, ReplicationTaskArn: r.taskARN, Status: r.status,
		ReplicationTaskAssessmentRunCreationDate: ts(r.created), ServiceAccessRoleArn: r.role, ResultLocationBucket: r.bucket,
		ResultLocationFolder: r.folder, ResultEncryptionMode: r.encryptionMode, ResultKmsKeyArn: r.kmsKeyArn, AssessmentRunName: r.name}
}

// startAssessmentRunInput is the model's StartReplicationTaskAssessmentRunMessage.
type startAssessmentRunInput struct {
	ReplicationTaskArn   string   `json:"ReplicationTaskArn"`
	ServiceAccessRoleArn string   `json:"ServiceAccessRoleArn"`
	ResultLocationBucket string   `json:"ResultLocationBucket"`
	ResultLocationFolder string   `json:"ResultLocationFolder"`
	ResultEncryptionMode string   `json:"ResultEncryptionMode"`
	ResultKmsKeyArn      string   `json:"ResultKmsKeyArn"`
	AssessmentRunName    string   `json:"AssessmentRunName"`
	Tags                 []apiTag `json:"Tags"`
}

func (c *call) dmsStartReplicationTaskAssessmentRun() (any, *apiError) {
	var in startAssessmentRunInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.startAssessmentRun(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"ReplicationTaskAssessmentRun": r.view()}, nil
}

func (c *call) startAssessmentRun(in startAssessmentRunInput) (*dmsAssessmentRun, *apiError) {
	for name, v := range map[string]string{"ReplicationTaskArn": in.ReplicationTaskArn, "ServiceAccessRoleArn": in.ServiceAccessRoleArn,
		"ResultLocationBucket": in.ResultLocationBucket, "AssessmentRunName": in.AssessmentRunName} {
		if aerr := required(name, v); aerr != nil {
			return nil, aerr
		}
	}
	z := c.zone()
	task, ok := z.tasks.byArn(in.ReplicationTaskArn, c.now)
	if !ok {
		return nil, notFound("Replication task %s not found", in.ReplicationTaskArn)
	}
	mode := strings.ToUpper(in.ResultEncryptionMode)
	switch mode {
	case "", "SSE_S3":
		if in.ResultKmsKeyArn != "" {
			return nil, invalidParam("ResultKmsKeyArn can be given only with ResultEncryptionMode SSE_KMS")
		}
	case "SSE_KMS":
		if in.ResultKmsKeyArn == "" {
			return nil, invalidParam("ResultKmsKeyArn is required with ResultEncryptionMode SSE_KMS")
		}
	default:
		return nil, invalidParam("Invalid ResultEncryptionMode %s: use SSE_S3 or SSE_KMS", in.ResultEncryptionMode)
	}
	id := strings.ToLower(in.AssessmentRunName)
	if aerr := freeIdentifier(c, &z.assessmentRuns, nil, "Assessment run", id); aerr != nil {
		return nil, aerr
	}
	r := &dmsAssessmentRun{name: in.AssessmentRunName, taskARN: task.arn, instanceARN: task.instanceARN, role: in.ServiceAccessRoleArn,
		bucket: in.ResultLocationBucket, folder: in.ResultLocationFolder, encryptionMode: mode}
	r.record = c.newRecord(id, "assessment-run", opaqueID(), "passed")
	if aerr := c.authorize("dms:StartReplicationTaskAssessmentRun", r.arn); aerr != nil {
		return nil, aerr
	}
	if mode == "SSE_KMS" {
		if _, aerr := c.dmsKey(in.ResultKmsKeyArn); aerr != nil {
			return nil, aerr
		}
		r.kmsKeyArn = in.ResultKmsKeyArn
	}
	r.tags = tagsFromAPI(in.Tags)
	z.assessmentRuns.add(r)
	return r, nil
}

func (c *call) dmsDescribeReplicationTaskAssessmentRuns() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().assessmentRuns, in, describeQuery[*dmsAssessmentRun]{
		filters:   []string{"replication-task-assessment-run-arn", "replication-task-arn", "replication-instance-arn", "status"},
		arnFilter: "replication-task-assessment-run-arn",
		match: func(fs filterSet, r *dmsAssessmentRun) bool {
			return fs.match("replication-task-arn", r.taskARN) && fs.match("replication-instance-arn", r.instanceARN) && fs.match("status", r.status)
		},
		none: "No assessment runs found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("ReplicationTaskAssessmentRuns", page, next, (*dmsAssessmentRun).view), nil
}

// EstateAssessmentRun is a premigration assessment run of a replication task.
type EstateAssessmentRun struct {
	Name    string `json:"name"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Task is the identifier of a replication task of the same account and region.
	Task string `json:"task"`
	// Bucket is the S3 bucket of the results (default: cmkguard-assessments).
	Bucket string `json:"bucket,omitempty"`
	// EncryptionMode is SSE_S3, SSE_KMS or empty (no setting: S3's default).
	EncryptionMode string `json:"encryptionMode,omitempty"`
	// KmsKey is ResultKmsKeyArn, with EncryptionMode SSE_KMS.
	KmsKey string `json:"kmsKey,omitempty"`
}

func (l *estateLoader) assessmentRuns(runs []EstateAssessmentRun) error {
	for _, ar := range runs {
		c, err := l.call(ar.Account, ar.Region)
		if err != nil {
			return wrap("assessment run", ar.Name, err)
		}
		task, ok := c.zone().tasks.byIdentifier(strings.ToLower(ar.Task), c.now)
		if !ok {
			return wrap("assessment run", ar.Name, apiErr(notFound("replication task %s not found", ar.Task)))
		}
		in := startAssessmentRunInput{ReplicationTaskArn: task.arn, AssessmentRunName: ar.Name,
			ServiceAccessRoleArn: "arn:aws:iam::" + c.caller.Account + ":role/dms-assessments",
			ResultLocationBucket: orDefault(ar.Bucket, "cmkguard-assessments"), ResultEncryptionMode: ar.EncryptionMode, ResultKmsKeyArn: ar.KmsKey}
		if _, aerr := c.startAssessmentRun(in); aerr != nil {
			return wrap("assessment run", ar.Name, apiErr(aerr))
		}
	}
	return nil
}

// premigrationStatusJSON is the model's PremigrationAssessmentStatus: a
// DMS Serverless replication's premigration assessment, whose results DMS
// writes to S3 like a task assessment run's.
type premigrationStatusJSON struct {
	PremigrationAssessmentRunArn          string `json:"PremigrationAssessmentRunArn"`
	PremigrationAssessmentRunCreationDate *epoch `json:"PremigrationAssessmentRunCreationDate,omitempty"`
	Status                                string `json:"Status"`
	ResultLocationBucket                  string `json:"ResultLocationBucket,omitempty"`
	ResultEncryptionMode                  string `json:"ResultEncryptionMode,omitempty"`
	ResultKmsKeyArn                       string `json:"ResultKmsKeyArn,omitempty"`
}

// EstatePremigrationAssessment is a premigration assessment of a DMS
// Serverless replication (seeded only: the emulator's StartReplication
// does not take PremigrationAssessmentSettings).
type EstatePremigrationAssessment struct {
	// EncryptionMode is SSE_S3, SSE_KMS or empty (no setting).
	EncryptionMode string `json:"encryptionMode,omitempty"`
	KmsKey         string `json:"kmsKey,omitempty"`
	Bucket         string `json:"bucket,omitempty"`
}

func premigrationOf(c *call, cfg *dmsConfig, assessments []EstatePremigrationAssessment) error {
	for _, a := range assessments {
		mode := strings.ToUpper(a.EncryptionMode)
		if (mode == "SSE_KMS") != (a.KmsKey != "") || (mode != "" && mode != "SSE_S3" && mode != "SSE_KMS") {
			return apiErr(invalidParam("premigration assessment: ResultKmsKeyArn goes with ResultEncryptionMode SSE_KMS only"))
		}
		if a.KmsKey != "" {
			if _, aerr := c.dmsKey(a.KmsKey); aerr != nil {
				return apiErr(aerr)
			}
		}
		cfg.premigration = append(cfg.premigration, premigrationStatusJSON{
			PremigrationAssessmentRunArn:          dmsARN(c.region, c.caller.Account, "assessment-run", opaqueID()),
			PremigrationAssessmentRunCreationDate: ts(c.now), Status: "passed",
			ResultLocationBucket: orDefault(a.Bucket, "cmkguard-assessments"), ResultEncryptionMode: mode, ResultKmsKeyArn: a.KmsKey})
	}
	return nil
}
