package awsemu_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

var fuzzTargets = map[string]string{"dms": "AmazonDMSv20160101", "kms": "TrentService", "organizations": "AWSOrganizationsV20161128"}

// FuzzHandler sends arbitrary operations and bodies to every service and
// checks that the emulator answers in the protocol's shape and never fails
// by itself: no panic, no 5xx. Run it with
//
//	go test -fuzz=FuzzHandler -fuzztime=30s ./internal/awsemu
//
// Plain `go test` runs the seed corpus.
func FuzzHandler(f *testing.F) {
	seeds := []struct{ service, op, body string }{
		{"kms", "DescribeKey", `{"KeyId":"alias/aws/dms"}`},
		{"kms", "DescribeKey", `{"KeyId":"arn:aws:kms:us-east-1:444455556666:key/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"}`},
		{"kms", "CreateKey", `{"Origin":"AWS_CLOUDHSM","CustomKeyStoreId":"cks-1"}`},
		{"kms", "CreateAlias", `{"AliasName":"alias/x","TargetKeyId":"6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01"}`},
		{"kms", "ListAliases", `{"Limit":1,"Marker":"bm9wZQ"}`},
		{"kms", "ScheduleKeyDeletion", `{"KeyId":"6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01","PendingWindowInDays":7}`},
		{"kms", "PutKeyPolicy", `{"KeyId":"6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01","Policy":"{\"Statement\":{}}"}`},
		{"dms", "DescribeReplicationInstances", `{"MaxRecords":20,"Marker":"Y21rZ3VhcmQtcGFnZTo1"}`},
		{"dms", "DescribeReplicationInstances", `{"Filters":[{"Name":"replication-instance-id","Values":["payments-cdc-prod-01"]}]}`},
		{"dms", "CreateReplicationInstance", `{"ReplicationInstanceIdentifier":"a","ReplicationInstanceClass":"dms.t3.micro","KmsKeyId":"alias/aws/dms"}`},
		{"dms", "ModifyReplicationInstance", `{"ReplicationInstanceArn":"arn:aws:dms:us-east-1:111122223333:rep:X","ReplicationInstanceIdentifier":"b"}`},
		{"dms", "MoveReplicationTask", `{"ReplicationTaskArn":"x","TargetReplicationInstanceArn":"y"}`},
		{"dms", "CreateEndpoint", `{"EndpointIdentifier":"e","EndpointType":"target","EngineName":"s3","S3Settings":{"EncryptionMode":7}}`},
		{"dms", "CreateReplicationConfig", `{"ReplicationConfigIdentifier":"c","ComputeConfig":{"MaxCapacityUnits":-1}}`},
		{"dms", "AddTagsToResource", `{"ResourceArn":"","Tags":null}`},
		{"organizations", "ListAccounts", `{"MaxResults":0,"NextToken":"%%%"}`},
		{"ec2", "DescribeRegions", `AllRegions=true&Filter.1.Name=opt-in-status&Filter.1.Value.1=not-opted-in`},
		{"sts", "AssumeRole", `RoleArn=arn:aws:iam::444455556666:role/x&RoleSessionName=s&DurationSeconds=abc`},
		{"securityhub", "BatchImportFindings", `{"Findings":[{"Id":1}]}`},
		{"kms", "DescribeKey", `{"KeyId":`},
		{"dms", "Nope", `[1,2,3]`},
	}
	for _, s := range seeds {
		f.Add(s.service, s.op, []byte(s.body))
	}
	estate := mustDemoEstate(f)
	f.Fuzz(func(t *testing.T, service, op string, body []byte) {
		srv := awsemu.New(awsemu.Options{})
		if err := srv.LoadEstate(estate); err != nil {
			t.Fatal(err)
		}
		req := fuzzRequest(service, op, body)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %s %q: no answer within 5s", service, op, body)
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", service, op, body, rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); strings.Contains(ct, "json") && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s %q: invalid JSON response %q", service, op, body, rec.Body.String())
		}
	})
}

func fuzzRequest(service, op string, body []byte) *http.Request {
	scope := service
	if strings.ContainsAny(scope, "/ ,") || scope == "" {
		scope = "kms"
	}
	auth := "AWS4-HMAC-SHA256 Credential=AKIAFUZZ/20260101/us-east-1/" + scope + "/aws4_request, SignedHeaders=host, Signature=00"
	var req *http.Request
	switch service {
	case "ec2", "sts":
		form := "Action=" + op + "&" + string(body)
		req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case "securityhub":
		req = httptest.NewRequest(http.MethodPost, "/findings/import", strings.NewReader(string(body)))
	default:
		req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		req.Header.Set("X-Amz-Target", fuzzTargets[service]+"."+op)
	}
	req.Header.Set("Authorization", auth)
	return req
}

func mustDemoEstate(t testing.TB) *awsemu.Estate {
	t.Helper()
	return &awsemu.Estate{
		Accounts:     []awsemu.EstateAccount{{ID: "111122223333"}, {ID: "444455556666"}},
		Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: "111122223333"},
		Keys: []awsemu.EstateKey{
			{ID: "6f1c2b3a-1d2e-4f50-8a9b-0c1d2e3f4a01", Aliases: []string{"alias/dms-orders"}},
			{ID: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", Account: "444455556666", Policy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}`},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{{ID: "payments-cdc-prod-01"}, {ID: "orders-prod", KmsKey: "alias/dms-orders"}},
		Endpoints:            []awsemu.EstateEndpoint{{ID: "src", Type: "source", Engine: "postgres"}, {ID: "dst", Type: "target", Engine: "s3"}},
		ReplicationTasks:     []awsemu.EstateReplicationTask{{ID: "t1", Instance: "payments-cdc-prod-01", Source: "src", Target: "dst", Status: "stopped"}},
		ReplicationConfigs:   []awsemu.EstateReplicationConfig{{ID: "rc1", Source: "src", Target: "dst"}},
	}
}
