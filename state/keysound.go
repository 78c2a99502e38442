package state

// KeyPolicy is what the audit learned from a customer key's policy
// (kms:GetKeyPolicy, judged by keypolicy/analyse in the adapter). Read is
// false when the policy could not be read; UnknownReason and
// MissingPermission then say why, and the key rules report UNKNOWN.
type KeyPolicy struct {
	Read              bool   `json:"read"`
	UnknownReason     string `json:"unknownReason,omitempty"`
	MissingPermission string `json:"missingPermission,omitempty"`
	// World is whether principals outside known accounts and the
	// organisation may use or administer the key.
	World PolicyCheck `json:"world"`
	// DMS has one result per account whose DMS resources use the key.
	DMS []PolicyCheck `json:"dms,omitempty"`
}

// PolicyCheck is one judgement of a key policy.
type PolicyCheck struct {
	// Verdict is PASS, FAIL or UNKNOWN.
	Verdict string `json:"verdict"`
	// Reason says why, for a person, naming the statements.
	Reason     string   `json:"reason,omitempty"`
	Statements []string `json:"statements,omitempty"`
	// Actions are the actions open to the world, or those DMS needs and
	// is not allowed.
	Actions []string `json:"actions,omitempty"`
	// Account is the calling account judged (DMS use only).
	Account string `json:"account,omitempty"`
	// Basis is key-policy or iam: what allows DMS (DMS use PASS only). iam
	// means the key policy leaves the decision to IAM policies the audit
	// does not read.
	Basis string `json:"basis,omitempty"`
	// ExplicitDeny is true when a Deny statement stops DMS.
	ExplicitDeny bool `json:"explicitDeny,omitempty"`
}

// KeyRotation is what kms:GetKeyRotationStatus said about a customer key.
type KeyRotation struct {
	// Read is true when the status was read; Applies is false for keys
	// whose material KMS cannot rotate (imported, CloudHSM, external key
	// store, asymmetric or HMAC keys): they are not judged.
	Read    bool `json:"read"`
	Applies bool `json:"applies"`
	Enabled bool `json:"enabled,omitempty"`
	// PeriodDays is the rotation period, when rotation is enabled.
	PeriodDays int32 `json:"periodDays,omitempty"`
	// NextRotation is the next rotation date (RFC 3339), when enabled.
	NextRotation string `json:"nextRotation,omitempty"`

	UnknownReason     string `json:"unknownReason,omitempty"`
	MissingPermission string `json:"missingPermission,omitempty"`
}

// InstanceProfile is one DMS instance profile (DMS Schema Conversion and
// homogeneous data migrations keep their data under its key). Without
// KeyRef, DMS uses a key AWS owns, which the customer cannot even see.
type InstanceProfile struct {
	Source  Source `json:"source"`
	ARN     string `json:"arn"`
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	KeyRef  string `json:"keyRef,omitempty"`
	Key     Key    `json:"key"`
}

// Certificate is one certificate imported into DMS (for endpoints' TLS);
// DMS encrypts it, and an Oracle wallet's private key, under KeyRef, or
// under the default aws/dms key when none was given.
type Certificate struct {
	Source  Source `json:"source"`
	ARN     string `json:"arn"`
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	KeyRef  string `json:"keyRef,omitempty"`
	Key     Key    `json:"key"`
}

// AssessmentRun is one premigration assessment run of a replication task:
// DMS writes its results (table and schema facts of the source) to S3
// with EncryptionMode SSE_S3 or SSE_KMS under KeyRef; empty means no
// setting (S3's default, SSE_S3).
type AssessmentRun struct {
	Source         Source `json:"source"`
	ARN            string `json:"arn"`
	ID             string `json:"id"`
	Account        string `json:"account"`
	Region         string `json:"region"`
	TaskARN        string `json:"taskArn,omitempty"`
	EncryptionMode string `json:"encryptionMode,omitempty"`
	KeyRef         string `json:"keyRef,omitempty"`
	Key            Key    `json:"key"`
}
