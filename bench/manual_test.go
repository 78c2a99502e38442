package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/state"
)

const account = "111122223333"

var manualRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

// smallEstate: 3 regions × 10 instances; every third instance uses the
// default aws/dms key, the others a customer key.
func smallEstate() *awsemu.Estate {
	est := &awsemu.Estate{DefaultAccount: account}
	for _, r := range manualRegions {
		est.Regions = append(est.Regions, awsemu.EstateRegion{Name: r})
		keyID := fmt.Sprintf("cccccccc-0000-0000-0000-%012d", len(est.Keys))
		est.Keys = append(est.Keys, awsemu.EstateKey{ID: keyID, Region: r})
		for i := range 10 {
			ri := awsemu.EstateReplicationInstance{ID: fmt.Sprintf("manual-%s-%02d", r, i), Region: r}
			if i%3 != 0 {
				ri.KmsKey = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", r, account, keyID)
			}
			est.ReplicationInstances = append(est.ReplicationInstances, ri)
		}
	}
	return est
}

func requireAWSCLI(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_AWSCLI") != "" {
			tb.Fatalf("CMKGUARD_REQUIRE_AWSCLI is set but the AWS CLI is not installed: %v", err)
		}
		tb.Skip("the AWS CLI is not installed (set CMKGUARD_REQUIRE_AWSCLI=1 to make this a failure)")
	}
	return path
}

// runManual runs manual-cli.sh against endpoint and returns instance ARN →
// key manager.
func runManual(tb testing.TB, endpoint string) map[string]string {
	tb.Helper()
	home := tb.TempDir()
	cmd := exec.Command("bash", "manual-cli.sh")
	cmd.Env = append(os.Environ(),
		"REGIONS="+strings.Join(manualRegions, " "),
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=AKIDCMKGUARDBENCH", "AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials",
		"HOME="+home,
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("manual-cli.sh: %v\n%s", err, stderr.String())
	}
	managers := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		arn, manager, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if ok {
			managers[arn] = manager
		}
	}
	return managers
}

// BenchmarkManualProcedureVsCmkguard runs the rule text's AWS CLI procedure
// and cmkguard's scan on the same 3-region × 10-instance estate, at 50 ms
// per call, checks they agree on every instance's key manager, and reports
// both wall times and their ratio.
//
//	go test ./bench -run '^$' -bench ManualProcedure -benchtime 1x
func BenchmarkManualProcedureVsCmkguard(b *testing.B) {
	requireAWSCLI(b)
	srv := awsemu.New(awsemu.Options{DefaultAccount: account})
	if err := srv.LoadEstate(smallEstate()); err != nil {
		b.Fatal(err)
	}
	srv.SetFaults(awsemu.Faults{Latency: 50 * time.Millisecond})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg, err := awslive.LoadConfig(context.Background(), "", ts.URL, "us-east-1")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDCMKGUARDBENCH", "not-a-secret", "")

	var manualTotal, toolTotal time.Duration
	for b.Loop() {
		start := time.Now()
		manual := runManual(b, ts.URL)
		manualTotal += time.Since(start)

		start = time.Now()
		st, _, err := awslive.ScanAccount(context.Background(), cfg, awslive.Options{})
		toolTotal += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		checkAgreement(b, manual, st)
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((manualTotal / n).Milliseconds()), "manual-ms")
	b.ReportMetric(float64((toolTotal/n).Microseconds())/1000, "cmkguard-ms")
	b.ReportMetric(float64(manualTotal)/float64(toolTotal), "manual/cmkguard")
}

// checkAgreement fails unless the manual procedure and cmkguard found the
// same instances with the same key managers.
func checkAgreement(tb testing.TB, manual map[string]string, st state.State) {
	tb.Helper()
	if len(manual) != len(st.Instances) || len(manual) != 30 {
		tb.Fatalf("manual procedure saw %d instances, cmkguard %d, want 30", len(manual), len(st.Instances))
	}
	for _, inst := range st.Instances {
		if got := manual[inst.ARN]; got != string(inst.Key.Manager) {
			tb.Errorf("%s: manual procedure says %q, cmkguard %q", inst.ARN, got, inst.Key.Manager)
		}
	}
}
