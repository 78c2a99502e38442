package continuous_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// orgAccounts × orgRegions is the organisation the simulation deploys the
// rule to, as the StackSet would: one function per account and region,
// each invoked by its own account's Config.
const orgAccounts, orgRegions = 200, 4

var simRegions = []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"}

func orgAccount(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

func orgEstate() *awsemu.Estate {
	est := &awsemu.Estate{DefaultAccount: orgAccount(0)}
	for _, r := range simRegions {
		est.Regions = append(est.Regions, awsemu.EstateRegion{Name: r})
	}
	for i := range orgAccounts {
		a := orgAccount(i)
		est.Accounts = append(est.Accounts, awsemu.EstateAccount{ID: a})
		est.Credentials = append(est.Credentials, awsemu.EstateCredential{AccessKeyID: "AKIDORG" + a, Account: a,
			Principal: "arn:aws:sts::" + a + ":assumed-role/cmkguard-config-rule/fn"})
		for _, r := range simRegions {
			key := fmt.Sprintf("cccccccc-%04d-4000-8000-%012d", i, len(r))
			est.Keys = append(est.Keys, awsemu.EstateKey{ID: key, Account: a, Region: r})
			est.ReplicationInstances = append(est.ReplicationInstances,
				awsemu.EstateReplicationInstance{ID: "ri-cmk", ResourceID: "RICMK", Account: a, Region: r, KmsKey: "arn:aws:kms:" + r + ":" + a + ":key/" + key},
				awsemu.EstateReplicationInstance{ID: "ri-default", ResourceID: "RIDEFAULT", Account: a, Region: r})
		}
	}
	return est
}

// TestOrganizationSimulation runs the periodic evaluation of 200 accounts
// × 4 regions against one emulator, 16 at a time, with 5% of every call
// throttled: every evaluation must land exactly once, in its own account
// and region, with the right verdict.
func TestOrganizationSimulation(t *testing.T) {
	srv := awsemu.New(awsemu.Options{DefaultAccount: orgAccount(0)})
	if err := srv.LoadEstate(orgEstate()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.SetFaults(awsemu.Faults{Throttle: map[string]float64{"*": 0.05}, Seed: 11})

	type job struct {
		account, region string
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				hs := attach(t, srv, ts.URL, "AKIDORG"+j.account, j.region, defaults(nil))
				edit := func(s string) string {
					s = strings.ReplaceAll(s, acct, j.account)
					return strings.ReplaceAll(s, region, j.region)
				}
				ev := edit(fixture(t, "scheduled.json"))
				token := srv.NewConfigResultToken(j.account, j.region, ruleName)
				if err := hs.h.Handle(t.Context(), []byte(strings.ReplaceAll(ev, "RESULT-TOKEN", token))); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s: %v", j.account, j.region, err))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range orgAccounts {
		for _, r := range simRegions {
			jobs <- job{orgAccount(i), r}
		}
	}
	close(jobs)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}

	throttled, total := 0, 0
	for _, e := range srv.Requests() {
		total++
		if e.ErrorCode == "ThrottlingException" || e.ErrorCode == "Throttling" || e.ErrorCode == "RequestLimitExceeded" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no call was throttled: the simulation proves nothing about retries")
	}
	landed := 0
	for i := range orgAccounts {
		a := orgAccount(i)
		for _, r := range simRegions {
			accepted := srv.ConfigEvaluationsAccepted(a, r, ruleName)
			landed += len(accepted)
			byID := map[string]int{}
			for _, e := range accepted {
				byID[e.ResourceID]++
				if !strings.Contains(e.ResourceID, ":"+r+":"+a+":") {
					t.Errorf("%s %s holds an evaluation of another account or region: %s", a, r, e.ResourceID)
				}
			}
			if len(accepted) != 2 || len(byID) != 2 {
				t.Errorf("%s %s: %d evaluations accepted for %d resources, want 2 each once", a, r, len(accepted), len(byID))
			}
			for _, e := range srv.ConfigEvaluations(a, r, ruleName) {
				want := map[string]string{":rep:RICMK": "COMPLIANT", ":rep:RIDEFAULT": "NON_COMPLIANT"}[e.ResourceID[strings.LastIndex(e.ResourceID, ":rep:"):]]
				if e.ComplianceType != want {
					t.Errorf("%s %s %s: %s, want %s", a, r, e.ResourceID, e.ComplianceType, want)
				}
			}
		}
	}
	t.Logf("%d invocations, %d evaluations landed, %d calls (%d throttled and retried)", orgAccounts*orgRegions, landed, total, throttled)
	if landed != orgAccounts*orgRegions*2 {
		t.Errorf("%d evaluations landed, want %d", landed, orgAccounts*orgRegions*2)
	}
}
