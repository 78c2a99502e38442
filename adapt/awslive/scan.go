package awslive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// Default concurrency limits.
const (
	// DefaultRegionConcurrency regions are scanned at once (AWS has fewer
	// than 40 regions, so every region of an account normally runs at once).
	DefaultRegionConcurrency = 32
	// DefaultKeyConcurrency DescribeKey calls run at once per region.
	DefaultKeyConcurrency = 32
)

// Options choose what Scan covers and how.
type Options struct {
	// Regions to scan; empty means every region enabled for the account
	// (ec2:DescribeRegions), with opt-in regions that are not enabled
	// recorded as skipped. Given regions are checked against that same
	// list: one the partition does not have fails the scan with an
	// InvalidRegionError, an opt-in one not enabled is skipped.
	Regions []string
	// RegionConcurrency and KeyConcurrency bound the fan-out; zero means
	// the defaults.
	RegionConcurrency int
	KeyConcurrency    int
	// Scope is the resource kinds to list; empty means every kind.
	// state.KindInstances lists the replication instances
	// (dms:DescribeReplicationInstances); state.KindServerless the DMS
	// Serverless replication configs (dms:DescribeReplicationConfigs) and
	// their replications (dms:DescribeReplications, for
	// ReplicationConfig.Started); state.KindEndpoints the endpoints
	// (dms:DescribeEndpoints), whose connection-information and S3/Redshift
	// target keys are resolved too. Every kind is listed at the same time.
	// The state records the scope, so that the rules of the kinds left out
	// are reported as not evaluated.
	Scope []state.ResourceKind
	// Tags also reads every listed resource's tags
	// (dms:ListTagsForResource, TagsBatch resources per call), for
	// suppressions that select resources by tag. Off by default: the
	// verdicts do not need them. A region whose tags cannot be read keeps
	// its resources without tags, and Warn says so.
	Tags bool
	// Progress, when set, is told as each region finishes. Calls are
	// serialised; it must not block for long.
	Progress func(Progress)
	// Warn, when set, is told what the scan could not check but went on
	// without (Regions given while ec2:DescribeRegions could not be read).
	Warn func(string)
}

// Progress reports one region's outcome while a scan runs.
type Progress struct {
	// Account is set when several accounts are scanned (ScanAccounts).
	Account   string
	Region    string
	Status    state.RegionStatus
	Instances int
	Keys      int
	Reason    string
	// Done and Total count regions finished and regions to scan.
	Done, Total int
}

// Scan lists every DMS replication instance in the regions opts selects and
// resolves each instance's KMS key. Regions run concurrently; within a
// region, pages are read in sequence and then each distinct key is
// described concurrently.
//
// It returns an error only when the scan as a whole cannot run: the caller
// cannot be identified (sts:GetCallerIdentity), the regions cannot be
// listed and none were given, or ctx ends. Everything else (a region that
// cannot be listed, a key that cannot be read) is recorded in the state,
// with its reason, for the rules to turn into UNKNOWN findings.
func Scan(ctx context.Context, c Clients, opts Options) (state.State, error) {
	if opts.RegionConcurrency <= 0 {
		opts.RegionConcurrency = DefaultRegionConcurrency
	}
	if opts.KeyConcurrency <= 0 {
		opts.KeyConcurrency = DefaultKeyConcurrency
	}
	if _, err := CheckRegions(opts.Regions); err != nil {
		return state.State{}, err
	}
	account, toScan, skipped, unverified, err := discover(ctx, c, opts.Regions, opts.Warn)
	if err != nil {
		return state.State{}, err
	}
	s := newScanner(c, opts, account)
	s.total, s.unverified = len(toScan), unverified
	st := state.State{Instances: []state.ReplicationInstance{}, Scope: opts.Scope}
	for _, r := range skipped {
		st.Regions = append(st.Regions, state.RegionScan{Account: account, Region: r, Status: state.RegionSkipped,
			Reason: "opt-in region not enabled for the account"})
	}

	results := make([]regionResult, len(toScan))
	eachBounded(ctx, len(toScan), opts.RegionConcurrency, func(i int) {
		results[i] = s.scanRegion(ctx, toScan[i])
	})
	if err := ctx.Err(); err != nil {
		return state.State{}, fmt.Errorf("scan interrupted: %w", err)
	}
	for _, r := range results {
		if r.err != nil {
			return state.State{}, r.err
		}
		st.Regions = append(st.Regions, r.scan)
		st.Instances = append(st.Instances, r.instances...)
		st.ReplicationConfigs = append(st.ReplicationConfigs, r.configs...)
		st.Endpoints = append(st.Endpoints, r.endpoints...)
		st.InstanceProfiles = append(st.InstanceProfiles, r.profiles...)
		st.Certificates = append(st.Certificates, r.certificates...)
		st.AssessmentRuns = append(st.AssessmentRuns, r.assessments...)
	}
	slices.SortFunc(st.Regions, func(a, b state.RegionScan) int { return cmp.Compare(a.Region, b.Region) })
	slices.SortFunc(st.Instances, func(a, b state.ReplicationInstance) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(st.ReplicationConfigs, func(a, b state.ReplicationConfig) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(st.Endpoints, func(a, b state.Endpoint) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(st.InstanceProfiles, func(a, b state.InstanceProfile) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(st.Certificates, func(a, b state.Certificate) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(st.AssessmentRuns, func(a, b state.AssessmentRun) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	return st, nil
}

// eachBounded calls do(i) for every i below n, at most limit at once, and
// waits for them all. Once ctx ends, the calls not yet started are skipped:
// the caller checks ctx.Err() afterwards, so a skipped result is never read.
func eachBounded(ctx context.Context, n, limit int, do func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			do(i)
		}()
	}
	wg.Wait()
}

// ScanAccount is Scan with SDK clients built from cfg (see LoadConfig);
// the returned Stats counts every API call the scan made.
func ScanAccount(ctx context.Context, cfg aws.Config, opts Options) (state.State, *Stats, error) {
	stats := NewStats()
	st, err := Scan(ctx, NewClients(cfg, stats), opts)
	return st, stats, err
}

// discover identifies the caller's account and lists the account's
// regions (ec2:DescribeRegions, AllRegions); both calls run at once. With
// no regions given it scans every enabled one. With regions given it checks
// each against that list, because nothing else would: DMS endpoints are
// built for any well-formed name, and an emulator or proxy answers them.
// A region the partition does not have is an InvalidRegionError; an opt-in
// region not enabled is skipped; when the list cannot be read, the regions
// are scanned as given and warn says so.
//
// unverified, when not empty, is why the given regions could not be
// checked; the scanned regions carry it as their reason, so that reports
// (not only stderr) say so.
func discover(ctx context.Context, c Clients, given []string, warn func(string)) (account string, toScan, skipped []string, unverified string, err error) {
	var wg sync.WaitGroup
	var idErr, regErr error
	var id *sts.GetCallerIdentityOutput
	var regions *ec2.DescribeRegionsOutput
	wg.Add(2)
	go func() {
		defer wg.Done()
		id, idErr = c.Identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}()
	go func() {
		defer wg.Done()
		regions, regErr = c.Regions.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	}()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return "", nil, nil, "", fmt.Errorf("scan interrupted: %w", err)
	}
	if idErr != nil {
		return "", nil, nil, "", fmt.Errorf("identify the account (sts:GetCallerIdentity): %s", classify("sts:GetCallerIdentity", idErr).reason)
	}
	account = aws.ToString(id.Account)
	if len(given) == 0 {
		if regErr != nil {
			p := classify("ec2:DescribeRegions", regErr)
			return "", nil, nil, "", &StartError{
				Err:               fmt.Errorf("list the account's regions: %s; grant ec2:DescribeRegions or name the regions with --region", p.reason),
				MissingPermission: p.permission,
			}
		}
		for _, r := range regions.Regions {
			name := aws.ToString(r.RegionName)
			if name == "" {
				continue
			}
			if aws.ToString(r.OptInStatus) == "not-opted-in" {
				skipped = append(skipped, name)
				continue
			}
			toScan = append(toScan, name)
		}
		if len(toScan) == 0 {
			// Every account has enabled regions: an empty list is a broken
			// answer, and scanning nothing would look like a clean account.
			return "", nil, nil, "", fmt.Errorf("ec2:DescribeRegions listed no enabled region (%d not enabled); name the regions with --region", len(skipped))
		}
		slices.Sort(toScan)
		slices.Sort(skipped)
		return account, toScan, skipped, "", nil
	}
	given = slices.Compact(slices.Sorted(slices.Values(given)))
	if regErr != nil {
		note := "ec2:DescribeRegions could not check that the region exists and is enabled: " + classify("ec2:DescribeRegions", regErr).reason
		if warn != nil {
			warn(fmt.Sprintf("could not check the regions given (%s) against the account's region list: %s; scanning them as given (a region that does not exist or is not enabled shows as failed)",
				strings.Join(given, ", "), classify("ec2:DescribeRegions", regErr).reason))
		}
		return account, given, nil, note, nil
	}
	optIn := map[string]string{}
	known := []string{}
	for _, r := range regions.Regions {
		if name := aws.ToString(r.RegionName); name != "" {
			optIn[name] = aws.ToString(r.OptInStatus)
			known = append(known, name)
		}
	}
	var unknown []string
	for _, r := range given {
		status, ok := optIn[r]
		switch {
		case !ok:
			unknown = append(unknown, r)
		case status == "not-opted-in":
			skipped = append(skipped, r)
		default:
			toScan = append(toScan, r)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(known)
		return "", nil, nil, "", &InvalidRegionError{Regions: unknown, Known: known}
	}
	return account, toScan, skipped, "", nil
}

// StartError is why a scan could not start, with the IAM action whose
// denial caused it, if any: an organisation scan files it under the account
// as every other UNKNOWN, naming the permission to grant.
type StartError struct {
	Err               error
	MissingPermission string
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

type regionResult struct {
	scan         state.RegionScan
	instances    []state.ReplicationInstance
	configs      []state.ReplicationConfig
	endpoints    []state.Endpoint
	profiles     []state.InstanceProfile
	certificates []state.Certificate
	assessments  []state.AssessmentRun
	err          error // only for a cancelled scan
}

// scanner holds one scan's shared caches.
type scanner struct {
	c       Clients
	opts    Options
	account string
	// unverified is why the given regions could not be checked, if so.
	unverified string

	mu      sync.Mutex
	keys    map[string]*keyEntry   // by key ARN: each described once
	aliases map[string]*aliasEntry // by region: listed at most once
	done    int
	total   int
}

// newScanner returns a scanner of account with empty key and alias caches.
func newScanner(c Clients, opts Options, account string) *scanner {
	return &scanner{c: c, opts: opts, account: account, keys: map[string]*keyEntry{}, aliases: map[string]*aliasEntry{}}
}

type keyEntry struct {
	once sync.Once
	key  state.Key
	err  error
}

type aliasEntry struct {
	once    sync.Once
	targets map[string][]string // key id → alias names
	problem *problem
	err     error
}

func (s *scanner) progress(p Progress) {
	if s.opts.Progress == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done++
	p.Done, p.Total = s.done, s.total
	s.opts.Progress(p)
}

func (s *scanner) scanRegion(ctx context.Context, region string) regionResult {
	scan := state.RegionScan{Account: s.account, Region: region, Status: state.RegionScanned}
	inScope := (&state.State{Scope: s.opts.Scope}).InScope
	// Keys are described as soon as a page names them, while the next
	// pages are read: the key round overlaps the paging.
	keys := s.newKeyResolver(ctx)
	var configs []state.ReplicationConfig
	var configErr error
	var started map[string]bool
	var serverlessRuns []state.AssessmentRun // premigration assessments of serverless replications
	var replicationsErr error
	var wg sync.WaitGroup
	if inScope(state.KindServerless) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			configs, configErr = s.listConfigs(ctx, region, func(rc *state.ReplicationConfig) {
				keys.addOwn(rc.KeyRef, rc.Account, region)
			})
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			started, replicationsErr = s.startedReplications(ctx, region, func(r dmstypes.Replication) {
				if !inScope(state.KindAssessmentRuns) {
					return
				}
				for _, a := range serverlessAssessments(r, s.account, region) {
					keys.addTarget(a.KeyRef, a.Account, region)
					serverlessRuns = append(serverlessRuns, a)
				}
			})
		}()
	}
	var endpoints []state.Endpoint
	var endpointErr error
	if inScope(state.KindEndpoints) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			endpoints, endpointErr = s.listEndpoints(ctx, region, func(e *state.Endpoint) { keys.addEndpoint(e, region) })
		}()
	}
	var profiles []state.InstanceProfile
	var profileErr error
	if inScope(state.KindInstanceProfiles) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			profiles, profileErr = s.listInstanceProfiles(ctx, region, func(ip *state.InstanceProfile) {
				keys.addOwn(ip.KeyRef, ip.Account, region)
			})
		}()
	}
	var certificates []state.Certificate
	var certificateErr error
	if inScope(state.KindCertificates) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			certificates, certificateErr = s.listCertificates(ctx, region, func(c *state.Certificate) {
				keys.addOwn(c.KeyRef, c.Account, region)
			})
		}()
	}
	var assessments []state.AssessmentRun
	var assessmentErr error
	if inScope(state.KindAssessmentRuns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assessments, assessmentErr = s.listAssessmentRuns(ctx, region, func(a *state.AssessmentRun) {
				keys.addTarget(a.KeyRef, a.Account, region)
			})
		}()
	}
	var instances []state.ReplicationInstance
	var err error
	if inScope(state.KindInstances) {
		instances, err = s.listInstances(ctx, region, func(inst *state.ReplicationInstance) {
			keys.addOwn(inst.KeyRef, inst.Account, region)
		})
	}
	wg.Wait()
	resolved, keyErr := keys.wait()
	for _, e := range []error{err, configErr, endpointErr, profileErr, certificateErr, assessmentErr, keyErr} {
		if e != nil && isCanceled(ctx, e) {
			return regionResult{err: fmt.Errorf("scan %s: %w", region, e)}
		}
	}
	if keyErr != nil {
		return regionResult{err: fmt.Errorf("scan %s: %w", region, keyErr)}
	}
	// Each kind's listing is recorded apart, so that what could not be
	// listed is filed under its own rules; the region fails when any did.
	kind := func(k state.ResourceKind, listErr error, action string, describe func(problem) string) {
		if !inScope(k) {
			return
		}
		ks := state.KindScan{Kind: k, Status: state.RegionScanned}
		if listErr != nil {
			p := classify(action, listErr)
			ks.Status, ks.Reason, ks.MissingPermission = state.RegionFailed, describe(p), p.permission
			scan.Status = state.RegionFailed
			scan.Reason = strings.TrimPrefix(scan.Reason+"; "+kindLabels[k]+": "+ks.Reason, "; ")
			scan.MissingPermission = cmp.Or(scan.MissingPermission, ks.MissingPermission)
		}
		scan.Kinds = append(scan.Kinds, ks)
	}
	kind(state.KindInstances, err, "dms:DescribeReplicationInstances", func(p problem) string {
		// The instances of the pages read before the failure are reported
		// (a FAIL found is not lost), and the kind is failed, so that the
		// ones that could not be listed show up as UNKNOWN: a partial
		// listing is never presented as a whole region.
		if len(instances) > 0 {
			return fmt.Sprintf("the listing stopped after %d instances: %s", len(instances), p.reason)
		}
		return p.reason
	})
	kind(state.KindServerless, configErr, "dms:DescribeReplicationConfigs", func(p problem) string {
		configs = nil
		return p.reason
	})
	kind(state.KindEndpoints, endpointErr, "dms:DescribeEndpoints", func(p problem) string {
		endpoints = nil
		return p.reason
	})
	kind(state.KindInstanceProfiles, profileErr, "dms:DescribeInstanceProfiles", func(p problem) string {
		profiles = nil
		return p.reason
	})
	kind(state.KindCertificates, certificateErr, "dms:DescribeCertificates", func(p problem) string {
		certificates = nil
		return p.reason
	})
	assessments = append(assessments, serverlessRuns...)
	assessmentAction := "dms:DescribeReplicationTaskAssessmentRuns"
	if assessmentErr == nil && replicationsErr != nil && !isCanceled(ctx, replicationsErr) {
		// The serverless replications' premigration assessments could not
		// all be read.
		assessmentErr, assessmentAction = replicationsErr, "dms:DescribeReplications"
	}
	kind(state.KindAssessmentRuns, assessmentErr, assessmentAction, func(p problem) string {
		if assessmentAction == "dms:DescribeReplications" {
			// The task assessment runs were listed: they keep their
			// findings; the serverless ones not read show as UNKNOWN.
			return "the premigration assessments of serverless replications could not all be read: " + p.reason
		}
		// The task runs could not be listed; the serverless replications'
		// assessments, read apart, keep their findings.
		assessments = serverlessRuns
		return p.reason
	})
	// The slices share their arrays with this view: assignKeys fills them.
	assignKeys(&state.State{Instances: instances, ReplicationConfigs: configs, Endpoints: endpoints,
		InstanceProfiles: profiles, Certificates: certificates, AssessmentRuns: assessments}, resolved)
	for i := range configs {
		configs[i].Started = started[configs[i].ARN]
	}
	if s.opts.Tags {
		if err := s.readTags(ctx, region, instances, configs, endpoints); err != nil {
			if isCanceled(ctx, err) {
				return regionResult{err: fmt.Errorf("scan %s: %w", region, err)}
			}
			if s.opts.Warn != nil {
				s.opts.Warn(fmt.Sprintf("%s: the resources' tags could not be read (%s): suppressions by tag do not apply there", region, classify("dms:ListTagsForResource", err).reason))
			}
		}
	}
	if scan.Status == state.RegionScanned && s.unverified != "" {
		scan.Reason = s.unverified
	}
	s.progress(Progress{Region: region, Status: scan.Status, Instances: len(instances), Keys: len(resolved), Reason: scan.Reason})
	return regionResult{scan: scan, instances: instances, configs: configs, endpoints: endpoints, profiles: profiles, certificates: certificates, assessments: assessments}
}

// TagsBatch is how many resources one dms:ListTagsForResource names.
const TagsBatch = 100

// readTags fills the tags of the region's resources, TagsBatch ARNs per
// dms:ListTagsForResource call (each tag names its resource's ARN).
func (s *scanner) readTags(ctx context.Context, region string, instances []state.ReplicationInstance, configs []state.ReplicationConfig, endpoints []state.Endpoint) error {
	var arns []string
	for _, i := range instances {
		arns = append(arns, i.ARN)
	}
	for _, c := range configs {
		arns = append(arns, c.ARN)
	}
	for _, e := range endpoints {
		arns = append(arns, e.ARN)
	}
	tags := map[string]map[string]string{}
	for start := 0; start < len(arns); start += TagsBatch {
		batch := arns[start:min(start+TagsBatch, len(arns))]
		out, err := s.c.DMSTags(region).ListTagsForResource(ctx, &dms.ListTagsForResourceInput{ResourceArnList: batch})
		if err != nil {
			return err
		}
		for _, t := range out.TagList {
			arn := aws.ToString(t.ResourceArn)
			if len(batch) == 1 && arn == "" {
				arn = batch[0]
			}
			if tags[arn] == nil {
				tags[arn] = map[string]string{}
			}
			tags[arn][aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	for i := range instances {
		instances[i].Tags = tags[instances[i].ARN]
	}
	for i := range configs {
		configs[i].Tags = tags[configs[i].ARN]
	}
	for i := range endpoints {
		endpoints[i].Tags = tags[endpoints[i].ARN]
	}
	return nil
}

// kindLabels name each resource kind in a region's reason.
var kindLabels = map[state.ResourceKind]string{
	state.KindInstances:        "replication instances",
	state.KindServerless:       "serverless replication configs",
	state.KindEndpoints:        "endpoints",
	state.KindInstanceProfiles: "instance profiles",
	state.KindCertificates:     "certificates",
	state.KindAssessmentRuns:   "premigration assessment runs",
}

func keyFor(ref string, resolved map[string]state.Key, none string) state.Key {
	if ref == "" {
		return state.Key{Evidence: state.EvidenceNone, UnknownReason: none}
	}
	return resolved[ref]
}

// listConfigs reads every page of the region's serverless replication
// configs, telling found about each as its page arrives.
func (s *scanner) listConfigs(ctx context.Context, region string, found func(*state.ReplicationConfig)) ([]state.ReplicationConfig, error) {
	p := dms.NewDescribeReplicationConfigsPaginator(s.c.DMSConfigs(region), &dms.DescribeReplicationConfigsInput{MaxRecords: aws.Int32(100)})
	return listDMS(ctx, p, func(page *dms.DescribeReplicationConfigsOutput) []state.ReplicationConfig {
		var out []state.ReplicationConfig
		for _, c := range page.ReplicationConfigs {
			out = append(out, configFromAPI(c, s.account, region))
		}
		return out
	}, func(rc *state.ReplicationConfig) string { return rc.ARN }, found)
}

func configFromAPI(c dmstypes.ReplicationConfig, account, region string) state.ReplicationConfig {
	arn := aws.ToString(c.ReplicationConfigArn)
	rc := state.ReplicationConfig{
		Source: state.Source{ARN: arn}, ARN: arn, ID: aws.ToString(c.ReplicationConfigIdentifier),
		Account: cmp.Or(accountOfARN(arn), account), Region: region,
	}
	if c.ComputeConfig != nil {
		rc.KeyRef = strings.TrimSpace(aws.ToString(c.ComputeConfig.KmsKeyId))
	}
	return rc
}

// notStartedStatuses are the replication statuses of a config whose first
// replication has not started (it can still be modified).
var notStartedStatuses = map[string]bool{"": true, "created": true, "failed": true, "failed-provision": true}

// startedReplications returns the configs (by ARN) whose replication has
// started, as dms:DescribeReplications reports them, and tells each
// replication to each (for its premigration assessments). It is best
// effort for Started: on failure nothing is marked started, and the
// remediation texts cover both cases; the error is returned for the
// premigration assessments, which are then not all known.
func (s *scanner) startedReplications(ctx context.Context, region string, each func(dmstypes.Replication)) (map[string]bool, error) {
	out := map[string]bool{}
	p := dms.NewDescribeReplicationsPaginator(s.c.DMSReplications(region), &dms.DescribeReplicationsInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, r := range page.Replications {
			each(r)
			if aws.ToString(r.StartReplicationType) != "" || !notStartedStatuses[strings.ToLower(aws.ToString(r.Status))] {
				out[aws.ToString(r.ReplicationConfigArn)] = true
			}
		}
	}
	return out, nil
}

// listEndpoints reads every page of the region's endpoints, telling found
// about each as its page arrives.
func (s *scanner) listEndpoints(ctx context.Context, region string, found func(*state.Endpoint)) ([]state.Endpoint, error) {
	p := dms.NewDescribeEndpointsPaginator(s.c.DMSEndpoints(region), &dms.DescribeEndpointsInput{MaxRecords: aws.Int32(100)})
	return listDMS(ctx, p, func(page *dms.DescribeEndpointsOutput) []state.Endpoint {
		var out []state.Endpoint
		for _, ep := range page.Endpoints {
			out = append(out, endpointFromAPI(ep, s.account, region))
		}
		return out
	}, func(e *state.Endpoint) string { return e.ARN }, found)
}

func endpointFromAPI(ep dmstypes.Endpoint, account, region string) state.Endpoint {
	arn := aws.ToString(ep.EndpointArn)
	e := state.Endpoint{
		Source: state.Source{ARN: arn}, ARN: arn, ID: aws.ToString(ep.EndpointIdentifier),
		Account: cmp.Or(accountOfARN(arn), account), Region: region,
		EndpointType: strings.ToLower(string(ep.EndpointType)), EngineName: aws.ToString(ep.EngineName),
		KeyRef: strings.TrimSpace(aws.ToString(ep.KmsKeyId)),
	}
	var mode dmstypes.EncryptionModeValue
	var key *string
	switch {
	case ep.S3Settings != nil:
		mode, key = ep.S3Settings.EncryptionMode, ep.S3Settings.ServerSideEncryptionKmsKeyId
	case ep.RedshiftSettings != nil:
		mode, key = ep.RedshiftSettings.EncryptionMode, ep.RedshiftSettings.ServerSideEncryptionKmsKeyId
	}
	// The API spells the modes sse-s3 and sse-kms; the state, SSE_S3 and SSE_KMS.
	e.TargetEncryptionMode = strings.ReplaceAll(strings.ToUpper(string(mode)), "-", "_")
	if e.TargetEncryptionMode == "SSE_KMS" {
		e.TargetKeyRef = strings.TrimSpace(aws.ToString(key))
	}
	contentSettings(&e, ep)
	return e
}

// listInstances reads every page of the region's replication instances,
// telling found about each as its page arrives.
func (s *scanner) listInstances(ctx context.Context, region string, found func(*state.ReplicationInstance)) ([]state.ReplicationInstance, error) {
	p := dms.NewDescribeReplicationInstancesPaginator(s.c.DMS(region), &dms.DescribeReplicationInstancesInput{MaxRecords: aws.Int32(100)})
	return listDMS(ctx, p, func(page *dms.DescribeReplicationInstancesOutput) []state.ReplicationInstance {
		var out []state.ReplicationInstance
		for _, ri := range page.ReplicationInstances {
			out = append(out, instanceFromAPI(ri, s.account, region))
		}
		return out
	}, func(inst *state.ReplicationInstance) string { return inst.ARN }, found)
}

// dmsPaginator is what the SDK's DMS paginators have in common.
type dmsPaginator[Page any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*dms.Options)) (Page, error)
}

// listDMS reads every page of a DMS listing, turning each page into state
// with fromPage and telling found about each resource as its page arrives.
//
// A resource created or deleted between two pages shifts the next page,
// which can list one resource twice: it is one resource (arnOf names it)
// and gets one finding per rule, so it is kept once.
//
// DMS answers "none" with ResourceNotFoundFault in some regions; with no
// filter, on the first page, that means the region has none. On a later
// page it is a failure, returned with the resources of the pages read
// before it.
func listDMS[Page, R any](ctx context.Context, p dmsPaginator[Page], fromPage func(Page) []R, arnOf func(*R) string, found func(*R)) ([]R, error) {
	out := []R{}
	seen := map[string]bool{}
	for pages := 0; p.HasMorePages(); pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			var nf *dmstypes.ResourceNotFoundFault
			if errors.As(err, &nf) && pages == 0 {
				return out, nil
			}
			return out, err
		}
		for _, r := range fromPage(page) {
			arn := arnOf(&r)
			if arn != "" && seen[arn] {
				continue
			}
			seen[arn] = true
			found(&r)
			out = append(out, r)
		}
	}
	return out, nil
}

func instanceFromAPI(ri dmstypes.ReplicationInstance, account, region string) state.ReplicationInstance {
	arn := aws.ToString(ri.ReplicationInstanceArn)
	if a := accountOfARN(arn); a != "" {
		account = a
	}
	inst := state.ReplicationInstance{
		Source:                     state.Source{ARN: arn},
		ARN:                        arn,
		ID:                         aws.ToString(ri.ReplicationInstanceIdentifier),
		Account:                    account,
		Region:                     region,
		Status:                     aws.ToString(ri.ReplicationInstanceStatus),
		Class:                      aws.ToString(ri.ReplicationInstanceClass),
		AllocatedStorage:           ri.AllocatedStorage,
		EngineVersion:              aws.ToString(ri.EngineVersion),
		AvailabilityZone:           aws.ToString(ri.AvailabilityZone),
		MultiAZ:                    ri.MultiAZ,
		PubliclyAccessible:         ri.PubliclyAccessible,
		AutoMinorVersionUpgrade:    ri.AutoMinorVersionUpgrade,
		PreferredMaintenanceWindow: aws.ToString(ri.PreferredMaintenanceWindow),
		NetworkType:                aws.ToString(ri.NetworkType),
		KeyRef:                     strings.TrimSpace(aws.ToString(ri.KmsKeyId)),
	}
	for _, sg := range ri.VpcSecurityGroups {
		if id := aws.ToString(sg.VpcSecurityGroupId); id != "" {
			inst.VPCSecurityGroupIDs = append(inst.VPCSecurityGroupIDs, id)
		}
	}
	if ri.ReplicationSubnetGroup != nil {
		inst.SubnetGroupID = aws.ToString(ri.ReplicationSubnetGroup.ReplicationSubnetGroupIdentifier)
	}
	return inst
}

// keyResolver resolves a region's distinct key references concurrently,
// at most KeyConcurrency at a time.
type keyResolver struct {
	ctx     context.Context
	s       *scanner
	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	started map[string]bool
	out     map[string]state.Key
	err     error
}

func (s *scanner) newKeyResolver(ctx context.Context) *keyResolver {
	return &keyResolver{ctx: ctx, s: s, sem: make(chan struct{}, s.opts.KeyConcurrency),
		started: map[string]bool{}, out: map[string]state.Key{}}
}

// addOwn starts resolving ref as the key of a resource's own data (DMS
// uses only keys of the resource's region); an empty ref names no key.
func (r *keyResolver) addOwn(ref, account, region string) {
	if ref != "" {
		r.add(ref, parseOwnKeyRef(ref, account, region))
	}
}

// addTarget starts resolving ref as the key S3 or Redshift writes data
// with (an S3 or Redshift target's, an assessment run's results), which may
// be of another region; an empty ref names no key.
func (r *keyResolver) addTarget(ref, account, region string) {
	if ref != "" {
		r.add(targetKey(ref), parseKeyRef(ref, account, region))
	}
}

// addEndpoint starts resolving each key an endpoint names: its own, its
// target's data key and its DocumentDB/MongoDB content key.
func (r *keyResolver) addEndpoint(e *state.Endpoint, region string) {
	r.addOwn(e.KeyRef, e.Account, region)
	r.addTarget(e.TargetKeyRef, e.Account, region)
	r.addOwn(e.ContentKeyRef, e.Account, region)
}

// addState starts resolving every key of st's resources.
func (r *keyResolver) addState(st *state.State) {
	for _, inst := range st.Instances {
		r.addOwn(inst.KeyRef, inst.Account, inst.Region)
	}
	for _, rc := range st.ReplicationConfigs {
		r.addOwn(rc.KeyRef, rc.Account, rc.Region)
	}
	for i := range st.Endpoints {
		r.addEndpoint(&st.Endpoints[i], st.Endpoints[i].Region)
	}
	for _, ip := range st.InstanceProfiles {
		r.addOwn(ip.KeyRef, ip.Account, ip.Region)
	}
	for _, c := range st.Certificates {
		r.addOwn(c.KeyRef, c.Account, c.Region)
	}
	for _, a := range st.AssessmentRuns {
		r.addTarget(a.KeyRef, a.Account, a.Region)
	}
}

// assignKeys sets every resource's key facts from resolved, the keys that
// addState (or the scan's own adds) resolved.
func assignKeys(st *state.State, resolved map[string]state.Key) {
	for i := range st.Instances {
		st.Instances[i].Key = keyFor(st.Instances[i].KeyRef, resolved, "the instance reports no KMS key")
	}
	for i := range st.ReplicationConfigs {
		st.ReplicationConfigs[i].Key = keyFor(st.ReplicationConfigs[i].KeyRef, resolved, "the replication config names no KMS key")
	}
	for i := range st.Endpoints {
		e := &st.Endpoints[i]
		e.Key = keyFor(e.KeyRef, resolved, "the endpoint names no KMS key")
		if e.TargetKeyRef != "" {
			e.TargetKey = resolved[targetKey(e.TargetKeyRef)]
		}
		if e.ContentKeyRef != "" {
			e.ContentKey = resolved[e.ContentKeyRef]
		}
	}
	for i := range st.InstanceProfiles {
		st.InstanceProfiles[i].Key = keyFor(st.InstanceProfiles[i].KeyRef, resolved, "the instance profile names no KMS key")
	}
	for i := range st.Certificates {
		st.Certificates[i].Key = keyFor(st.Certificates[i].KeyRef, resolved, "the certificate names no KMS key")
	}
	for i := range st.AssessmentRuns {
		if st.AssessmentRuns[i].KeyRef != "" {
			st.AssessmentRuns[i].Key = resolved[targetKey(st.AssessmentRuns[i].KeyRef)]
		}
	}
}

// add starts resolving raw unless it already was.
func (r *keyResolver) add(raw string, ref keyRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started[raw] {
		return
	}
	r.started[raw] = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			r.fail(r.ctx.Err())
			return
		}
		defer func() { <-r.sem }()
		k, err := r.s.resolveKey(r.ctx, ref)
		if err != nil {
			r.fail(err)
			return
		}
		r.mu.Lock()
		r.out[raw] = k
		r.mu.Unlock()
	}()
}

func (r *keyResolver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// wait waits for every key started and returns them by reference.
func (r *keyResolver) wait() (map[string]state.Key, error) {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out, r.err
}

// resolveKey learns who manages the key behind ref. The error is only for a
// cancelled scan; every other failure is recorded in the key.
func (s *scanner) resolveKey(ctx context.Context, ref keyRef) (state.Key, error) {
	if ref.Malformed != "" {
		return state.Key{Account: ref.Account, Region: ref.Region, Evidence: state.EvidenceNone, UnknownReason: ref.Malformed}, nil
	}
	if ref.ARN == "" {
		return s.resolveAlias(ctx, ref)
	}
	s.mu.Lock()
	e, ok := s.keys[ref.ARN]
	if !ok {
		e = &keyEntry{}
		s.keys[ref.ARN] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		if e.key, e.err = s.describeKey(ctx, ref); e.err == nil {
			e.err = s.addSoundness(ctx, ref, &e.key)
		}
	})
	return e.key, e.err
}

func (s *scanner) describeKey(ctx context.Context, ref keyRef) (state.Key, error) {
	out, err := s.c.DescribeKey(ref.Region).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref.ARN)})
	if err != nil {
		if isCanceled(ctx, err) {
			return state.Key{}, err
		}
		p := classify("kms:DescribeKey", err)
		if ref.Account != s.account {
			switch {
			case p.denied:
				p.reason += fmt.Sprintf("; the key belongs to account %s, whose aliases this account cannot list", ref.Account)
			case p.notFound:
				p.reason = fmt.Sprintf("kms:DescribeKey found no key %s: the key belongs to account %s, and either that account's key policy does not let this account describe it (the owner must allow kms:DescribeKey to account %s) or it was deleted", ref.ARN, ref.Account, s.account)
			}
			return crossAccountKey(ref, p), nil
		}
		if p.denied || p.throttled {
			// A throttled DescribeKey, past its retry budget, is as good as
			// a denied one for the fallback: ListAliases still proves who
			// manages the key.
			return s.keyFromAliases(ctx, ref, p)
		}
		if p.notFound {
			p.reason = fmt.Sprintf("kms:DescribeKey found no key %s in this account: if it was deleted, DMS can no longer decrypt the data it protects", ref.ARN)
		}
		return unknownKey(ref, p), nil
	}
	md := out.KeyMetadata
	if md == nil || md.KeyManager == "" {
		return unknownKey(ref, problem{reason: "kms:DescribeKey returned no key manager"}), nil
	}
	// Facts about another key than the one asked for must not decide this
	// one's verdict (a proxy, a cache or an emulator that answers wrongly).
	if got := aws.ToString(md.Arn); got != "" && !strings.EqualFold(got, ref.ARN) {
		return unknownKey(ref, problem{reason: fmt.Sprintf("kms:DescribeKey answered for key %s, not for %s, the key asked for; its answer is not used", got, ref.ARN)}), nil
	}
	if got := aws.ToString(md.AWSAccountId); got != "" && got != ref.Account {
		return unknownKey(ref, problem{reason: fmt.Sprintf("kms:DescribeKey reported key %s as owned by account %s, not %s as its ARN says; its answer is not used", ref.ARN, got, ref.Account)}), nil
	}
	return state.Key{
		ARN:         ref.ARN,
		Account:     ref.Account,
		Region:      ref.Region,
		Resolved:    true,
		Evidence:    state.EvidenceDescribeKey,
		Manager:     state.KeyManager(md.KeyManager),
		State:       string(md.KeyState),
		Origin:      string(md.Origin),
		MultiRegion: aws.ToBool(md.MultiRegion),
		Spec:        string(md.KeySpec),
	}, nil
}

// crossAccountKey is the verdict on a key of another account than the
// scanned one whose metadata could not be read: AWS-managed keys cannot be
// used from another account, so a resource of this account that uses it
// proves it customer-managed. Its state and origin stay unknown, and the
// reason says why they could not be read.
func crossAccountKey(ref keyRef, p problem) state.Key {
	k := unknownKey(ref, p)
	k.Resolved, k.Evidence, k.Manager = true, state.EvidenceCrossAccount, state.KeyManagerCustomer
	return k
}

func unknownKey(ref keyRef, p problem) state.Key {
	return state.Key{
		ARN: ref.ARN, Account: ref.Account, Region: ref.Region, Evidence: state.EvidenceNone,
		UnknownReason: p.reason, MissingPermission: p.permission,
	}
}

// keyFromAliases is the fallback when DescribeKey was denied: the console
// method of the rule text. An alias/aws/... alias targeting the key proves
// it AWS-managed (customers cannot create such aliases); any other alias
// proves it customer-managed. The key's state stays unknown.
func (s *scanner) keyFromAliases(ctx context.Context, ref keyRef, denied problem) (state.Key, error) {
	targets, listProblem, err := s.aliasTargets(ctx, ref.Region)
	if err != nil {
		return state.Key{}, err
	}
	k := unknownKey(ref, denied)
	if listProblem != nil {
		k.UnknownReason = denied.reason + "; the kms:ListAliases fallback failed too: " + listProblem.reason
		return k, nil
	}
	names := targets[ref.KeyID]
	if len(names) == 0 {
		k.UnknownReason = denied.reason + "; no alias in " + ref.Region + " targets the key, so kms:ListAliases cannot tell who manages it"
		return k, nil
	}
	k.Resolved, k.Evidence, k.Aliases = true, state.EvidenceListAliases, names
	k.Manager = state.KeyManagerCustomer
	for _, n := range names {
		if name := keyref.AWSManagedKeyName(n); name != "" {
			k.Manager, k.AWSManagedKey = state.KeyManagerAWS, name
		}
	}
	k.UnknownReason = denied.reason + "; its manager was proved by kms:ListAliases, its state is unknown"
	return k, nil
}

// resolveAlias handles a reference that names an alias rather than a key
// (never the case for what DMS reports, possible for other sources): the
// alias is looked up with ListAliases, never with DescribeKey, which for
// alias/aws/dms could create the AWS-managed key.
func (s *scanner) resolveAlias(ctx context.Context, ref keyRef) (state.Key, error) {
	k := state.Key{Account: ref.Account, Region: ref.Region, Evidence: state.EvidenceNone}
	if ref.Alias == "" {
		k.UnknownReason = "the key reference is empty"
		return k, nil
	}
	if ref.Account != s.account {
		if ref.AWSManagedName {
			return awsManagedByName(ref, "it belongs to account "+ref.Account+", whose aliases this account cannot list", ""), nil
		}
		k.UnknownReason = fmt.Sprintf("the key is named by alias %s of account %s, whose aliases this account cannot list", ref.Alias, ref.Account)
		return k, nil
	}
	targets, p, err := s.aliasTargets(ctx, ref.Region)
	if err != nil {
		return state.Key{}, err
	}
	if p != nil {
		if ref.AWSManagedName {
			return awsManagedByName(ref, p.reason, p.permission), nil
		}
		k.UnknownReason, k.MissingPermission = "the key is named by alias "+ref.Alias+" and "+p.reason, p.permission
		return k, nil
	}
	for id, names := range targets {
		if !slices.Contains(names, ref.Alias) {
			continue
		}
		target := keyRef{KeyID: id, Account: ref.Account, Region: ref.Region, Partition: ref.Partition,
			ARN: keyARN(ref.Partition, ref.Region, ref.Account, id)}
		if ref.AWSManagedName {
			return state.Key{ARN: target.ARN, Account: ref.Account, Region: ref.Region, Resolved: true,
				Evidence: state.EvidenceListAliases, Manager: state.KeyManagerAWS, Aliases: names, AWSManagedKey: ref.AWSManagedKeyName(),
				UnknownReason: "named by the AWS-managed alias " + ref.Alias + "; its state was not read"}, nil
		}
		return s.resolveKey(ctx, target)
	}
	if ref.AWSManagedName {
		return awsManagedByName(ref, "no key in "+ref.Region+" is its target yet", ""), nil
	}
	k.UnknownReason = fmt.Sprintf("alias %s does not exist in %s", ref.Alias, ref.Region)
	return k, nil
}

// awsManagedByName is the verdict on a reference to an alias/aws/... alias
// that could not be followed to its key: the name alone proves the key
// AWS-managed, because customers cannot create such aliases (and DMS
// creates alias/aws/dms's key on first use). why says why the alias was not
// followed; the key's ARN and state stay unknown.
func awsManagedByName(ref keyRef, why, missingPermission string) state.Key {
	return state.Key{Account: ref.Account, Region: ref.Region, Resolved: true, Evidence: state.EvidenceDeclared,
		Manager: state.KeyManagerAWS, Aliases: []string{ref.Alias}, AWSManagedKey: ref.AWSManagedKeyName(), MissingPermission: missingPermission,
		UnknownReason: "named by the AWS-managed alias " + ref.Alias + ", which only AWS can create; the alias was not followed (" + why + "), so the key's state is unknown"}
}

// aliasTargets lists a region's aliases once per scan, however many keys
// need them.
func (s *scanner) aliasTargets(ctx context.Context, region string) (map[string][]string, *problem, error) {
	s.mu.Lock()
	e, ok := s.aliases[region]
	if !ok {
		e = &aliasEntry{}
		s.aliases[region] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		targets := map[string][]string{}
		p := kms.NewListAliasesPaginator(s.c.ListAliases(region), &kms.ListAliasesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if isCanceled(ctx, err) {
					e.err = err
					return
				}
				pr := classify("kms:ListAliases", err)
				e.problem = &pr
				return
			}
			for _, a := range page.Aliases {
				id := aws.ToString(a.TargetKeyId)
				if i := strings.LastIndex(id, ":key/"); i >= 0 {
					id = id[i+len(":key/"):]
				}
				if id != "" {
					targets[id] = append(targets[id], aws.ToString(a.AliasName))
				}
			}
		}
		for id := range targets {
			slices.Sort(targets[id])
		}
		e.targets = targets
	})
	return e.targets, e.problem, e.err
}
