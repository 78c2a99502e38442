// Package keyref is the one place that decides what a KMS key reference
// means: a key ARN, a bare key id, an alias name or an alias ARN; its
// partition, account and region; whether it names the reserved alias/aws/
// namespace (an AWS-managed key); and whether it can name a key the resource
// could use at all. Every adapter (live AWS, Terraform, CloudFormation)
// classifies references through it, so that alias/aws/dms, an alias ARN or
// a cross-partition ARN mean the same thing whatever the source.
//
// It imports only the standard library.
package keyref
