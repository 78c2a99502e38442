package awsemu_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// Start an emulator with one instance on the default key, list it through
// the SDK and read the request log.
func ExampleNew() {
	srv := awsemu.New(awsemu.Options{})
	err := srv.LoadEstate(&awsemu.Estate{
		Keys:                 []awsemu.EstateKey{{ID: "0d5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", Manager: "AWS", Aliases: []string{"alias/aws/dms"}}},
		ReplicationInstances: []awsemu.EstateReplicationInstance{{ID: "payments-cdc-prod-01"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", "")}
	client := dms.NewFromConfig(cfg, func(o *dms.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	out, err := client.DescribeReplicationInstances(context.Background(), &dms.DescribeReplicationInstancesInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range out.ReplicationInstances {
		fmt.Println(*r.ReplicationInstanceIdentifier, *r.ReplicationInstanceStatus, *r.KmsKeyId)
	}
	for _, e := range srv.Requests() {
		fmt.Println(e.Action(), e.Account, e.Mutating, e.HTTPStatus)
	}
	// Output:
	// payments-cdc-prod-01 available arn:aws:kms:us-east-1:111122223333:key/0d5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b
	// dms:DescribeReplicationInstances 111122223333 false 200
}
