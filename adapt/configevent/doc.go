// Package configevent turns what AWS invokes cmkguard's Lambda function
// with into cmkguard's state: an AWS Config custom-rule event (a
// configuration item, an oversized item's summary, a periodic
// notification) or an EventBridge event for a CloudTrail-recorded API call
// (DMS Create/Modify of an instance, endpoint or serverless config; KMS
// DisableKey / ScheduleKeyDeletion).
//
// It only reads what the event carries: the resource, its ARN, account,
// region and the KMS key reference it reports. Who manages that key is not
// in any event; adapt/awslive's ResolveKeys learns it, as the audit does.
// Every field the event lacks or garbles is a clear error naming it, never
// a guess.
//
// It imports state, keyref and the event types of aws-lambda-go and the
// Config SDK; never rule, finding or report.
package configevent
