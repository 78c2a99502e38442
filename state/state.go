package state

// State is everything one scan learned: the resources found and, for every
// region it tried, how that region's scan went.
type State struct {
	// Regions records every region the scan considered, including regions
	// skipped (opt-in, not enabled) and regions that could not be scanned.
	Regions []RegionScan `json:"regions"`
	// Instances are the DMS replication instances found.
	Instances []ReplicationInstance `json:"instances"`
	// ReplicationConfigs are the DMS Serverless replication configs found.
	ReplicationConfigs []ReplicationConfig `json:"replicationConfigs,omitempty"`
	// Endpoints are the DMS endpoints found.
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	// InstanceProfiles are the DMS instance profiles found.
	InstanceProfiles []InstanceProfile `json:"instanceProfiles,omitempty"`
	// Certificates are the certificates imported into DMS.
	Certificates []Certificate `json:"certificates,omitempty"`
	// AssessmentRuns are the premigration assessment runs found.
	AssessmentRuns []AssessmentRun `json:"assessmentRuns,omitempty"`
	// Scope is the resource kinds the source was asked to cover; empty means
	// every kind. A rule over a kind out of scope is not evaluated, and
	// reports say so: its absence of findings proves nothing.
	Scope []ResourceKind `json:"scope,omitempty"`
}

// ResourceKind names a kind of DMS resource a scan lists and a rule judges.
type ResourceKind string

// Resource kinds, as --scope spells them.
const (
	KindInstances  ResourceKind = "instances"
	KindServerless ResourceKind = "serverless"
	KindEndpoints  ResourceKind = "endpoints"
	// KindKeys is the soundness of the customer keys the listed resources
	// use: their policies and rotation (kms:GetKeyPolicy,
	// kms:GetKeyRotationStatus).
	KindKeys ResourceKind = "keys"
	// KindInstanceProfiles are DMS instance profiles (Schema Conversion,
	// homogeneous data migrations).
	KindInstanceProfiles ResourceKind = "instance-profiles"
	// KindCertificates are the certificates imported into DMS.
	KindCertificates ResourceKind = "certificates"
	// KindAssessmentRuns are the premigration assessment runs.
	KindAssessmentRuns ResourceKind = "assessment-runs"
)

// ResourceKinds lists every resource kind, in the order reports show them.
var ResourceKinds = []ResourceKind{KindInstances, KindServerless, KindEndpoints, KindKeys, KindInstanceProfiles, KindCertificates, KindAssessmentRuns}

// InScope reports whether kind is in s's scope (an empty scope is every kind).
func (s *State) InScope(kind ResourceKind) bool {
	if len(s.Scope) == 0 {
		return true
	}
	for _, k := range s.Scope {
		if k == kind {
			return true
		}
	}
	return false
}

// RegionStatus says how the scan of one region went.
type RegionStatus string

// Region statuses.
const (
	// RegionScanned means every resource of the region was listed.
	RegionScanned RegionStatus = "scanned"
	// RegionSkipped means the region was deliberately not scanned (an opt-in
	// region that is not enabled for the account).
	RegionSkipped RegionStatus = "skipped"
	// RegionFailed means the region could not be listed (denied, unreachable,
	// throttled after retries). Rules turn it into an UNKNOWN result: a region
	// that could not be read is never silently dropped.
	RegionFailed RegionStatus = "failed"
)

// RegionScan is the outcome of scanning one region of one account.
type RegionScan struct {
	Account string       `json:"account"`
	Region  string       `json:"region"`
	Status  RegionStatus `json:"status"`
	// Reason explains a skipped or failed region, for a person.
	Reason string `json:"reason,omitempty"`
	// MissingPermission names the IAM action that was denied, if any.
	MissingPermission string `json:"missingPermission,omitempty"`
	// Kinds says how the listing of each resource kind went, when the
	// region was reached and its kinds were listed apart (a region whose
	// endpoints could not be listed but whose instances were). A failed
	// region without Kinds failed for every kind alike (a whole account
	// whose role could not be assumed, credentials refused in the region).
	Kinds []KindScan `json:"kinds,omitempty"`
}

// KindScan is how the listing of one resource kind went in one region.
type KindScan struct {
	Kind   ResourceKind `json:"kind"`
	Status RegionStatus `json:"status"` // scanned or failed
	// Reason and MissingPermission explain a failed listing.
	Reason            string `json:"reason,omitempty"`
	MissingPermission string `json:"missingPermission,omitempty"`
}

// FailureFor returns how the listing of kind failed in r: ok is false when
// it did not fail (the region was scanned, or that kind's listing was).
func (r RegionScan) FailureFor(kind ResourceKind) (reason, missingPermission string, ok bool) {
	if r.Status != RegionFailed {
		return "", "", false
	}
	if len(r.Kinds) == 0 {
		return r.Reason, r.MissingPermission, true
	}
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k.Reason, k.MissingPermission, k.Status == RegionFailed
		}
	}
	return "", "", false
}

// Source says where a resource came from: an ARN for live resources, a file
// and line range for infrastructure as code.
type Source struct {
	ARN       string `json:"arn,omitempty"`
	File      string `json:"file,omitempty"`
	StartLine int    `json:"startLine,omitempty"`
	EndLine   int    `json:"endLine,omitempty"`
	// Address is the IaC address (aws_dms_replication_instance.main, or a
	// CloudFormation logical id), when the source is a file.
	Address string `json:"address,omitempty"`
	// Suppressions are the inline suppressions written next to the resource
	// in its source (a "# cmkguard:ignore" comment, CloudFormation Metadata).
	// The adapter only records them; package suppress decides what they do.
	Suppressions []InlineSuppression `json:"suppressions,omitempty"`
	// Variant names the evaluation this resource comes from when a source
	// yields the same resource several ways (a CloudFormation template
	// evaluated under each reachable combination of its Conditions:
	// "IsProd=false, UseKms=true"). Reports keep the worst verdict per
	// address and name its variant. Empty when there is one way.
	Variant string `json:"variant,omitempty"`
}

// InlineSuppression is one suppression written in a source file beside the
// resource it covers, with the ignore file's fields.
type InlineSuppression struct {
	Rule    string `json:"rule"`
	Reason  string `json:"reason,omitempty"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD, as written
	// Line is where the suppression is written, for error messages.
	Line int `json:"line,omitempty"`
}

// ReplicationInstance is one DMS replication instance with everything a
// replacement would copy, and the resolved facts about its KMS key.
type ReplicationInstance struct {
	Source  Source `json:"source"`
	ARN     string `json:"arn"`
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Status  string `json:"status"`

	Class                      string            `json:"class,omitempty"`
	AllocatedStorage           int32             `json:"allocatedStorage,omitempty"`
	EngineVersion              string            `json:"engineVersion,omitempty"`
	VPCSecurityGroupIDs        []string          `json:"vpcSecurityGroupIds,omitempty"`
	SubnetGroupID              string            `json:"subnetGroupId,omitempty"`
	AvailabilityZone           string            `json:"availabilityZone,omitempty"`
	MultiAZ                    bool              `json:"multiAZ,omitempty"`
	PubliclyAccessible         bool              `json:"publiclyAccessible,omitempty"`
	AutoMinorVersionUpgrade    bool              `json:"autoMinorVersionUpgrade,omitempty"`
	PreferredMaintenanceWindow string            `json:"preferredMaintenanceWindow,omitempty"`
	NetworkType                string            `json:"networkType,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`

	// KeyRef is the KMS key the resource reports, as reported (DMS reports a
	// full key ARN, even for its default key). Empty when none was reported.
	KeyRef string `json:"keyRef,omitempty"`
	// Key is what is known about that key.
	Key Key `json:"key"`
}

// ReplicationConfig is one DMS Serverless replication config.
type ReplicationConfig struct {
	Source  Source `json:"source"`
	ARN     string `json:"arn"`
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Started is true once a replication has started under this config; the
	// config can then no longer be modified.
	Started bool              `json:"started,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	KeyRef  string            `json:"keyRef,omitempty"`
	Key     Key               `json:"key"`
}

// Endpoint is one DMS endpoint: its connection details are encrypted with
// KeyRef; an S3 or Redshift target may also encrypt the data it writes.
type Endpoint struct {
	Source       Source            `json:"source"`
	ARN          string            `json:"arn"`
	ID           string            `json:"id"`
	Account      string            `json:"account"`
	Region       string            `json:"region"`
	EndpointType string            `json:"endpointType,omitempty"`
	EngineName   string            `json:"engineName,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	KeyRef       string            `json:"keyRef,omitempty"`
	Key          Key               `json:"key"`
	// TargetEncryptionMode is SSE_S3 or SSE_KMS for S3 and Redshift targets.
	TargetEncryptionMode string `json:"targetEncryptionMode,omitempty"`
	TargetKeyRef         string `json:"targetKeyRef,omitempty"`
	TargetKey            Key    `json:"targetKey,omitempty"`
	// ContentSettings is DocDbSettings or MongoDbSettings when the endpoint
	// is a DocumentDB or MongoDB one: their KmsKeyId encrypts the content
	// DMS keeps on the replication instance (the default aws/dms key when
	// absent). ContentKeyRef is that KmsKeyId as reported.
	ContentSettings string `json:"contentSettings,omitempty"`
	ContentKeyRef   string `json:"contentKeyRef,omitempty"`
	ContentKey      Key    `json:"contentKey,omitempty"`
}
