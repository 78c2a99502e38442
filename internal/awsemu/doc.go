// Package awsemu is cmkguard's local AWS: one http.Handler that speaks the real
// wire protocols of the AWS services cmkguard uses, so that the unmodified AWS
// SDK for Go v2 clients and the AWS CLI work against it with nothing but an
// endpoint URL and dummy credentials.
//
// It is responsible for:
//   - routing by the SigV4 credential scope (service, region), falling back to
//     X-Amz-Target; requests without SigV4 authorisation get the service's real
//     403 missing-authentication error; a region the estate does not list
//     gets AWS's signature error for a credential scoped to an invalid region,
//     and an opt-in region that is not enabled refuses regional calls;
//   - the caller's identity: every unknown access key id acts as the default
//     account; keys listed in the estate act as their account and principal;
//     keys issued by STS AssumeRole act as the assumed role;
//   - DMS (awsJson1_1, AmazonDMSv20160101): replication instances, tasks,
//     endpoints, serverless replication configs, subnet groups and tags;
//   - KMS (awsJson1_1, TrentService): keys, aliases, key policies, rotation,
//     enable/disable, deletion scheduling and tags, with AWS-managed keys that
//     customers cannot change and the aws/dms key created on first use;
//   - EC2 DescribeRegions and STS GetCallerIdentity/AssumeRole (query protocol);
//   - Organizations DescribeOrganization/ListAccounts (awsJson1_1);
//   - Security Hub BatchImportFindings (restJson1, POST /findings/import);
//   - controls for tests: an estate that seeds the state, deny rules, seeded
//     faults (latency, jitter, throttling, 5xx, answers lost after the
//     operation was performed) and a request log, also served as an admin
//     API (AdminHandler: /_cmkguard/requests, reset, faults) meant for its
//     own address.
//
// Status changes (creating → available, deleting → gone, moving → stopped, …)
// are lazy: each resource remembers when its pending status takes effect and
// the status is computed when the resource is read. No goroutine runs in the
// background; a delay of zero makes every change immediate.
//
// The Go API, for other packages' tests:
//
//	srv := awsemu.New(awsemu.Options{DefaultAccount: "111122223333"})
//	if err := srv.LoadEstate(estate); err != nil { ... } // optional
//	ts := httptest.NewServer(srv)                       // srv is an http.Handler
//	defer ts.Close()
//	// point the SDK at ts.URL (BaseEndpoint or AWS_ENDPOINT_URL) with any static credentials
//	srv.AddDeny(awsemu.DenyRule{Action: "kms:DescribeKey", Resource: keyARN})
//	srv.SetFaults(awsemu.Faults{Latency: 50 * time.Millisecond, Seed: 1})
//	srv.SetFaults(awsemu.Faults{LoseAnswer: map[string]float64{"kms:CreateKey": 1}, LoseAnswerLimit: 1})
//	admin := httptest.NewServer(srv.AdminHandler())    // GET /_cmkguard/requests, POST /_cmkguard/reset, /_cmkguard/faults
//	entries := srv.Requests() // what was called, by whom, mutating or not, outcome
//	srv.ResetLog()
//
// The estate format, deny rules, faults, the request log and the command
// line are described in docs/emulator.md.
//
// Imports: the standard library only. It imports no other package of the
// project, so every test that uses it crosses the real wire format. Loading an
// estate from YAML lives in internal/estatefile, which fills an Estate.
package awsemu
