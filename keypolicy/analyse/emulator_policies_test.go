package analyse_test

import (
	"testing"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/keypolicy/analyse"
)

// TestTheEmulatorsPoliciesAreJudgedAsAWSsAre runs the analysis on the
// policies the local AWS gives its keys (what GetKeyPolicy will return to
// the audit in the demo and the benchmarks): KMS's default policy, and the
// AWS-managed aws/dms policy in another region, for DMS and another service.
func TestTheEmulatorsPoliciesAreJudgedAsAWSsAre(t *testing.T) {
	t.Parallel()
	const acct, region = "111122223333", "eu-central-1"
	tests := []struct {
		name   string
		policy string
		dms    analyse.Verdict
		basis  analyse.Basis
	}{
		{"default customer key policy", awsemu.DefaultKeyPolicy(acct), analyse.Pass, analyse.BasisIAM},
		{"aws/dms", awsemu.AWSManagedKeyPolicy("dms", acct, region), analyse.Pass, analyse.BasisKeyPolicy},
		// aws/rds allows use only through RDS: DMS cannot use it for grants.
		{"aws/rds", awsemu.AWSManagedKeyPolicy("rds", acct, region), analyse.Fail, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := analyse.Analyse(analyse.Input{Policy: tt.policy, KeyAccount: acct, Region: region})
			if err != nil {
				t.Fatal(err)
			}
			if a.World.Verdict != analyse.Pass {
				t.Errorf("world access %s: %s", a.World.Verdict, a.World.Reason)
			}
			if d := a.DMS[0]; d.Verdict != tt.dms || d.Basis != tt.basis {
				t.Errorf("DMS access %s %q (%s), want %s %q", d.Verdict, d.Basis, d.Reason, tt.dms, tt.basis)
			}
		})
	}
}
