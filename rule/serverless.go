package rule

import (
	"fmt"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const configResourceType = "AWS::DMS::ReplicationConfig"

func configSubject(rc *state.ReplicationConfig) *subject {
	fix := fmt.Sprintf("Set ComputeConfig.KmsKeyId of replication config %s to a customer-managed key in %s (aws dms modify-replication-config) if no replication has started under it yet; otherwise re-create the config with that key.", rc.ID, rc.Region)
	if rc.Started {
		fix = fmt.Sprintf("A replication has started under config %s, so its key can no longer be modified: re-create the config with ComputeConfig.KmsKeyId set to a customer-managed key in %s, then delete the old one.", rc.ID, rc.Region)
	}
	return &subject{
		ARN: rc.ARN, ID: rc.ID, Account: rc.Account, Region: rc.Region, Type: configResourceType,
		Source: rc.Source, Tags: rc.Tags, KeyRef: rc.KeyRef, Key: rc.Key, Noun: "serverless replication config",
		// ComputeConfig.KmsKeyId: "If you don't specify a value, AWS DMS
		// uses your default encryption key."
		NoKeyMeansDefault: true,
		DefaultAWSKey:     "the default aws/dms key",
		FixAWSManaged:     fix,
		FixNoKey:          fix,
		FixUntrusted:      fixOrTrust(fix),
		FixLowProtection: func(_ string, min state.ProtectionLevel) string {
			return fmt.Sprintf("Use a key of protection level %s or higher for replication config %s. ", min, rc.ID) + fix
		},
	}
}

// serverlessCMK is CMKG-DMS-003: a DMS Serverless replication config must
// encrypt its data with a customer-managed key.
type serverlessCMK struct{}

func (serverlessCMK) Kind() state.ResourceKind { return state.KindServerless }

func (serverlessCMK) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-003",
		ShortCode: "dms-serverless-cmk",
		Title:     "DMS Serverless replication config encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityHigh,
		Description: "A DMS Serverless replication config encrypts the storage of the replications it runs with " +
			"ComputeConfig.KmsKeyId, or with the AWS-managed aws/dms key when none is given. A key the customer " +
			"manages lets the customer decide who may use, rotate, disable or audit it.",
		Remediation: "Before the first replication has started, modify the config's ComputeConfig.KmsKeyId to a " +
			"customer-managed key; afterwards the config must be re-created with that key.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_ComputeConfig.html",
		},
		Compliance: dataAtRestCMK,
	}
}

func (r serverlessCMK) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindServerless, "serverless replication configs")
	for i := range s.ReplicationConfigs {
		out = append(out, evaluateCMK(m, configSubject(&s.ReplicationConfigs[i]), opts))
	}
	return out
}

// serverlessKeyUsable is CMKG-DMS-004: the key behind a serverless
// replication config must be usable.
type serverlessKeyUsable struct{}

func (serverlessKeyUsable) Kind() state.ResourceKind { return state.KindServerless }

func (serverlessKeyUsable) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-004",
		ShortCode: "dms-serverless-key-usable",
		Title:     "KMS key of a DMS Serverless replication config is usable",
		Severity:  finding.SeverityCritical,
		Description: "A serverless replication whose KMS key is disabled, pending deletion, waiting for imported key " +
			"material or unavailable cannot read or write its data.",
		Remediation: "Restore the key: enable it, cancel its deletion, import its key material again, or reconnect its " +
			"custom key store.",
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
		},
		Compliance: keyUsable,
	}
}

func (r serverlessKeyUsable) Evaluate(s *state.State, _ Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindServerless, "serverless replication configs")
	for i := range s.ReplicationConfigs {
		subj := configSubject(&s.ReplicationConfigs[i])
		if subj.namesNoKey() {
			// No key named: the default aws/dms key, which is always usable;
			// CMKG-DMS-003 already FAILs the config.
			f := instanceFinding(m, subj)
			f.Status = finding.StatusPass
			f.Reason = "the config names no key, so DMS uses the default aws/dms key, which customers cannot disable or delete"
			out = append(out, f)
			continue
		}
		out = append(out, evaluateUsable(m, subj))
	}
	return out
}
