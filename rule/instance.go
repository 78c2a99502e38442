package rule

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const instanceResourceType = "AWS::DMS::ReplicationInstance"

// subject is a resource whose data a KMS key protects, as the key rules see
// it: replication instances and serverless replication configs alike.
type subject struct {
	ARN, ID, Account, Region, Type string
	Source                         state.Source
	Tags                           map[string]string
	KeyRef                         string
	Key                            state.Key
	// Noun names the resource in reasons ("instance", "replication config").
	Noun string
	// NoKeyMeansDefault is true when a resource that names no key is, by
	// AWS's documentation, encrypted with the default aws/dms key.
	NoKeyMeansDefault bool
	// DefaultAWSKey names the AWS-managed key such a resource gets by
	// default ("the default aws/dms key"), for reasons that know no better.
	DefaultAWSKey string
	// Fix texts for each kind of FAIL.
	FixAWSManaged, FixNoKey        string
	FixUntrusted, FixLowProtection func(keyAccount string, min state.ProtectionLevel) string
}

// namesNoKey reports whether the resource names no KMS key at all (neither
// a reference nor a resolved key).
func (s *subject) namesNoKey() bool {
	return s.KeyRef == "" && s.Key.ARN == ""
}

// fixOrTrust is a FixUntrusted for a resource whose fix is fix whatever the
// key's account: it adds the other way out, trusting that account.
func fixOrTrust(fix string) func(keyAccount string, _ state.ProtectionLevel) string {
	return func(keyAccount string, _ state.ProtectionLevel) string {
		return fix + fmt.Sprintf(" Or add %s to --trusted-key-account if that account is yours.", keyAccount)
	}
}

// fixOrStronger is the fix for a key below --min-protection: a stronger
// key, then fix.
func fixOrStronger(fix string) func(_ string, min state.ProtectionLevel) string {
	return func(_ string, min state.ProtectionLevel) string {
		return fmt.Sprintf("Use a key of protection level %s or higher. ", min) + fix
	}
}

func instanceSubject(inst *state.ReplicationInstance) *subject {
	return &subject{
		ARN: inst.ARN, ID: inst.ID, Account: inst.Account, Region: inst.Region, Type: instanceResourceType,
		Source: inst.Source, Tags: inst.Tags, KeyRef: inst.KeyRef, Key: inst.Key, Noun: "instance", DefaultAWSKey: "the default aws/dms key",
		FixAWSManaged: fmt.Sprintf("Replace instance %s with one encrypted by a customer-managed key in %s and move its tasks (`cmkguard remediate`); the key cannot be changed in place.", inst.ID, inst.Region),
		FixNoKey:      "Check the instance in the DMS console; if it was created without a key recorded, treat it as using the default aws/dms key and replace it.",
		FixUntrusted: func(keyAccount string, _ state.ProtectionLevel) string {
			return fmt.Sprintf("Replace instance %s with one encrypted by a key in this account or a trusted one, or add %s to --trusted-key-account if that account is yours.", inst.ID, keyAccount)
		},
		FixLowProtection: func(_ string, min state.ProtectionLevel) string {
			return fmt.Sprintf("Replace instance %s with one encrypted by a key of protection level %s or higher (`cmkguard remediate --kms-key ...`).", inst.ID, min)
		},
	}
}

// instanceFinding starts a finding for rule m on inst, with the key facts
// every verdict shows.
func instanceFinding(m finding.Rule, inst *subject) finding.Finding {
	k := inst.Key
	keyARN := k.ARN
	if keyARN == "" {
		keyARN = inst.KeyRef
	}
	evidence := k.Evidence
	if evidence == "" {
		evidence = state.EvidenceNone
	}
	return finding.Finding{
		RuleID:          m.ID,
		ShortCode:       m.ShortCode,
		Title:           m.Title,
		Severity:        m.Severity,
		ResourceARN:     inst.ARN,
		ResourceID:      inst.ID,
		ResourceType:    inst.Type,
		Region:          inst.Region,
		Account:         inst.Account,
		Source:          inst.Source,
		Tags:            inst.Tags,
		KeyARN:          keyARN,
		KeyAccount:      k.Account,
		KeyManager:      k.Manager,
		KeyState:        k.State,
		ProtectionLevel: k.Protection(),
		Evidence:        evidence,
	}
}

// unknownKey fills f as UNKNOWN because the key behind inst could not be
// resolved (or none was reported).
func unknownKey(f finding.Finding, inst *subject) finding.Finding {
	f.Status = finding.StatusUnknown
	if inst.namesNoKey() {
		f.Reason = "the " + inst.Noun + " reports no KMS key, so its encryption cannot be verified"
		f.Remediation = inst.FixNoKey
		return f
	}
	reason := "the KMS key could not be read"
	if inst.Key.UnknownReason != "" {
		reason += ": " + inst.Key.UnknownReason
	}
	f.Reason = reason + "; its manager is unknown, so it is not counted as compliant"
	f.MissingPermission = inst.Key.MissingPermission
	f.Remediation = unknownRemediation(inst.Key.MissingPermission)
	return f
}

// evidenceText says, for a person, what decided the verdict.
func evidenceText(k state.Key) string {
	switch k.Evidence {
	case state.EvidenceDescribeKey:
		return "kms:DescribeKey"
	case state.EvidenceListAliases:
		if len(k.Aliases) > 0 {
			return fmt.Sprintf("kms:ListAliases (DescribeKey was not possible; alias %s targets the key)", strings.Join(k.Aliases, ", "))
		}
		return "kms:ListAliases (DescribeKey was not possible)"
	case state.EvidenceCrossAccount:
		why := ""
		if k.UnknownReason != "" {
			why = "; its metadata could not be read: " + k.UnknownReason
		}
		return fmt.Sprintf("the key belongs to account %s, not the resource's, and AWS-managed keys cannot be used from another account, so it is customer-managed%s", k.Account, why)
	case state.EvidenceDeclared:
		if len(k.Aliases) > 0 {
			return fmt.Sprintf("the reported key reference %s, an alias name only AWS can create", strings.Join(k.Aliases, ", "))
		}
		return "the source's declaration"
	}
	return "no evidence"
}

// instanceCMK is CMKG-DMS-001: a replication instance's storage must be
// encrypted with a customer-managed key.
type instanceCMK struct{}

func (instanceCMK) Kind() state.ResourceKind { return state.KindInstances }

func (instanceCMK) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-001",
		ShortCode: "dms-instance-cmk",
		Title:     "DMS replication instance encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityHigh,
		Description: "A replication instance's storage should be encrypted with a KMS key the customer manages, " +
			"so that the customer decides who may use, rotate, disable or audit it. DMS always reports a key ARN, " +
			"even when it fell back to the account's AWS-managed aws/dms key, so the presence of a key proves nothing: " +
			"the key's manager, as KMS reports it, decides.",
		Remediation: "The key of a replication instance cannot be changed. Create a replacement instance with the same " +
			"settings and a customer-managed key, move its replication tasks to it, then delete the old instance " +
			"(`cmkguard remediate` plans and does this).",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Security.html#CHAP_Security.EncryptionKey",
			"https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html",
		},
		Compliance: dataAtRestCMK,
	}
}

func (r instanceCMK) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindInstances, "replication instances")
	for i := range s.Instances {
		out = append(out, evaluateCMK(m, instanceSubject(&s.Instances[i]), opts))
	}
	return out
}

// evaluateCMK decides whether the key behind inst is customer-managed (and
// trusted, and strong enough for opts).
func evaluateCMK(m finding.Rule, inst *subject, opts Options) finding.Finding {
	f := instanceFinding(m, inst)
	k := inst.Key
	if inst.NoKeyMeansDefault && inst.namesNoKey() {
		f.Status = finding.StatusFail
		f.Reason = "no KMS key is named for the " + inst.Noun + ", so DMS encrypts it with the default AWS-managed aws/dms key"
		f.Remediation = inst.FixAWSManaged
		return f
	}
	if !k.Resolved || k.Manager == state.KeyManagerUnknown {
		return unknownKey(f, inst)
	}
	if k.Evidence == state.EvidenceCrossAccount && (k.Account == "" || inst.Account == "" || k.Account == inst.Account) {
		// The evidence holds only for a key of another account than the
		// resource's: a state that says otherwise proves nothing.
		f.Status = finding.StatusUnknown
		f.Reason = "the key's manager was inferred from its account, but the key's account is not known to differ from the " + inst.Noun + "'s, so nothing is proved"
		f.Remediation = unknownRemediation(k.MissingPermission)
		f.MissingPermission = k.MissingPermission
		return f
	}
	by := " (evidence: " + evidenceText(k) + ")"
	if k.Manager == state.KeyManagerAWS {
		f.Status = finding.StatusFail
		f.Reason = "the " + inst.Noun + " is encrypted with " + awsManagedKeyText(inst) + ", which the customer cannot control, restrict or disable" + by
		f.Remediation = inst.FixAWSManaged
		return f
	}
	if k.Manager != state.KeyManagerCustomer {
		f.Status = finding.StatusUnknown
		f.Reason = fmt.Sprintf("KMS reported an unrecognised key manager %q", k.Manager)
		f.Remediation = unknownRemediation("")
		return f
	}
	if len(opts.TrustedKeyAccounts) > 0 && (k.Account == "" || inst.Account == "") {
		f.Status = finding.StatusUnknown
		f.Reason = "the key is customer-managed, but the account that owns it (or the " + inst.Noun + "'s) is unknown, so it cannot be checked against the trusted key accounts" + by
		f.Remediation = unknownRemediation("")
		return f
	}
	owner := ""
	if k.Account != "" && inst.Account != "" && k.Account != inst.Account {
		owner = fmt.Sprintf(" owned by another account (%s)", k.Account)
		if len(opts.TrustedKeyAccounts) > 0 && !slices.Contains(opts.TrustedKeyAccounts, k.Account) {
			f.Status = finding.StatusFail
			f.Reason = fmt.Sprintf("the %s is encrypted with a customer-managed key%s, which is not a trusted key account (trusted: %s)", inst.Noun, owner, strings.Join(opts.TrustedKeyAccounts, ", ")) + by
			f.Remediation = inst.FixUntrusted(k.Account, opts.MinProtection)
			return f
		}
	}
	if opts.MinProtection.Rank() > state.ProtectionCustomerManaged.Rank() {
		level := k.Protection()
		if level == state.ProtectionNone {
			f.Status = finding.StatusUnknown
			f.Reason = fmt.Sprintf("the key is customer-managed%s, but its origin is unknown, so its protection level cannot be compared with the required %s", owner, opts.MinProtection) + by
			f.Remediation = unknownRemediation("kms:DescribeKey")
			f.MissingPermission = k.MissingPermission
			return f
		}
		if level.Rank() < opts.MinProtection.Rank() {
			f.Status = finding.StatusFail
			f.Reason = fmt.Sprintf("the key is customer-managed%s but its protection level is %s, below the required %s", owner, level, opts.MinProtection) + by
			f.Remediation = inst.FixLowProtection(k.Account, opts.MinProtection)
			return f
		}
	}
	f.Status = finding.StatusPass
	level := k.Protection()
	if level == state.ProtectionNone {
		f.Reason = "the " + inst.Noun + " is encrypted with a customer-managed key" + owner + by
	} else {
		f.Reason = fmt.Sprintf("the %s is encrypted with a customer-managed key%s (protection level %s)", inst.Noun, owner, level) + by
	}
	return f
}

// unusableKeyStates are the key states in which DMS cannot use the key, so
// the data it protects is inaccessible.
var unusableKeyStates = map[string]string{
	"Disabled":               "the key is disabled",
	"PendingDeletion":        "the key is scheduled for deletion",
	"PendingReplicaDeletion": "the multi-Region key is scheduled for deletion (waiting for its replicas)",
	"PendingImport":          "the key has no key material (import pending)",
	"Unavailable":            "the key's custom key store is disconnected",
}

// instanceKeyUsable is CMKG-DMS-002: the key behind a replication instance
// must be usable, or the data it protects is inaccessible.
type instanceKeyUsable struct{}

func (instanceKeyUsable) Kind() state.ResourceKind { return state.KindInstances }

func (instanceKeyUsable) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-002",
		ShortCode: "dms-instance-key-usable",
		Title:     "KMS key of a DMS replication instance is usable",
		Severity:  finding.SeverityCritical,
		Description: "A replication instance whose KMS key is disabled, pending deletion, waiting for imported key " +
			"material or unavailable cannot read its own storage: its replication stops and its data is inaccessible. " +
			"This is worse than using the default key.",
		Remediation: "Restore the key: enable it (kms:EnableKey), cancel its deletion (kms:CancelKeyDeletion), import its " +
			"key material again, or reconnect its custom key store. If the key is lost, the instance must be replaced.",
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
		},
		Compliance: keyUsable,
	}
}

func (r instanceKeyUsable) Evaluate(s *state.State, _ Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindInstances, "replication instances")
	for i := range s.Instances {
		out = append(out, evaluateUsable(m, instanceSubject(&s.Instances[i])))
	}
	return out
}

// awsManagedKeyText names the AWS-managed key behind inst, as precisely as
// its evidence allows.
func awsManagedKeyText(inst *subject) string {
	if inst.Key.AWSManagedKey != "" {
		return inst.Key.AWSManagedKey
	}
	if inst.DefaultAWSKey != "" {
		return "an AWS-managed key (" + inst.DefaultAWSKey + ")"
	}
	return "an AWS-managed key"
}

// evaluateUsable decides whether DMS can use the key behind inst.
func evaluateUsable(m finding.Rule, inst *subject) finding.Finding {
	f := instanceFinding(m, inst)
	k := inst.Key
	if k.State == "" && k.Resolved && k.Manager == state.KeyManagerAWS && k.Evidence != state.EvidenceDescribeKey {
		// Customers cannot disable, schedule for deletion or import into an
		// AWS-managed key, so one proved AWS-managed is usable; CMKG-DMS-001
		// (or its kind's CMK rule) already FAILs it.
		f.Status = finding.StatusPass
		f.Reason = "the key is " + awsManagedKeyText(inst) + ", which customers cannot disable or delete, so DMS can use it (evidence: " + evidenceText(k) + ")"
		return f
	}
	if k.State == "" {
		if k.Resolved && k.Evidence == state.EvidenceDescribeKey {
			f.Status = finding.StatusUnknown
			f.Reason = "kms:DescribeKey answered without the key's state, so whether DMS can use the key is unknown"
			f.Remediation = unknownRemediation("")
			return f
		}
		if k.Resolved {
			f.Status = finding.StatusUnknown
			f.Reason = "the key's state is unknown: only " + evidenceText(k) + " could be read, which proves who manages the key but not whether it is enabled"
			if k.UnknownReason != "" && k.Evidence != state.EvidenceCrossAccount {
				f.Reason += " (" + k.UnknownReason + ")"
			}
			f.MissingPermission = k.MissingPermission
			if f.MissingPermission == "" && k.Evidence == state.EvidenceListAliases {
				f.MissingPermission = "kms:DescribeKey"
			}
			f.Remediation = unknownRemediation(f.MissingPermission)
			return f
		}
		return unknownKey(f, inst)
	}
	by := " (evidence: " + evidenceText(k) + ")"
	if why, bad := unusableKeyStates[k.State]; bad {
		f.Status = finding.StatusFail
		f.Reason = fmt.Sprintf("%s (state %s): DMS cannot decrypt the %s's data, so it is inaccessible and its replication cannot run", why, k.State, inst.Noun) + by
		f.Remediation = keyStateRemediation(k)
		return f
	}
	if k.State == "Enabled" {
		f.Status = finding.StatusPass
		f.Reason = "the key is Enabled" + by
		return f
	}
	f.Status = finding.StatusUnknown
	if transitionalKeyStates[k.State] {
		f.Reason = fmt.Sprintf("the key is in the transitional state %s; run the audit again once it settles", k.State) + by
		f.Remediation = "Run the audit again in a few minutes."
		return f
	}
	f.Reason = fmt.Sprintf("KMS reported a key state cmkguard does not know (%q), so whether DMS can use the key is unknown", k.State) + by
	f.Remediation = "Check the key's state in the KMS console; if it is not Enabled, DMS cannot use it."
	return f
}

// transitionalKeyStates settle by themselves: the verdict is UNKNOWN until
// they do.
var transitionalKeyStates = map[string]bool{"Creating": true, "Updating": true}

func keyStateRemediation(k state.Key) string {
	switch k.State {
	case "Disabled":
		return fmt.Sprintf("Enable the key now: aws kms enable-key --key-id %s", k.ARN)
	case "PendingDeletion", "PendingReplicaDeletion":
		return fmt.Sprintf("Cancel the deletion now, then enable the key: aws kms cancel-key-deletion --key-id %s", k.ARN)
	case "PendingImport":
		return "Import the key's material again (kms:GetParametersForImport, kms:ImportKeyMaterial)."
	case "Unavailable":
		return "Reconnect the key's custom key store (kms:ConnectCustomKeyStore) and check the CloudHSM cluster or external key manager."
	}
	return ""
}
