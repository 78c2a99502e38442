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
			FixLowProtection: func(_ string, min state.ProtectionLevel) string {
				return fmt.Sprintf("Use a key of protection level %s or higher. ", min) + fix
			},
		}
		out = append(out, evaluateCMK(m, subj, opts))
	}
	return out
}
