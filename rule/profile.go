package rule

import (
	"fmt"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const instanceProfileResourceType = "AWS::DMS::InstanceProfile"

// instanceProfileCMK is CMKG-DMS-010: a DMS instance profile (Schema
// Conversion, homogeneous data migrations) must name a customer-managed
// key; without one DMS uses a key AWS owns, which the customer cannot
// even see.
type instanceProfileCMK struct{}

func (instanceProfileCMK) Kind() state.ResourceKind { return state.KindInstanceProfiles }

func (instanceProfileCMK) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-010",
		ShortCode: "dms-instance-profile-cmk",
		Title:     "DMS instance profile encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityHigh,
		Description: "DMS Schema Conversion and homogeneous data migrations run in an instance profile, whose KmsKeyArn " +
			"encrypts its connection parameters and data. Without KmsKeyArn DMS uses an AWS owned key: not in the " +
			"account, not in its key policies, not in CloudTrail's KMS events.",
		Remediation: "Set KmsKeyArn of the instance profile to a customer-managed key (aws dms modify-instance-profile " +
			"--kms-key-arn ...), or re-create the profile with one.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_InstanceProfile.html",
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_CreateInstanceProfile.html",
		},
		Compliance: dataAtRestCMK,
	}
}

func instanceProfileSubject(p *state.InstanceProfile) *subject {
	fix := fmt.Sprintf("Set KmsKeyArn of instance profile %s to a customer-managed key in %s: aws dms modify-instance-profile --instance-profile-identifier %s --kms-key-arn KEY_ARN (or re-create the profile with it).", p.ID, p.Region, p.ARN)
	return &subject{
		ARN: p.ARN, ID: p.ID, Account: p.Account, Region: p.Region, Type: instanceProfileResourceType,
		Source: p.Source, KeyRef: p.KeyRef, Key: p.Key, Noun: "instance profile",
		FixAWSManaged: fix, FixNoKey: fix, FixUntrusted: fixOrTrust(fix),
		FixLowProtection: fixOrStronger(fix),
	}
}

func (r instanceProfileCMK) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindInstanceProfiles, "instance profiles")
	for i := range s.InstanceProfiles {
		subj := instanceProfileSubject(&s.InstanceProfiles[i])
		if subj.namesNoKey() {
			f := instanceFinding(m, subj)
			f.Status = finding.StatusFail
			f.Reason = "the instance profile names no KmsKeyArn, so DMS encrypts it with an AWS owned key, which the customer cannot see, restrict, rotate or disable"
			f.Remediation = subj.FixNoKey
			out = append(out, f)
			continue
		}
		out = append(out, evaluateCMK(m, subj, opts))
	}
	return out
}

const certificateResourceType = "AWS::DMS::Certificate"

// certificateCMK is CMKG-DMS-011: a certificate imported into DMS (and an
// Oracle wallet's private key) must be encrypted with a customer-managed
// key; without KmsKeyId DMS uses the default aws/dms key.
type certificateCMK struct{}

func (certificateCMK) Kind() state.ResourceKind { return state.KindCertificates }

func (certificateCMK) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-011",
		ShortCode: "dms-certificate-cmk",
		Title:     "DMS imported certificate encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityMedium,
		Description: "DMS stores the certificates imported for endpoint TLS, and an Oracle wallet with its private key, " +
			"encrypted with the certificate's KmsKeyId, or with the AWS-managed aws/dms key when none was given.",
		Remediation: "A certificate cannot be modified: import it again with --kms-key-id set to a customer-managed key, " +
			"point the endpoints that use it at the new certificate, then delete the old one.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_Certificate.html",
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_ImportCertificate.html",
		},
		Compliance: endpointSecrets,
	}
}

func (r certificateCMK) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindCertificates, "certificates")
	for i := range s.Certificates {
		c := &s.Certificates[i]
		fix := fmt.Sprintf("Import certificate %s again with --kms-key-id set to a customer-managed key in %s (aws dms import-certificate), point its endpoints at the new certificate, then delete the old one.", c.ID, c.Region)
		subj := &subject{
			ARN: c.ARN, ID: c.ID, Account: c.Account, Region: c.Region, Type: certificateResourceType,
			Source: c.Source, KeyRef: c.KeyRef, Key: c.Key, Noun: "certificate",
			// ImportCertificate: without KmsKeyId, DMS uses its default key.
			NoKeyMeansDefault: true, DefaultAWSKey: "the default aws/dms key",
			FixAWSManaged: fix, FixNoKey: fix, FixUntrusted: fixOrTrust(fix),
			FixLowProtection: fixOrStronger(fix),
		}
		out = append(out, evaluateCMK(m, subj, opts))
	}
	return out
}
