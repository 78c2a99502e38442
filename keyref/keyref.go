package keyref

import (
	"fmt"
	"regexp"
	"strings"
)

// Ref is a resource's KMS key reference, normalised. DMS reports a full
// key ARN, but other sources (and the DMS guide's own examples) may give a
// bare key id, an alias name or an alias ARN.
type Ref struct {
	// ARN is the full key ARN, when the reference names a key.
	ARN string
	// Alias is the alias name (alias/...), when the reference names an alias.
	Alias     string
	KeyID     string
	Account   string
	Region    string
	Partition string
	// AWSManagedName is true for an alias of the reserved alias/aws/ namespace,
	// which only AWS can create: it names an AWS-managed key.
	AWSManagedName bool
	// malformed, when set, says why the reference cannot name a KMS key the
	// resource could use; nothing is called for it and the key is unknown.
	Malformed string
}

var (
	// keyIDPattern is what a key id can be: a UUID, or mrk- and 32 hex
	// digits for a multi-Region key; any id without "/" or ":" at least
	// cannot be taken for an alias or an ARN by KMS.
	keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)
	// AccountPattern matches a 12-digit AWS account id.
	AccountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// Parse normalises ref; account and region are the resource's, used
// when ref does not carry them. A reference that cannot name a key the
// resource can use (a malformed ARN, another partition, another service, a
// region or account that is not one) is marked malformed.
func Parse(ref, account, region string) Ref {
	k := Ref{Account: account, Region: region, Partition: PartitionOf(region)}
	if k.Partition == "" {
		k.Partition = "aws"
	}
	resource := ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) != 6 {
			k.Malformed = fmt.Sprintf("the key reference %q is not a valid ARN", ref)
			return k
		}
		partition, service, keyRegion, keyAccount := parts[1], parts[2], parts[3], parts[4]
		switch {
		case service != "kms":
			k.Malformed = fmt.Sprintf("the key reference %q is not a KMS ARN (service %q)", ref, service)
		case partition != k.Partition:
			k.Malformed = fmt.Sprintf("the key reference %q is in partition %s, but the resource is in %s: no resource can use a key of another partition, so the reported key is not the one that protects it", ref, partition, k.Partition)
		case PartitionOf(keyRegion) != partition:
			k.Malformed = fmt.Sprintf("the key reference %q names no region of partition %s", ref, partition)
		case !AccountPattern.MatchString(keyAccount):
			k.Malformed = fmt.Sprintf("the key reference %q names no 12-digit account", ref)
		}
		if k.Malformed != "" {
			return k
		}
		k.Region, k.Account, resource = keyRegion, keyAccount, parts[5]
	}
	switch {
	case strings.HasPrefix(resource, "alias/") && len(resource) > len("alias/"):
		k.Alias = resource
		k.AWSManagedName = strings.HasPrefix(resource, "alias/aws/")
	case strings.HasPrefix(resource, "key/"):
		k.KeyID = strings.TrimPrefix(resource, "key/")
	default:
		k.KeyID = resource
	}
	if k.Alias == "" && !keyIDPattern.MatchString(k.KeyID) {
		k.KeyID = ""
		k.Malformed = fmt.Sprintf("the key reference %q names no key id or alias", ref)
		return k
	}
	if k.KeyID != "" {
		k.ARN = KeyARN(k.Partition, k.Region, k.Account, k.KeyID)
	}
	return k
}

// ParseOwn is Parse for the key that encrypts a DMS
// resource's own data (an instance's storage, a serverless config, an
// endpoint's connection details): DMS uses only keys of the resource's own
// region, so a key ARN of another region is not known to be the key that
// protects it (a multi-Region key's replica there may be in another state).
func ParseOwn(ref, account, region string) Ref {
	k := Parse(ref, account, region)
	if k.Malformed == "" && k.Region != region {
		return Ref{Account: k.Account, Region: region, Partition: k.Partition,
			Malformed: fmt.Sprintf("the key reference %q is in region %s, but the resource is in %s, and DMS uses only keys of its own region: the reported key is not known to be the one that protects it", ref, k.Region, region)}
	}
	return k
}

// KeyARN builds a key ARN.
func KeyARN(partition, region, account, keyID string) string {
	return "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + keyID
}

// AccountOfARN returns an ARN's account field, or "".
func AccountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// awsServiceNames are the display names of the services whose AWS-managed
// keys a DMS resource may name; any other alias/aws/<service> is shown by
// its alias alone.
var awsServiceNames = map[string]string{
	"dms": "DMS", "s3": "S3", "redshift": "Redshift", "rds": "RDS", "ebs": "EBS", "kms": "KMS",
	"secretsmanager": "Secrets Manager", "ssm": "Systems Manager", "lambda": "Lambda",
	"dynamodb": "DynamoDB", "elasticfilesystem": "EFS", "sns": "SNS", "sqs": "SQS",
	"kinesis": "Kinesis", "glue": "Glue", "backup": "Backup", "acm": "ACM",
}

// AWSManagedKeyName names, for a person, the AWS-managed key an alias of the
// reserved alias/aws/ namespace stands for: "the AWS-managed S3 key aws/s3"
// for alias/aws/s3 (or its alias ARN). It returns "" for any other alias.
func AWSManagedKeyName(alias string) string {
	if strings.HasPrefix(alias, "arn:") {
		parts := strings.SplitN(alias, ":", 6)
		if len(parts) != 6 {
			return ""
		}
		alias = parts[5]
	}
	service, ok := strings.CutPrefix(alias, "alias/aws/")
	if !ok || service == "" {
		return ""
	}
	if name, ok := awsServiceNames[service]; ok {
		return "the AWS-managed " + name + " key aws/" + service
	}
	return "the AWS-managed key aws/" + service
}

// AWSManagedKeyName names, for a person, the AWS-managed key r's alias
// stands for ("the AWS-managed DMS key aws/dms"), or "" when r does not name
// an alias of the alias/aws/ namespace.
func (r Ref) AWSManagedKeyName() string {
	if !r.AWSManagedName {
		return ""
	}
	return AWSManagedKeyName(r.Alias)
}
