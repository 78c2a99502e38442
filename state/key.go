package state

// KeyManager says who manages a KMS key.
type KeyManager string

// Key managers, as KMS reports them.
const (
	KeyManagerUnknown  KeyManager = ""
	KeyManagerAWS      KeyManager = "AWS"
	KeyManagerCustomer KeyManager = "CUSTOMER"
)

// KeyEvidence says which evidence established the facts about a key.
type KeyEvidence string

// Kinds of evidence, from strongest to none.
const (
	// EvidenceDescribeKey: kms:DescribeKey on the key's full ARN answered.
	EvidenceDescribeKey KeyEvidence = "kms:DescribeKey"
	// EvidenceListAliases: DescribeKey could not be used, but kms:ListAliases
	// in the key's region showed an alias that targets the key (aws/dms proves
	// an AWS-managed key; a customer alias proves a customer-managed key).
	// The key's state stays unknown.
	EvidenceListAliases KeyEvidence = "kms:ListAliases"
	// EvidenceCrossAccount: the key's metadata could not be read, but the
	// key belongs to another account than the resource's, and AWS-managed
	// keys cannot be used from another account: it is customer-managed.
	// Its state (and origin) stay unknown.
	EvidenceCrossAccount KeyEvidence = "cross-account"
	// EvidenceDeclared: the source declares the key (IaC), nothing was looked up.
	EvidenceDeclared KeyEvidence = "declared"
	// EvidenceNone: nothing could be learned about the key.
	EvidenceNone KeyEvidence = "none"
)

// Key is what is known about the KMS key behind a resource. Presence of a key
// proves nothing (DMS always reports one), so the rule reads Manager, State and
// Origin, and treats an unresolved key as unknown, never as compliant.
type Key struct {
	// ARN is the key's full ARN, as resolved (may equal the resource's KeyRef).
	ARN string `json:"arn,omitempty"`
	// Account is the account that owns the key (from its ARN or KMS).
	Account string `json:"account,omitempty"`
	// Region is the key's region.
	Region string `json:"region,omitempty"`

	// Resolved is true when Manager is known (by DescribeKey or by aliases).
	Resolved bool        `json:"resolved"`
	Evidence KeyEvidence `json:"evidence"`
	Manager  KeyManager  `json:"manager,omitempty"`
	// State is the KMS key state (Enabled, Disabled, PendingDeletion, ...);
	// empty when not known (e.g. only aliases could be read).
	State string `json:"state,omitempty"`
	// Origin is AWS_KMS, EXTERNAL, AWS_CLOUDHSM or EXTERNAL_KEY_STORE; empty
	// when not known.
	Origin      string `json:"origin,omitempty"`
	MultiRegion bool   `json:"multiRegion,omitempty"`
	// Spec is the key spec (SYMMETRIC_DEFAULT, RSA_2048, HMAC_256, ...);
	// empty when not known.
	Spec    string   `json:"spec,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
	// AWSManagedKey names, for a person, which AWS-managed key this is when
	// an alias proved it ("the AWS-managed S3 key aws/s3", from
	// keyref.AWSManagedKeyName); empty when not known.
	AWSManagedKey string `json:"awsManagedKey,omitempty"`

	// UnknownReason explains, for a person, why the key could not be read.
	UnknownReason string `json:"unknownReason,omitempty"`
	// MissingPermission names the IAM action that was denied, if any
	// (e.g. kms:DescribeKey).
	MissingPermission string `json:"missingPermission,omitempty"`

	// Policy and Rotation are set for a customer-managed key whose
	// soundness the source checked (the live audit: kms:GetKeyPolicy and
	// kms:GetKeyRotationStatus, once per distinct key); nil when it did
	// not (an IaC source, a scope without keys).
	Policy   *KeyPolicy   `json:"policy,omitempty"`
	Rotation *KeyRotation `json:"rotation,omitempty"`
}

// ProtectionLevel ranks how a customer-managed key's material is held.
type ProtectionLevel string

// Protection levels, from lowest to highest.
const (
	ProtectionNone             ProtectionLevel = ""
	ProtectionCustomerManaged  ProtectionLevel = "customer-managed"
	ProtectionImported         ProtectionLevel = "imported"
	ProtectionCloudHSM         ProtectionLevel = "cloudhsm"
	ProtectionExternalKeyStore ProtectionLevel = "external-key-store"
)

// ProtectionLevels lists the levels from lowest to highest.
var ProtectionLevels = []ProtectionLevel{
	ProtectionCustomerManaged, ProtectionImported, ProtectionCloudHSM, ProtectionExternalKeyStore,
}

// Rank orders protection levels; an unknown level ranks 0.
func (p ProtectionLevel) Rank() int {
	for i, l := range ProtectionLevels {
		if l == p {
			return i + 1
		}
	}
	return 0
}

// Protection returns the protection level of a customer-managed key from its
// origin, or ProtectionNone when the key is not known to be customer-managed
// or its origin is not known.
func (k Key) Protection() ProtectionLevel {
	if k.Manager != KeyManagerCustomer {
		return ProtectionNone
	}
	switch k.Origin {
	case "AWS_KMS":
		return ProtectionCustomerManaged
	case "EXTERNAL":
		return ProtectionImported
	case "AWS_CLOUDHSM":
		return ProtectionCloudHSM
	case "EXTERNAL_KEY_STORE":
		return ProtectionExternalKeyStore
	}
	return ProtectionNone
}
