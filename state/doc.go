// Package state is cmkguard's plain model of the DMS resources a rule looks at,
// whichever source they came from (live AWS, a saved audit, Terraform,
// CloudFormation). It holds resolved facts, including the facts about each
// resource's KMS key and an explicit "unknown" with its reason, so that rules
// can decide without calling anything.
//
// It imports only the standard library. Adapters build it; rules read it.
package state
