package awsemu_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// sigv4In is a SigV4 Authorization header scoped to a service and region.
func sigv4In(service, region string) string {
	return strings.Replace(sigv4(service), "/us-east-1/", "/"+region+"/", 1)
}

// callEveryService makes one call to each service and returns the errors by service.
func callEveryService(e *emu) map[string]error {
	errs := map[string]error{}
	_, errs["dms"] = e.dms().DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
	_, errs["kms"] = e.kms().ListKeys(ctx, &kms.ListKeysInput{})
	_, errs["ec2"] = e.ec2().DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	_, errs["sts"] = e.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	_, errs["organizations"] = e.orgs().ListAccounts(ctx, &organizations.ListAccountsInput{})
	_, errs["securityhub"] = e.securityhub().BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("f-1")}})
	return errs
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestARegionTheEstateDoesNotListRefusesTheCredentialScopeAsAWSDoes(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	fake := e.in("xx-fake-1")
	fake.cfg.RetryMaxAttempts = 0 // the SDK's default retryer: it must give up at once
	want := map[string]struct {
		code   string
		status int
	}{
		"dms":           {"InvalidSignatureException", http.StatusBadRequest},
		"kms":           {"InvalidSignatureException", http.StatusBadRequest},
		"organizations": {"InvalidSignatureException", http.StatusBadRequest},
		"ec2":           {"SignatureDoesNotMatch", http.StatusForbidden},
		"sts":           {"SignatureDoesNotMatch", http.StatusForbidden},
		"securityhub":   {"InvalidSignatureException", http.StatusForbidden},
	}
	for service, err := range callEveryService(fake) {
		t.Run(service, func(t *testing.T) {
			if got := errorCode(t, err); got != want[service].code {
				t.Errorf("code %q, want %q (%v)", got, want[service].code, err)
			}
			if got := httpStatus(err); got != want[service].status {
				t.Errorf("HTTP status %d, want %d", got, want[service].status)
			}
			if !strings.Contains(err.Error(), "Credential should be scoped to a valid region, not 'xx-fake-1'") {
				t.Errorf("the error does not name the region: %v", err)
			}
		})
	}
	log := e.srv.Requests()
	if len(log) != len(want) {
		t.Errorf("%d requests logged for %d calls: the SDK retried a signature error", len(log), len(want))
	}
	for _, entry := range log {
		if entry.Region != "xx-fake-1" || entry.OK() {
			t.Errorf("log entry %+v: want a failed call in xx-fake-1", entry)
		}
	}
	if got := e.srv.ImportedFindings(); len(got) != 0 {
		t.Errorf("Security Hub in xx-fake-1 imported %d findings", len(got))
	}
}

func TestTheEstatesRegionListDecidesWhichRegionsExist(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	estate := &awsemu.Estate{
		DefaultRegion: "eu-west-1",
		Regions:       []awsemu.EstateRegion{{Name: "eu-west-1"}, {Name: "xx-fake-1"}, {Name: "af-south-1", OptInStatus: "not-opted-in"}},
		Accounts:      []awsemu.EstateAccount{{ID: "111122223333", Name: "payments"}},
		Organization:  &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: "111122223333"},
	}
	if err := e.srv.LoadEstate(estate); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, region string
		want         map[string]string // service → error code; "" for success
	}{
		{"a listed region answers every service", "eu-west-1",
			map[string]string{"dms": "", "kms": "", "ec2": "", "sts": "", "organizations": "", "securityhub": ""}},
		{"a listed region answers even when AWS has no such region", "xx-fake-1",
			map[string]string{"dms": "", "kms": "", "ec2": "", "sts": "", "organizations": "", "securityhub": ""}},
		{"us-east-1, not listed, answers only the global services", "us-east-1",
			map[string]string{"dms": "InvalidSignatureException", "kms": "InvalidSignatureException", "ec2": "SignatureDoesNotMatch", "sts": "", "organizations": "", "securityhub": "InvalidSignatureException"}},
		{"another real region, not listed, answers nothing", "ap-south-1",
			map[string]string{"dms": "InvalidSignatureException", "kms": "InvalidSignatureException", "ec2": "SignatureDoesNotMatch", "sts": "SignatureDoesNotMatch", "organizations": "InvalidSignatureException", "securityhub": "InvalidSignatureException"}},
		{"an opt-in region that is not enabled still refuses the regional services", "af-south-1",
			map[string]string{"dms": "UnrecognizedClientException", "kms": "UnrecognizedClientException", "ec2": "AuthFailure", "sts": "", "organizations": "", "securityhub": "UnrecognizedClientException"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for service, err := range callEveryService(e.in(tt.region)) {
				if got := errorCode(t, err); got != tt.want[service] {
					t.Errorf("%s in %s: code %q, want %q (%v)", service, tt.region, got, tt.want[service], err)
				}
			}
		})
	}
}

func TestAnUnknownRegionGetsEachProtocolsSignatureError(t *testing.T) {
	srv := awsemu.New(awsemu.Options{})
	const jsonType, form = "application/x-amz-json-1.1", "application/x-www-form-urlencoded"
	tests := []struct {
		name, service, path, target, contentType, body string
		wantStatus                                     int
		wantCode                                       string
		code                                           func(*testing.T, rawResponse) string
	}{
		{"DMS", "dms", "/", "AmazonDMSv20160101.DescribeReplicationInstances", jsonType, "{}", http.StatusBadRequest, "InvalidSignatureException", jsonCode},
		{"KMS", "kms", "/", "TrentService.ListKeys", jsonType, "{}", http.StatusBadRequest, "InvalidSignatureException", jsonCode},
		{"Organizations", "organizations", "/", "AWSOrganizationsV20161128.ListAccounts", jsonType, "{}", http.StatusBadRequest, "InvalidSignatureException", jsonCode},
		{"EC2", "ec2", "/", "", form, "Action=DescribeRegions&Version=2016-11-15", http.StatusForbidden, "SignatureDoesNotMatch", xmlCode},
		{"STS", "sts", "/", "", form, "Action=GetCallerIdentity&Version=2011-06-15", http.StatusForbidden, "SignatureDoesNotMatch", xmlCode},
		{"Security Hub", "securityhub", "/findings/import", "", "application/json", `{"Findings":[]}`, http.StatusForbidden, "InvalidSignatureException",
			func(_ *testing.T, r rawResponse) string { return r.errorType }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rawCall(t, srv, http.MethodPost, tt.path, sigv4In(tt.service, "xx-fake-1"), tt.target, tt.contentType, tt.body)
			if resp.status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.status, tt.wantStatus, resp.body)
			}
			if got := tt.code(t, resp); got != tt.wantCode {
				t.Errorf("code = %q, want %q (body %s)", got, tt.wantCode, resp.body)
			}
			if !strings.Contains(resp.body, "scoped to a valid region, not ") || !strings.Contains(resp.body, "xx-fake-1") {
				t.Errorf("body %s does not name the region", resp.body)
			}
		})
	}
}

func jsonCode(t *testing.T, r rawResponse) string {
	t.Helper()
	if got := jsonErrorType(t, r.body); got != r.errorType {
		t.Errorf("body type %q, header %q", got, r.errorType)
	}
	return r.errorType
}

func xmlCode(t *testing.T, r rawResponse) string { t.Helper(); return xmlErrorCode(t, r.body) }
