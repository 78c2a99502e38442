package awsemu

// Estate seeds the emulator: accounts, regions, keys, DMS resources, deny
// rules and credentials. Field names are those of the estate file (YAML or
// JSON); internal/estatefile reads one. Every resource belongs to an account
// (default: DefaultAccount) and a region (default: DefaultRegion).
type Estate struct {
	// DefaultAccount is the account unknown access keys act as.
	DefaultAccount string `json:"defaultAccount,omitempty"`
	// DefaultRegion is the region of resources that name none. Default us-east-1.
	DefaultRegion string `json:"defaultRegion,omitempty"`
	// Accounts are the accounts the emulator knows (Organizations lists them).
	Accounts []EstateAccount `json:"accounts,omitempty"`
	// Organization, when set, makes DescribeOrganization and ListAccounts work.
	Organization *EstateOrganization `json:"organization,omitempty"`
	// Regions replaces the standard region list when not empty.
	Regions []EstateRegion `json:"regions,omitempty"`
	// Credentials map access key ids to an account and principal.
	Credentials []EstateCredential `json:"credentials,omitempty"`
	// Roles are the role ARNs that exist, the only ones AssumeRole accepts
	// (others are AccessDenied, as in AWS). Each must be in a known account.
	Roles []string `json:"roles,omitempty"`

	Keys                 []EstateKey                 `json:"keys,omitempty"`
	SubnetGroups         []EstateSubnetGroup         `json:"subnetGroups,omitempty"`
	ReplicationInstances []EstateReplicationInstance `json:"replicationInstances,omitempty"`
	Endpoints            []EstateEndpoint            `json:"endpoints,omitempty"`
	ReplicationTasks     []EstateReplicationTask     `json:"replicationTasks,omitempty"`
	ReplicationConfigs   []EstateReplicationConfig   `json:"replicationConfigs,omitempty"`
	InstanceProfiles     []EstateInstanceProfile     `json:"instanceProfiles,omitempty"`
	Certificates         []EstateCertificate         `json:"certificates,omitempty"`
	AssessmentRuns       []EstateAssessmentRun       `json:"assessmentRuns,omitempty"`

	// Deny rules active from the start.
	Deny []DenyRule `json:"deny,omitempty"`
	// Faults active from the start.
	Faults *EstateFaults `json:"faults,omitempty"`
}

// EstateAccount is an AWS account.
type EstateAccount struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Status is ACTIVE (default), SUSPENDED or PENDING_CLOSURE.
	Status string `json:"status,omitempty"`
}

// EstateOrganization is the AWS Organization the accounts belong to.
type EstateOrganization struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"managementAccount"`
	// DelegatedAdmins may also list accounts.
	DelegatedAdmins []string `json:"delegatedAdmins,omitempty"`
}

// EstateRegion is a region and whether it is enabled.
type EstateRegion struct {
	Name string `json:"name"`
	// OptInStatus is opt-in-not-required (default), opted-in or not-opted-in.
	OptInStatus string `json:"optInStatus,omitempty"`
}

// EstateCredential makes an access key id act as a principal of an account.
type EstateCredential struct {
	AccessKeyID string `json:"accessKeyId"`
	Account     string `json:"account"`
	// Principal is the caller ARN. Default arn:aws:iam::<account>:user/<access key id>.
	Principal string `json:"principal,omitempty"`
}

// EstateKey is a KMS key.
type EstateKey struct {
	// ID is the key id (a UUID, or mrk-… for multi-Region keys). Required, so
	// tests can refer to it.
	ID      string `json:"id"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Manager is CUSTOMER (default) or AWS.
	Manager string `json:"manager,omitempty"`
	// Origin is AWS_KMS (default), EXTERNAL, AWS_CLOUDHSM or EXTERNAL_KEY_STORE.
	Origin string `json:"origin,omitempty"`
	// State is Enabled (default), Disabled, PendingDeletion, PendingImport, Unavailable, …
	State       string `json:"state,omitempty"`
	Description string `json:"description,omitempty"`
	// Policy is the key policy JSON. Default: the account root may do everything
	// (customer keys) or the aws/dms policy (AWS-managed keys).
	Policy string `json:"policy,omitempty"`
	// Aliases name the key ("alias/…"). An AWS-managed key normally has one
	// alias/aws/<service>.
	Aliases           []string          `json:"aliases,omitempty"`
	CustomKeyStoreID  string            `json:"customKeyStoreId,omitempty"`
	CloudHsmClusterID string            `json:"cloudHsmClusterId,omitempty"`
	XksKeyID          string            `json:"xksKeyId,omitempty"`
	MultiRegion       bool              `json:"multiRegion,omitempty"`
	RotationEnabled   bool              `json:"rotationEnabled,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	// PendingWindowInDays is used with State PendingDeletion (default 30).
	PendingWindowInDays int `json:"pendingWindowInDays,omitempty"`
	// HiddenFromListKeys leaves the key out of ListKeys, as AWS sometimes
	// does for AWS-managed keys in use; DescribeKey and ListAliases still
	// find it. A catalogue built from ListKeys then misses it.
	HiddenFromListKeys bool `json:"hiddenFromListKeys,omitempty"`
}

// EstateSubnetGroup is a DMS replication subnet group.
type EstateSubnetGroup struct {
	ID          string            `json:"id"`
	Account     string            `json:"account,omitempty"`
	Region      string            `json:"region,omitempty"`
	Description string            `json:"description,omitempty"`
	VpcID       string            `json:"vpcId,omitempty"`
	Subnets     []EstateSubnet    `json:"subnets,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// EstateSubnet is a subnet of a subnet group.
type EstateSubnet struct {
	ID               string `json:"id"`
	AvailabilityZone string `json:"availabilityZone"`
}

// EstateReplicationInstance is a DMS replication instance.
type EstateReplicationInstance struct {
	ID      string `json:"id"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// ResourceID is the opaque id in the ARN. Default: derived from the id.
	ResourceID string `json:"resourceId,omitempty"`
	// KmsKey is a key id, key ARN, alias name or alias ARN. Empty: aws/dms.
	KmsKey                     string            `json:"kmsKey,omitempty"`
	Class                      string            `json:"class,omitempty"`
	AllocatedStorage           int32             `json:"allocatedStorage,omitempty"`
	EngineVersion              string            `json:"engineVersion,omitempty"`
	Status                     string            `json:"status,omitempty"`
	AvailabilityZone           string            `json:"availabilityZone,omitempty"`
	MultiAZ                    bool              `json:"multiAZ,omitempty"`
	PubliclyAccessible         bool              `json:"publiclyAccessible,omitempty"`
	AutoMinorVersionUpgrade    *bool             `json:"autoMinorVersionUpgrade,omitempty"`
	PreferredMaintenanceWindow string            `json:"preferredMaintenanceWindow,omitempty"`
	NetworkType                string            `json:"networkType,omitempty"`
	SubnetGroup                string            `json:"subnetGroup,omitempty"`
	VpcSecurityGroupIDs        []string          `json:"vpcSecurityGroupIds,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`
}

// EstateEndpoint is a DMS endpoint.
type EstateEndpoint struct {
	ID         string `json:"id"`
	Account    string `json:"account,omitempty"`
	Region     string `json:"region,omitempty"`
	ResourceID string `json:"resourceId,omitempty"`
	// Type is source or target.
	Type         string `json:"type"`
	Engine       string `json:"engine"`
	ServerName   string `json:"serverName,omitempty"`
	Port         int32  `json:"port,omitempty"`
	DatabaseName string `json:"databaseName,omitempty"`
	Username     string `json:"username,omitempty"`
	// KmsKey encrypts the connection details. Empty: aws/dms.
	KmsKey string `json:"kmsKey,omitempty"`
	// S3Settings and RedshiftSettings are passed through as in the API
	// (e.g. BucketName, EncryptionMode, ServerSideEncryptionKmsKeyId).
	S3Settings       map[string]any `json:"s3Settings,omitempty"`
	RedshiftSettings map[string]any `json:"redshiftSettings,omitempty"`
	// DocDbSettings and MongoDbSettings are passed through as in the API
	// (their KmsKeyId encrypts what DMS keeps of the migration).
	DocDbSettings   map[string]any    `json:"docDbSettings,omitempty"`
	MongoDbSettings map[string]any    `json:"mongoDbSettings,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// EstateReplicationTask is a DMS replication task.
type EstateReplicationTask struct {
	ID         string `json:"id"`
	Account    string `json:"account,omitempty"`
	Region     string `json:"region,omitempty"`
	ResourceID string `json:"resourceId,omitempty"`
	// Instance, Source and Target are identifiers of resources in the same
	// account and region.
	Instance string `json:"instance"`
	Source   string `json:"source"`
	Target   string `json:"target"`
	// MigrationType is full-load, cdc or full-load-and-cdc (default).
	MigrationType string `json:"migrationType,omitempty"`
	// Status is ready (default), running, stopped or failed.
	Status        string            `json:"status,omitempty"`
	TableMappings string            `json:"tableMappings,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
}

// EstateReplicationConfig is a DMS Serverless replication config.
type EstateReplicationConfig struct {
	ID         string `json:"id"`
	Account    string `json:"account,omitempty"`
	Region     string `json:"region,omitempty"`
	ResourceID string `json:"resourceId,omitempty"`
	Source     string `json:"source"`
	Target     string `json:"target"`
	// ReplicationType is full-load, cdc or full-load-and-cdc (default).
	ReplicationType string `json:"replicationType,omitempty"`
	// KmsKey is ComputeConfig.KmsKeyId. Empty: aws/dms.
	KmsKey           string `json:"kmsKey,omitempty"`
	MaxCapacityUnits int32  `json:"maxCapacityUnits,omitempty"`
	MinCapacityUnits int32  `json:"minCapacityUnits,omitempty"`
	SubnetGroup      string `json:"subnetGroup,omitempty"`
	MultiAZ          bool   `json:"multiAZ,omitempty"`
	TableMappings    string `json:"tableMappings,omitempty"`
	// Started marks a config whose replication has started (it can no longer be modified).
	Started bool `json:"started,omitempty"`
	// PremigrationAssessments are the premigration assessments of its
	// replication (Replication.PremigrationAssessmentStatuses).
	PremigrationAssessments []EstatePremigrationAssessment `json:"premigrationAssessments,omitempty"`
	Tags                    map[string]string              `json:"tags,omitempty"`
}

// EstateFaults are Faults as an estate file writes them, with durations as
// strings ("50ms", "1s").
type EstateFaults struct {
	Latency         string             `json:"latency,omitempty"`
	Jitter          string             `json:"jitter,omitempty"`
	Throttle        map[string]float64 `json:"throttle,omitempty"`
	ServerErrorRate float64            `json:"serverErrorRate,omitempty"`
	LoseAnswer      map[string]float64 `json:"loseAnswer,omitempty"`
	LoseAnswerLimit int                `json:"loseAnswerLimit,omitempty"`
	Seed            uint64             `json:"seed,omitempty"`
}

// Faults converts to Faults, checking durations and probabilities.
func (f EstateFaults) Faults() (Faults, error) {
	out := Faults{Throttle: f.Throttle, ServerErrorRate: f.ServerErrorRate, LoseAnswer: f.LoseAnswer, LoseAnswerLimit: f.LoseAnswerLimit, Seed: f.Seed}
	var err error
	if out.Latency, err = parseDuration("latency", f.Latency); err != nil {
		return Faults{}, err
	}
	if out.Jitter, err = parseDuration("jitter", f.Jitter); err != nil {
		return Faults{}, err
	}
	return out, out.Validate()
}
