// Package continuous is cmkguard as an AWS Config custom rule and a
// real-time event handler: it takes one event (a Config rule invocation or
// an EventBridge event for a CloudTrail-recorded API call), turns it into
// state with adapt/configevent (or, for a periodic run, adapt/awslive's
// Scan), resolves the keys with adapt/awslive, evaluates with package rule
// unchanged, and reports: PutEvaluations for Config, BatchImportFindings
// (publish/securityhub) and/or SNS for the real-time path.
//
// What it guarantees:
//   - a verdict maps to one compliance type per resource, worst first:
//     FAIL → NON_COMPLIANT, UNKNOWN → NON_COMPLIANT with an annotation
//     that starts "UNKNOWN" (AWS Config does not accept INSUFFICIENT_DATA
//     from a rule's function, and UNKNOWN is never COMPLIANT),
//     SUPPRESSED → NOT_APPLICABLE with the suppression's reason,
//     PASS → COMPLIANT; every annotation is at most 256 characters and
//     names the key;
//   - evaluations go in batches of at most 100, ordered by the time AWS
//     documents (the item's capture time, the periodic notification's
//     time); throttled calls are retried by the SDK's retryer, and the
//     evaluations PutEvaluations reports as failed are retried alone;
//   - a malformed event is a clear error and puts nothing.
//
// It imports state, finding, rule, suppress, adapt/..., publish/securityhub
// and the AWS SDK; it is the only package that knows both the events and
// the rules.
package continuous
