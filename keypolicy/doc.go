// Package keypolicy builds the recommended key policy for a customer-managed
// KMS key that protects AWS DMS data: the account root statement that keeps
// the key manageable through IAM, key administrators, key users who may use
// the key only through DMS in the key's region, and grants only for AWS
// resources. `cmkguard key-policy` prints it; `cmkguard remediate
// --create-key` attaches it to the key it creates, so both say the same thing.
//
// It imports only the standard library.
package keypolicy
