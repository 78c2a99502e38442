// Package securityhub sends an audit's findings to AWS Security Hub as a
// custom integration, with BatchImportFindings: findings rendered by
// report.ASFF, in batches of at most 100, each batch retried with backoff
// while Security Hub throttles, and every finding it rejects (or that was
// never sent) reported by id and resource.
//
// It may import finding, report and the AWS SDK's securityhub client and
// smithy error types; it depends on one call, BatchImportFindings, through the
// BatchImportFindingsAPIClient interface, so that tests use a fake.
package securityhub
