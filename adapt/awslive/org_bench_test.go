package awslive_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// Organisation benchmark dimensions.
const (
	orgBenchAccounts  = 20
	orgBenchInstances = 150 // per account and region: 2 pages
	orgBenchKeys      = 5   // per account and region
)

var orgBenchRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

// orgBenchEstate is an organization of orgBenchAccounts accounts (the
// first is the management account, the caller), each with
// orgBenchInstances instances over orgBenchKeys keys in each of 3 regions.
func orgBenchEstate() *awsemu.Estate {
	est := &awsemu.Estate{DefaultAccount: me, Organization: &awsemu.EstateOrganization{ID: "o-bench00001", ManagementAccount: me}}
	for _, r := range orgBenchRegions {
		est.Regions = append(est.Regions, awsemu.EstateRegion{Name: r})
	}
	for a := range orgBenchAccounts {
		account := me
		if a > 0 {
			account = fmt.Sprintf("5000000000%02d", a)
		}
		est.Accounts = append(est.Accounts, awsemu.EstateAccount{ID: account, Name: fmt.Sprintf("account-%02d", a)})
		if account != me {
			est.Roles = append(est.Roles, "arn:aws:iam::"+account+":role/"+awslive.DefaultRoleName)
		}
		for ri, r := range orgBenchRegions {
			for k := range orgBenchKeys {
				est.Keys = append(est.Keys, awsemu.EstateKey{ID: fmt.Sprintf("cccccccc-%04d-%04d-0000-%012d", a, ri, k), Account: account, Region: r})
			}
			for i := range orgBenchInstances {
				est.ReplicationInstances = append(est.ReplicationInstances, awsemu.EstateReplicationInstance{
					ID: fmt.Sprintf("ri-%02d-%s-%03d", a, r, i), Account: account, Region: r,
					KmsKey: keyARN(r, account, fmt.Sprintf("cccccccc-%04d-%04d-0000-%012d", a, ri, i%orgBenchKeys)),
				})
			}
		}
	}
	return est
}

// BenchmarkScanOrg20Accounts scans an organization of 20 accounts × 3
// regions × 150 instances (2 pages) × 5 keys per region at 50 ms per call,
// with 8 accounts at once (the default) and with all 20 at once. It checks
// the exact call counts and reports the median.
//
//	go test ./adapt/awslive -run '^$' -bench ScanOrg20Accounts -benchtime 5x
func BenchmarkScanOrg20Accounts(b *testing.B) {
	srv, cfg := startEmulator(b, orgBenchEstate())
	ctx := context.Background()
	regions := len(orgBenchRegions)
	want := map[string]int{
		"organizations:ListAccounts": 1,
		// The organization's caller identity, each account's own, and one
		// AssumeRole for every account but the caller's.
		"sts:GetCallerIdentity":            1 + orgBenchAccounts,
		"sts:AssumeRole":                   orgBenchAccounts - 1,
		"ec2:DescribeRegions":              orgBenchAccounts,
		"dms:DescribeReplicationInstances": orgBenchAccounts * regions * 2,
		"kms:DescribeKey":                  orgBenchAccounts * regions * orgBenchKeys,
	}
	// latency=0 measures what the machine itself costs (the emulator and
	// the SDK share its cores): the floor under the 50 ms runs.
	for _, run := range []struct {
		parallel int
		latency  time.Duration
	}{{awslive.DefaultAccountConcurrency, benchLatency}, {orgBenchAccounts, benchLatency}, {orgBenchAccounts, 0}} {
		b.Run(fmt.Sprintf("parallel=%d/latency=%v", run.parallel, run.latency), func(b *testing.B) {
			srv.SetFaults(awsemu.Faults{Latency: run.latency})
			org := awslive.OrgOptions{Organization: true, MaxParallel: run.parallel}
			if _, _, err := awslive.ScanOrganization(ctx, cfg, org, awslive.Options{}); err != nil {
				b.Fatal(err)
			}
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				st, stats, err := awslive.ScanOrganization(ctx, cfg, org, awslive.Options{})
				elapsed := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				times = append(times, elapsed)
				if got, want := len(st.Instances), orgBenchAccounts*regions*orgBenchInstances; got != want {
					b.Fatalf("scanned %d instances, want %d", got, want)
				}
				for _, r := range st.Regions {
					if r.Status != "scanned" {
						b.Fatalf("%s %s %s: %s", r.Account, r.Region, r.Status, r.Reason)
					}
				}
				for op, n := range want {
					if got := stats.Calls()[op]; got != n {
						b.Fatalf("%s called %d times, want %d: %v", op, got, n, stats.Calls())
					}
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "worst-ms")
		})
	}
}
