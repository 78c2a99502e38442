package awslive

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// fakeAWS is an in-memory account for Scan's unit tests: it answers the
// five operations Scan uses, pages like DMS and KMS do, and records calls.
type fakeAWS struct {
	account   string
	regions   map[string]string // region → opt-in status
	instances map[string][]dmstypes.ReplicationInstance
	keys      map[string]kmstypes.KeyMetadata // by ARN
	aliases   map[string][]kmstypes.AliasListEntry

	denyDescribeKey map[string]bool  // key ARN → denied
	denyListAliases map[string]bool  // region → denied
	failDMS         map[string]error // region → error
	// failDescribeKey fails DescribeKey on one key ARN.
	failDescribeKey map[string]error
	// failDMSPage fails the DMS page of "region marker" (the first page's
	// marker is "").
	failDMSPage map[string]error
	// beforeDMSPage, when set, runs first in every DescribeReplicationInstances.
	beforeDMSPage func(ctx context.Context, marker string) error
	failIdentity  error
	failRegions   error
	// beforeDescribeKey, when set, runs first in every DescribeKey.
	beforeDescribeKey func(ctx context.Context) error
	// beforeListAliases, when set, runs first in every ListAliases.
	beforeListAliases func(ctx context.Context) error

	mu    sync.Mutex
	calls []string // "op region arg"
}

func newFake(account string) *fakeAWS {
	return &fakeAWS{
		account: account, regions: map[string]string{}, instances: map[string][]dmstypes.ReplicationInstance{},
		keys: map[string]kmstypes.KeyMetadata{}, aliases: map[string][]kmstypes.AliasListEntry{},
		denyDescribeKey: map[string]bool{}, denyListAliases: map[string]bool{}, failDMS: map[string]error{},
		failDescribeKey: map[string]error{}, failDMSPage: map[string]error{},
	}
}

func (f *fakeAWS) record(op, region, arg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.TrimSpace(op+" "+region+" "+arg))
}

func (f *fakeAWS) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeAWS) clients() Clients {
	return Clients{
		Identity:    fakeSTS{f},
		Regions:     fakeEC2{f},
		DMS:         func(r string) DescribeReplicationInstancesAPI { return fakeDMS{f, r} },
		DescribeKey: func(r string) DescribeKeyAPI { return fakeKMS{f, r} },
		ListAliases: func(r string) ListAliasesAPI { return fakeKMS{f, r} },
		// Every kind is scanned by default: the fake has no serverless
		// configs and no endpoints unless a test gives its own.
		DMSConfigs: func(string) DescribeReplicationConfigsAPI {
			return pagedConfigs{pages: [][]dmstypes.ReplicationConfig{nil}}
		},
		DMSEndpoints:        func(string) DescribeEndpointsAPI { return pagedEndpoints{pages: [][]dmstypes.Endpoint{nil}} },
		DMSReplications:     func(string) DescribeReplicationsAPI { return noReplications{} },
		DMSInstanceProfiles: func(string) DescribeInstanceProfilesAPI { return noInstanceProfiles{} },
		DMSCertificates:     func(string) DescribeCertificatesAPI { return noCertificates{} },
		DMSAssessmentRuns:   func(string) DescribeAssessmentRunsAPI { return noAssessmentRuns{} },
	}
}

func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " from the fake"}
}

// addInstance adds an instance with key (a key ARN, or "" for none).
func (f *fakeAWS) addInstance(region, id, key string) string {
	arn := fmt.Sprintf("arn:aws:dms:%s:%s:rep:%s", region, f.account, strings.ToUpper(id))
	ri := dmstypes.ReplicationInstance{
		ReplicationInstanceArn: aws.String(arn), ReplicationInstanceIdentifier: aws.String(id),
		ReplicationInstanceStatus: aws.String("available"), ReplicationInstanceClass: aws.String("dms.t3.medium"),
		AllocatedStorage: 50, EngineVersion: aws.String("3.5.3"),
		VpcSecurityGroups:      []dmstypes.VpcSecurityGroupMembership{{VpcSecurityGroupId: aws.String("sg-1")}},
		ReplicationSubnetGroup: &dmstypes.ReplicationSubnetGroup{ReplicationSubnetGroupIdentifier: aws.String("default")},
	}
	if key != "" {
		ri.KmsKeyId = aws.String(key)
	}
	f.instances[region] = append(f.instances[region], ri)
	return arn
}

// addKey adds a key and returns its ARN.
func (f *fakeAWS) addKey(region, account, id string, manager kmstypes.KeyManagerType, origin kmstypes.OriginType, st kmstypes.KeyState, aliases ...string) string {
	arn := fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
	f.keys[arn] = kmstypes.KeyMetadata{Arn: aws.String(arn), KeyId: aws.String(id), AWSAccountId: aws.String(account),
		KeyManager: manager, Origin: origin, KeyState: st}
	for _, a := range aliases {
		f.aliases[region] = append(f.aliases[region], kmstypes.AliasListEntry{AliasName: aws.String(a), TargetKeyId: aws.String(id)})
	}
	return arn
}

type fakeSTS struct{ f *fakeAWS }

func (s fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	s.f.record("sts:GetCallerIdentity", "", "")
	if s.f.failIdentity != nil {
		return nil, s.f.failIdentity
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(s.f.account)}, nil
}

type fakeEC2 struct{ f *fakeAWS }

func (e fakeEC2) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	e.f.record("ec2:DescribeRegions", "", "")
	if e.f.failRegions != nil {
		return nil, e.f.failRegions
	}
	out := &ec2.DescribeRegionsOutput{}
	for name, optIn := range e.f.regions {
		if optIn == "not-opted-in" && !aws.ToBool(in.AllRegions) {
			continue
		}
		out.Regions = append(out.Regions, ec2types.Region{RegionName: aws.String(name), OptInStatus: aws.String(optIn)})
	}
	return out, nil
}

type fakeDMS struct {
	f      *fakeAWS
	region string
}

func (d fakeDMS) DescribeReplicationInstances(ctx context.Context, in *dms.DescribeReplicationInstancesInput, _ ...func(*dms.Options)) (*dms.DescribeReplicationInstancesOutput, error) {
	d.f.record("dms:DescribeReplicationInstances", d.region, aws.ToString(in.Marker))
	if d.f.beforeDMSPage != nil {
		if err := d.f.beforeDMSPage(ctx, aws.ToString(in.Marker)); err != nil {
			return nil, err
		}
	}
	if err := d.f.failDMS[d.region]; err != nil {
		return nil, err
	}
	if err := d.f.failDMSPage[d.region+" "+aws.ToString(in.Marker)]; err != nil {
		return nil, err
	}
	all := d.f.instances[d.region]
	if len(all) == 0 {
		return nil, &dmstypes.ResourceNotFoundFault{Message: aws.String("No replication instances found")}
	}
	size := int(aws.ToInt32(in.MaxRecords))
	if size == 0 {
		size = 100
	}
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		start, _ = strconv.Atoi(m)
	}
	end := min(start+size, len(all))
	out := &dms.DescribeReplicationInstancesOutput{ReplicationInstances: all[start:end]}
	if end < len(all) {
		out.Marker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

type fakeKMS struct {
	f      *fakeAWS
	region string
}

func (k fakeKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if k.f.beforeDescribeKey != nil {
		if err := k.f.beforeDescribeKey(ctx); err != nil {
			return nil, err
		}
	}
	id := aws.ToString(in.KeyId)
	k.f.record("kms:DescribeKey", k.region, id)
	if strings.Contains(id, "alias/") {
		return nil, fmt.Errorf("the fake refuses DescribeKey on an alias (%s): Scan must never do it", id)
	}
	if k.f.denyDescribeKey[id] {
		return nil, apiError("AccessDeniedException")
	}
	if err := k.f.failDescribeKey[id]; err != nil {
		return nil, err
	}
	md, ok := k.f.keys[id]
	if !ok {
		return nil, apiError("NotFoundException")
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &md}, nil
}

func (k fakeKMS) ListAliases(ctx context.Context, in *kms.ListAliasesInput, _ ...func(*kms.Options)) (*kms.ListAliasesOutput, error) {
	if k.f.beforeListAliases != nil {
		if err := k.f.beforeListAliases(ctx); err != nil {
			return nil, err
		}
	}
	k.f.record("kms:ListAliases", k.region, cmpOr(aws.ToString(in.Marker), "start"))
	if k.f.denyListAliases[k.region] {
		return nil, apiError("AccessDeniedException")
	}
	all := k.f.aliases[k.region]
	// Page two at a time so that paging is exercised.
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		start, _ = strconv.Atoi(m)
	}
	end := min(start+2, len(all))
	out := &kms.ListAliasesOutput{Aliases: all[start:end]}
	if end < len(all) {
		out.Truncated, out.NextMarker = true, aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
