package awslive

import "github.com/cmkguard/cmkguard/keyref"

// keyRef is a resource's KMS key reference, normalised by the classifier
// shared by every adapter (package keyref).
type keyRef = keyref.Ref

func parseKeyRef(ref, account, region string) keyRef { return keyref.Parse(ref, account, region) }

func parseOwnKeyRef(ref, account, region string) keyRef { return keyref.ParseOwn(ref, account, region) }

// targetKey is the resolver's name for an S3 or Redshift target's data key,
// which may be in another region than the endpoint and so is parsed apart
// from the same reference used as a resource's own key.
func targetKey(ref string) string { return "target " + ref }

func keyARN(partition, region, account, keyID string) string {
	return keyref.KeyARN(partition, region, account, keyID)
}

func accountOfARN(arn string) string { return keyref.AccountOfARN(arn) }
