package remediate

import "github.com/cmkguard/cmkguard/remediate"

func testPlan() *remediate.Plan {
	p := &remediate.Plan{Version: remediate.PlanVersion, ID: "rp-cli", Account: "111122223333", Regions: []string{}}
	_ = p.Seal()
	return p
}
