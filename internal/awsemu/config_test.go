package awsemu_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func (e *emu) config() *configservice.Client {
	return configservice.NewFromConfig(e.cfg, func(o *configservice.Options) {
		o.BaseEndpoint, o.HTTPClient = aws.String(e.url), ownRequestBody(o.HTTPClient)
	})
}

func configEval(id, compliance, annotation string, at time.Time) cstypes.Evaluation {
	e := cstypes.Evaluation{
		ComplianceResourceType: aws.String("AWS::DMS::ReplicationInstance"),
		ComplianceResourceId:   aws.String(id),
		ComplianceType:         cstypes.ComplianceType(compliance),
		OrderingTimestamp:      aws.Time(at),
	}
	if annotation != "" {
		e.Annotation = aws.String(annotation)
	}
	return e
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestConfigPutEvaluationsRecordsAndOrders(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	ctx := context.Background()
	c := e.config()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	token := e.srv.NewConfigResultToken(awsemu.DefaultAccount, "us-east-1", "cmkguard")
	out, err := c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(token), Evaluations: []cstypes.Evaluation{
		configEval("ri-a", "NON_COMPLIANT", "uses aws/dms", t0),
		configEval("ri-b", "COMPLIANT", "", t0),
	}})
	if err != nil {
		t.Fatalf("PutEvaluations: %v", err)
	}
	if len(out.FailedEvaluations) != 0 {
		t.Fatalf("FailedEvaluations = %v, want none", out.FailedEvaluations)
	}
	// A later put with an earlier OrderingTimestamp does not replace the
	// newer evaluation; one with a later timestamp does.
	token2 := e.srv.NewConfigResultToken(awsemu.DefaultAccount, "us-east-1", "cmkguard")
	if _, err := c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(token2), Evaluations: []cstypes.Evaluation{
		configEval("ri-a", "COMPLIANT", "stale", t0.Add(-time.Hour)),
		configEval("ri-b", "NOT_APPLICABLE", "deleted", t0.Add(time.Hour)),
	}}); err != nil {
		t.Fatalf("PutEvaluations: %v", err)
	}
	got := e.srv.ConfigEvaluations(awsemu.DefaultAccount, "us-east-1", "cmkguard")
	if len(got) != 2 || got[0].ComplianceType != "NON_COMPLIANT" || got[0].Annotation != "uses aws/dms" || got[1].ComplianceType != "NOT_APPLICABLE" {
		t.Fatalf("current evaluations = %+v", got)
	}
	if !got[0].OrderingTimestamp.Equal(t0) {
		t.Errorf("OrderingTimestamp = %v, want %v", got[0].OrderingTimestamp, t0)
	}
	if n := len(e.srv.ConfigEvaluationsAccepted(awsemu.DefaultAccount, "us-east-1", "cmkguard")); n != 4 {
		t.Errorf("accepted = %d, want 4", n)
	}

	// GetComplianceDetailsByConfigRule pages through the current ones.
	var ids []string
	p := configservice.NewGetComplianceDetailsByConfigRulePaginator(c, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("cmkguard"), Limit: 1})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetComplianceDetailsByConfigRule: %v", err)
		}
		for _, r := range page.EvaluationResults {
			q := r.EvaluationResultIdentifier.EvaluationResultQualifier
			ids = append(ids, aws.ToString(q.ResourceId)+"="+string(r.ComplianceType))
			if aws.ToString(q.ConfigRuleName) != "cmkguard" || aws.ToString(q.ResourceType) != "AWS::DMS::ReplicationInstance" || q.EvaluationMode != cstypes.EvaluationModeDetective {
				t.Errorf("qualifier = %+v", q)
			}
			if r.ResultRecordedTime == nil || r.ConfigRuleInvokedTime == nil || r.EvaluationResultIdentifier.OrderingTimestamp == nil {
				t.Errorf("result %s lacks its timestamps", aws.ToString(q.ResourceId))
			}
		}
	}
	if strings.Join(ids, ",") != "ri-a=NON_COMPLIANT,ri-b=NOT_APPLICABLE" {
		t.Errorf("results = %v", ids)
	}
	filtered, err := c.GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{
		ConfigRuleName: aws.String("cmkguard"), ComplianceTypes: []cstypes.ComplianceType{cstypes.ComplianceTypeNotApplicable}})
	if err != nil || len(filtered.EvaluationResults) != 1 || aws.ToString(filtered.EvaluationResults[0].Annotation) != "deleted" {
		t.Errorf("filtered = %+v, %v", filtered, err)
	}
}

func TestConfigPutEvaluationsValidatesAsAWSDoes(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	ctx := context.Background()
	now := time.Now()
	many := make([]cstypes.Evaluation, 101)
	for i := range many {
		many[i] = configEval("ri", "COMPLIANT", "", now)
	}
	noType := configEval("ri", "COMPLIANT", "", now)
	noType.ComplianceResourceType = nil
	emptyAnnotation := configEval("ri", "COMPLIANT", "", now)
	emptyAnnotation.Annotation = aws.String("")
	noTime := configEval("ri", "COMPLIANT", "", now)
	noTime.OrderingTimestamp = nil
	tests := []struct {
		name  string
		token func() string
		evals []cstypes.Evaluation
		code  string
	}{
		{"more than 100 evaluations", e.token, many, "ValidationException"},
		{"an annotation over 256 characters", e.token, []cstypes.Evaluation{configEval("ri", "COMPLIANT", strings.Repeat("x", 257), now)}, "ValidationException"},
		{"an empty annotation", e.token, []cstypes.Evaluation{emptyAnnotation}, "ValidationException"},
		{"a resource id over 768 characters", e.token, []cstypes.Evaluation{configEval(strings.Repeat("r", 769), "COMPLIANT", "", now)}, "ValidationException"},
		{"no resource type", e.token, []cstypes.Evaluation{noType}, "ValidationException"},
		{"no ordering timestamp", e.token, []cstypes.Evaluation{noTime}, "ValidationException"},
		{"INSUFFICIENT_DATA, which a function may not report", e.token, []cstypes.Evaluation{configEval("ri", "INSUFFICIENT_DATA", "", now)}, "InvalidParameterValueException"},
		{"an unknown compliance type", e.token, []cstypes.Evaluation{configEval("ri", "MAYBE", "", now)}, "ValidationException"},
		{"a token Config never issued", func() string { return "forged" }, []cstypes.Evaluation{configEval("ri", "COMPLIANT", "", now)}, "InvalidResultTokenException"},
		{"another region's token", func() string { return e.srv.NewConfigResultToken(awsemu.DefaultAccount, "eu-west-1", "r") }, []cstypes.Evaluation{configEval("ri", "COMPLIANT", "", now)}, "InvalidResultTokenException"},
		{"another account's token", func() string { return e.srv.NewConfigResultToken("444455556666", "us-east-1", "r") }, []cstypes.Evaluation{configEval("ri", "COMPLIANT", "", now)}, "InvalidResultTokenException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Send the raw request past the SDK's own client-side checks,
			// so the emulator's validation is what answers.
			_, err := e.config().PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(tt.token()), Evaluations: tt.evals},
				func(o *configservice.Options) { o.APIOptions = append(o.APIOptions, skipValidation) })
			if got := apiCode(err); got != tt.code {
				t.Fatalf("error = %v (code %q), want code %q", err, got, tt.code)
			}
		})
	}
	if got := e.srv.ConfigEvaluations(awsemu.DefaultAccount, "us-east-1", "r"); len(got) != 0 {
		t.Errorf("rejected calls recorded %v", got)
	}
}

func (e *emu) token() string {
	return e.srv.NewConfigResultToken(awsemu.DefaultAccount, "us-east-1", "r")
}

func TestConfigPutEvaluationsPartialFailureAndTestMode(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	ctx := context.Background()
	now := time.Now()
	e.srv.FailNextConfigEvaluations(1)
	out, err := e.config().PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(e.token()), Evaluations: []cstypes.Evaluation{
		configEval("ri-a", "COMPLIANT", "", now), configEval("ri-b", "COMPLIANT", "", now),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FailedEvaluations) != 1 || aws.ToString(out.FailedEvaluations[0].ComplianceResourceId) != "ri-a" {
		t.Fatalf("FailedEvaluations = %+v, want ri-a", out.FailedEvaluations)
	}
	if got := e.srv.ConfigEvaluations(awsemu.DefaultAccount, "us-east-1", "r"); len(got) != 1 || got[0].ResourceID != "ri-b" {
		t.Fatalf("recorded = %+v, want ri-b only", got)
	}
	if _, err := e.config().PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String("anything"), TestMode: true,
		Evaluations: []cstypes.Evaluation{configEval("ri-c", "COMPLIANT", "", now)}}); err != nil {
		t.Fatalf("TestMode: %v", err)
	}
	if got := e.srv.ConfigEvaluations(awsemu.DefaultAccount, "us-east-1", "r"); len(got) != 1 {
		t.Fatalf("TestMode recorded an evaluation: %+v", got)
	}
	_, err = e.config().GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("nope")})
	var noRule *cstypes.NoSuchConfigRuleException
	if !errors.As(err, &noRule) {
		t.Errorf("unknown rule: %v, want NoSuchConfigRuleException", err)
	}
}

func TestConfigGetResourceConfigHistory(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	arn := "arn:aws:dms:us-east-1:111122223333:endpoint:EP1"
	for i, key := range []string{"key-1", "key-2"} {
		e.srv.RecordConfigurationItem(awsemu.ConfigurationItem{Account: awsemu.DefaultAccount, Region: "us-east-1",
			ResourceType: "AWS::DMS::Endpoint", ResourceID: "EP1", ARN: arn, CaptureTime: t0.Add(time.Duration(i) * time.Minute),
			Configuration: `{"KmsKeyId":"` + key + `"}`})
	}
	out, err := e.config().GetResourceConfigHistory(ctx, &configservice.GetResourceConfigHistoryInput{
		ResourceType: "AWS::DMS::Endpoint", ResourceId: aws.String("EP1"), Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ConfigurationItems) != 1 || out.NextToken == nil {
		t.Fatalf("items = %d, next = %v; want 1 and a next token", len(out.ConfigurationItems), out.NextToken)
	}
	ci := out.ConfigurationItems[0]
	if aws.ToString(ci.Configuration) != `{"KmsKeyId":"key-2"}` || aws.ToString(ci.Arn) != arn || ci.ConfigurationItemStatus != cstypes.ConfigurationItemStatusOk ||
		aws.ToString(ci.AccountId) != awsemu.DefaultAccount || aws.ToString(ci.AwsRegion) != "us-east-1" || !aws.ToTime(ci.ConfigurationItemCaptureTime).Equal(t0.Add(time.Minute)) {
		t.Errorf("newest item = %+v", ci)
	}
	_, err = e.config().GetResourceConfigHistory(ctx, &configservice.GetResourceConfigHistoryInput{ResourceType: "AWS::DMS::Endpoint", ResourceId: aws.String("EP2")})
	var notFound *cstypes.ResourceNotDiscoveredException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown resource: %v, want ResourceNotDiscoveredException", err)
	}
	_, err = e.in("eu-west-1").config().GetResourceConfigHistory(ctx, &configservice.GetResourceConfigHistoryInput{ResourceType: "AWS::DMS::Endpoint", ResourceId: aws.String("EP1")})
	if !errors.As(err, &notFound) {
		t.Errorf("another region: %v, want ResourceNotDiscoveredException", err)
	}
}

// skipValidation removes the SDK's client-side input validation, so that a
// request it would refuse reaches the emulator.
func skipValidation(stack *middleware.Stack) error {
	_, err := stack.Initialize.Remove("OperationInputValidation")
	return err
}
