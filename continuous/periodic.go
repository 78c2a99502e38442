package continuous

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/adapt/configevent"
	"github.com/cmkguard/cmkguard/state"
)

// ruleTypes are the resource types the rule puts evaluations for.
var ruleTypes = map[string]bool{
	configevent.TypeInstance: true, configevent.TypeEndpoint: true, configevent.TypeReplicationConfig: true, configevent.TypeAccount: true,
}

// periodic evaluates every instance (and serverless config and endpoint,
// as the parameters say) of the account in region, with the live adapter,
// and turns the resources the rule evaluated before but that are gone now
// into NOT_APPLICABLE. Resources are named by ARN; a resource Config
// already knows under another id (an endpoint's configuration item) keeps
// that id too.
func (h *Handler) periodic(ctx context.Context, c Clients, region string, inv *configevent.Invocation, p Parameters) ([]Verdict, error) {
	// The previous evaluations are read while the region is listed.
	var prev []cstypes.EvaluationResult
	var prevErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		prev, prevErr = previousEvaluations(ctx, c.Config, inv.Event.ConfigRuleName)
	}()
	st, err := awslive.Scan(ctx, c.Live, awslive.Options{
		Regions: []string{region}, Scope: p.Scope(),
		Warn: func(msg string) { h.log().Warn("scan", "region", region, "warning", msg) },
	})
	<-done
	if err != nil {
		return nil, fmt.Errorf("periodic evaluation of %s: %w", region, err)
	}
	verdicts := Verdicts(h.evaluate(&st, p))
	if err := prevErr; err != nil {
		// The current verdicts still go out; only resources that
		// disappeared keep their last verdict until the next run.
		h.log().Error("previous evaluations", "rule", inv.Event.ConfigRuleName, "error", err.Error(),
			"effect", "resources deleted since the last run are not marked NOT_APPLICABLE this time")
		return verdicts, nil
	}
	return reconcile(verdicts, prev, listedInFull(st, region), p), nil
}

// listedInFull reports whether the scan listed region completely: only then
// does a resource it did not list no longer exist.
func listedInFull(st state.State, region string) bool {
	for _, r := range st.Regions {
		if r.Region == region {
			return r.Status == state.RegionScanned
		}
	}
	return false
}

// previousEvaluations reads every evaluation the rule holds.
func previousEvaluations(ctx context.Context, c configservice.GetComplianceDetailsByConfigRuleAPIClient, ruleName string) ([]cstypes.EvaluationResult, error) {
	var out []cstypes.EvaluationResult
	pg := configservice.NewGetComplianceDetailsByConfigRulePaginator(c, &configservice.GetComplianceDetailsByConfigRuleInput{
		ConfigRuleName: aws.String(ruleName), Limit: 100,
	})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("config:GetComplianceDetailsByConfigRule %s: %w", ruleName, err)
		}
		out = append(out, page.EvaluationResults...)
	}
	return out, nil
}

// aliases are the ids a resource may be known by in Config: its ARN, its
// identifier, the resource id at the end of its ARN.
func aliases(v Verdict) []string {
	out := []string{v.ResourceID}
	if v.Finding != nil {
		f := v.Finding
		out = append(out, f.ResourceARN, f.ResourceID)
		if i := strings.LastIndexAny(f.ResourceARN, ":/"); i >= 0 {
			out = append(out, f.ResourceARN[i+1:])
		}
	}
	return out
}

// reconcile adds to the current verdicts: the same verdict under every
// other id Config already holds the resource by, and NOT_APPLICABLE for
// each resource evaluated before that the scan no longer found (only when
// the region was listed in full; a partial listing proves nothing gone).
func reconcile(current []Verdict, prev []cstypes.EvaluationResult, complete bool, p Parameters) []Verdict {
	byAlias := map[string]int{}
	seen := map[string]bool{}
	for i, v := range current {
		seen[v.ResourceType+" "+v.ResourceID] = true
		for _, a := range aliases(v) {
			if a != "" {
				byAlias[v.ResourceType+" "+a] = i
			}
		}
	}
	out := current
	for _, r := range prev {
		if r.EvaluationResultIdentifier == nil || r.EvaluationResultIdentifier.EvaluationResultQualifier == nil {
			continue
		}
		q := r.EvaluationResultIdentifier.EvaluationResultQualifier
		typ, id := aws.ToString(q.ResourceType), aws.ToString(q.ResourceId)
		k := typ + " " + id
		if !ruleTypes[typ] || seen[k] {
			continue
		}
		seen[k] = true
		if i, ok := byAlias[k]; ok {
			v := current[i]
			v.ResourceID = id
			out = append(out, v)
			continue
		}
		if !complete || r.ComplianceType == cstypes.ComplianceTypeNotApplicable {
			continue
		}
		why := "no longer exists: the periodic run did not list it"
		switch {
		case typ == configevent.TypeAccount:
			why = "every region of the account was listed again"
		case typ == configevent.TypeEndpoint && !p.IncludeEndpoints:
			why = "endpoints are no longer evaluated (rule parameter includeEndpoints is false)"
		case typ == configevent.TypeReplicationConfig && !p.IncludeServerless:
			why = "serverless configs are no longer evaluated (rule parameter includeServerless is false)"
		}
		out = append(out, notApplicable(typ, id, why))
	}
	return out
}
