package awslive

import "strings"

// keyRef is a resource's KMS key reference, normalised. DMS reports a full
// key ARN, but other sources (and the DMS guide's own examples) may give a
// bare key id, an alias name or an alias ARN.
type keyRef struct {
	// ARN is the full key ARN, when the reference names a key.
	ARN string
	// Alias is the alias name (alias/...), when the reference names an alias.
	Alias          string
	KeyID          string
	Account        string
	Region         string
	Partition      string
	awsManagedName bool
}

// parseKeyRef normalises ref; account and region are the resource's, used
// when ref does not carry them.
func parseKeyRef(ref, account, region string) keyRef {
	k := keyRef{Account: account, Region: region, Partition: "aws"}
	resource := ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) == 6 {
			k.Partition, k.Region, k.Account, resource = parts[1], parts[3], parts[4], parts[5]
		}
	}
	switch {
	case strings.HasPrefix(resource, "alias/"):
		k.Alias = resource
		k.awsManagedName = strings.HasPrefix(resource, "alias/aws/")
	case strings.HasPrefix(resource, "key/"):
		k.KeyID = strings.TrimPrefix(resource, "key/")
	default:
		k.KeyID = resource
	}
	if k.KeyID != "" {
		k.ARN = keyARN(k.Partition, k.Region, k.Account, k.KeyID)
	}
	return k
}

func keyARN(partition, region, account, keyID string) string {
	return "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + keyID
}

// accountOfARN returns an ARN's account field, or "".
func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}
