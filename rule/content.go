package rule

import (
	"fmt"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// contentKeyCMK is CMKG-DMS-012 (DocDbSettings) and CMKG-DMS-013
// (MongoDbSettings): the KmsKeyId of a DocumentDB or MongoDB endpoint's
// settings encrypts the content DMS keeps on the replication instance; it
// must be a customer-managed key.
type contentKeyCMK struct {
	settings, engine, id, shortCode string
}

var (
	docDBContentCMK   = contentKeyCMK{"DocDbSettings", "DocumentDB", "CMKG-DMS-012", "dms-endpoint-docdb-cmk"}
	mongoDBContentCMK = contentKeyCMK{"MongoDbSettings", "MongoDB", "CMKG-DMS-013", "dms-endpoint-mongodb-cmk"}
)

func (contentKeyCMK) Kind() state.ResourceKind { return state.KindEndpoints }

func (r contentKeyCMK) Metadata() finding.Rule {
	return finding.Rule{
		ID:        r.id,
		ShortCode: r.shortCode,
		Title:     fmt.Sprintf("DMS %s endpoint's %s.KmsKeyId is a customer-managed KMS key", r.engine, r.settings),
		Severity:  finding.SeverityHigh,
		Description: fmt.Sprintf("A %s endpoint's %s.KmsKeyId encrypts the content DMS keeps on the replication instance "+
			"while it migrates; without it DMS uses the AWS-managed aws/dms key.", r.engine, r.settings),
		Remediation: fmt.Sprintf("Set %s.KmsKeyId to a customer-managed key (aws dms modify-endpoint), or re-create the endpoint with it.", r.settings),
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_" + r.settings[:len(r.settings)-1] + ".html",
		},
		Compliance: dataAtRestCMK,
	}
}

func (r contentKeyCMK) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindEndpoints, "endpoints (and the "+r.engine+" endpoints among them)")
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		if e.ContentSettings != r.settings {
			continue
		}
		fix := fmt.Sprintf("Set %s.KmsKeyId of endpoint %s to a customer-managed key in %s: aws dms modify-endpoint --endpoint-arn %s --%s KmsKeyId=KEY_ARN.",
			r.settings, e.ID, e.Region, e.ARN, map[string]string{"DocDbSettings": "doc-db-settings", "MongoDbSettings": "mongo-db-settings"}[r.settings])
		subj := &subject{
			ARN: e.ARN, ID: e.ID, Account: e.Account, Region: e.Region, Type: endpointResourceType,
			Source: e.Source, Tags: e.Tags, KeyRef: e.ContentKeyRef, Key: e.ContentKey, Noun: r.engine + " endpoint's migrated content",
			NoKeyMeansDefault: true, DefaultAWSKey: "the default aws/dms key",
			FixAWSManaged: fix, FixNoKey: fix, FixUntrusted: fixOrTrust(fix),
			FixLowProtection: fixOrStronger(fix),
		}
		out = append(out, evaluateCMK(m, subj, opts))
	}
	return out
}

const assessmentRunResourceType = "AWS::DMS::ReplicationTaskAssessmentRun"

// assessmentResultsSSEKMS is CMKG-DMS-014: a premigration assessment run
// must write its results to S3 with SSE_KMS under a customer-managed key.
type assessmentResultsSSEKMS struct{}

func (assessmentResultsSSEKMS) Kind() state.ResourceKind { return state.KindAssessmentRuns }

func (assessmentResultsSSEKMS) Metadata() finding.Rule {
	return finding.Rule{
		ID:        "CMKG-DMS-014",
		ShortCode: "dms-assessment-results-sse-kms",
		Title:     "DMS premigration assessment results encrypted with a customer-managed KMS key",
		Severity:  finding.SeverityHigh,
		Description: "A premigration assessment run writes what it learned of the source (schemas, tables, data types, " +
			"unsupported objects) to S3, with ResultEncryptionMode SSE_S3 or SSE_KMS and ResultKmsKeyArn. SSE_S3, or no " +
			"setting (S3's default), leaves the keys to S3; only SSE_KMS with a customer-managed key puts the results under a key the customer controls.",
		Remediation: "Assessment runs cannot be modified: start new runs with --result-encryption-mode SSE_KMS and " +
			"--result-kms-key-arn set to a customer-managed key, and delete the old runs and their S3 results.",
		References: []string{
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_StartReplicationTaskAssessmentRun.html",
			"https://docs.aws.amazon.com/dms/latest/APIReference/API_ReplicationTaskAssessmentRun.html",
		},
		Compliance: dataAtRestCMK,
	}
}

func (r assessmentResultsSSEKMS) Evaluate(s *state.State, opts Options) []finding.Finding {
	m := r.Metadata()
	out := regionFindings(s, m, state.KindAssessmentRuns, "premigration assessment runs")
	for i := range s.AssessmentRuns {
		a := &s.AssessmentRuns[i]
		fix := fmt.Sprintf("Start a new assessment run of the task with --result-encryption-mode SSE_KMS and --result-kms-key-arn set to a customer-managed key in %s (aws dms start-replication-task-assessment-run), then delete run %s (aws dms delete-replication-task-assessment-run) and its results in S3.", a.Region, a.ID)
		subj := &subject{
			ARN: a.ARN, ID: a.ID, Account: a.Account, Region: a.Region, Type: assessmentRunResourceType,
			Source: a.Source, KeyRef: a.KeyRef, Key: a.Key, Noun: "assessment run's report",
			NoKeyMeansDefault: true, DefaultAWSKey: "the AWS-managed S3 key aws/s3",
			FixAWSManaged: fix, FixNoKey: fix, FixUntrusted: fixOrTrust(fix),
			FixLowProtection: func(string, state.ProtectionLevel) string { return fix },
		}
		if a.EncryptionMode != "SSE_KMS" {
			f := instanceFinding(m, subj)
			f.Status = finding.StatusFail
			if a.EncryptionMode == "" {
				f.Reason = "the assessment run names no ResultEncryptionMode, so its results are written with S3's default (SSE_S3): S3 manages the keys, not the customer"
			} else {
				f.Reason = fmt.Sprintf("the assessment run writes its results with %s: S3 manages the keys, not the customer", a.EncryptionMode)
			}
			f.Remediation = fix
			out = append(out, f)
			continue
		}
		f := evaluateCMK(m, subj, opts)
		if f.Status == finding.StatusFail && subj.namesNoKey() {
			f.Reason = "the assessment run uses SSE_KMS without ResultKmsKeyArn, so S3 uses the AWS-managed aws/s3 key"
		}
		out = append(out, f)
	}
	return out
}
