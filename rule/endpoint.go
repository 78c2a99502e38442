package rule

import (
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

const endpointResourceType = "AWS::DMS::Endpoint"

func endpointSubject(e *state.Endpoint) *subject {
	fix := fmt.Sprintf("An endpoint's KMS key cannot be changed: re-create endpoint %s with --kms-key-id set to a customer-managed key in %s, point its tasks at the new endpoint, then delete the old one.", e.ID, e.Region)
	return &subject{
		ARN: e.ARN, ID: e.ID, Account: e.Account, Region: e.Region, Type: endpointResourceType,
		Source: e.Source, Tags: e.Tags, KeyRef: e.KeyRef, Key: e.Key, Noun: "endpoint's connection information",
		// CreateEndpoint: without KmsKeyId, DMS uses its default key.
		NoKeyMeansDefault: true,
		DefaultAWSKey:     "the default aws/dms key",
		FixAWSManaged:     fix,
		FixNoKey:          fix,
		FixUntrusted:      fixOrTrust(fix),
		FixLowProtection:  fixOrStronger(fix),
	}
}

// endpointCMK is CMKG-DMS-005: the connection information of a DMS
// endpoint (server, user name, password) must be encrypted with a
// customer-managed key.
type endpointCMK struct{}

func (endpointCMK) Kind() state.ResourceKind { return state.KindEndpoints }

func (endpointCMK) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-005",
		ShortCode: "dms-endpoint-cmk",
		Title:     "DMS endpoint connection information encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityMedium,
		Description: "DMS encrypts each endpoint's connection information, database credentials included, with the " +
			"endpoint's KmsKeyId, or with the AWS-managed aws/dms key when none is given.",
		Remediation: "Re-create the endpoint with a customer-managed KmsKeyId and move its tasks to it.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_CreateEndpoint.html",
		},
		Compliance: endpointSecrets,
	}
}

func (r endpointCMK) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindEndpoints, "endpoints")
	for i := range s.Endpoints {
		out = append(out, evaluateCMK(m, endpointSubject(&s.Endpoints[i]), opts))
	}
	return out
}

// targetSSEKMS is CMKG-DMS-006: an S3 or Redshift target endpoint must
// encrypt the data it writes with SSE-KMS and a customer-managed key.
type targetSSEKMS struct{}

func (targetSSEKMS) Kind() state.ResourceKind { return state.KindEndpoints }

func (targetSSEKMS) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-006",
		ShortCode: "dms-target-sse-kms",
		Title:     "DMS S3 or Redshift target writes data encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityHigh,
		Description: "An S3 or Redshift target endpoint writes the migrated data with SSE_S3 (the default, keys " +
			"managed by S3) or SSE_KMS with ServerSideEncryptionKmsKeyId. Only SSE_KMS with a customer-managed key " +
			"puts the data under a key the customer controls.",
		Remediation: "An endpoint cannot be switched from SSE_S3 to SSE_KMS: re-create it with EncryptionMode SSE_KMS " +
			"and ServerSideEncryptionKmsKeyId set to a customer-managed key.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html",
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_RedshiftSettings.html",
		},
		Compliance: dataAtRestCMK,
	}
}

// isDataTarget reports whether e writes data that S3 encrypts (an S3 or
// Redshift target).
func isDataTarget(e *state.Endpoint) bool {
	engine := strings.ToLower(e.EngineName)
	return strings.EqualFold(e.EndpointType, "target") && (engine == "s3" || engine == "redshift" || engine == "redshift-serverless")
}

func (r targetSSEKMS) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindEndpoints, "endpoints (and the S3 and Redshift targets among them)")
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		if !isDataTarget(e) {
			continue
		}
		fix := fmt.Sprintf("Re-create target endpoint %s with EncryptionMode SSE_KMS and ServerSideEncryptionKmsKeyId set to a customer-managed key in %s (an endpoint cannot be switched from SSE_S3 to SSE_KMS).", e.ID, e.Region)
		subj := &subject{
			ARN: e.ARN, ID: e.ID, Account: e.Account, Region: e.Region, Type: endpointResourceType,
			Source: e.Source, Tags: e.Tags, KeyRef: e.TargetKeyRef, Key: e.TargetKey, Noun: "target's data",
			// SSE_KMS without a key id uses the AWS-managed aws/s3 key.
			NoKeyMeansDefault: true,
			FixAWSManaged:     fix, FixNoKey: fix,
			FixUntrusted:     func(string, state.ProtectionLevel) string { return fix },
			FixLowProtection: func(string, state.ProtectionLevel) string { return fix },
		}
		if !strings.EqualFold(e.TargetEncryptionMode, "SSE_KMS") {
			f := instanceFinding(m, subj)
			f.Status = finding.StatusFail
			mode := e.TargetEncryptionMode
			if mode == "" {
				mode = "SSE_S3 (the default)"
			}
			f.Reason = fmt.Sprintf("the %s target writes its data with %s: S3 manages the keys, not the customer", e.EngineName, mode)
			f.Remediation = fix
			out = append(out, f)
			continue
		}
		f := evaluateCMK(m, subj, opts)
		if f.Status == finding.StatusFail && subj.namesNoKey() {
			f.Reason = "the target uses SSE_KMS without ServerSideEncryptionKmsKeyId, so S3 uses the AWS-managed aws/s3 key"
		}
		out = append(out, f)
	}
	return out
}
