package awsemu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestARefusedModifyEndpointKeepsTheEndpointsName(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).dms()
	ep, err := c.CreateEndpoint(ctx, &dms.CreateEndpointInput{EndpointIdentifier: aws.String("orders-source"), EndpointType: dmstypes.ReplicationEndpointTypeValueSource, EngineName: aws.String("postgres")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ModifyEndpoint(ctx, &dms.ModifyEndpointInput{EndpointArn: ep.Endpoint.EndpointArn, EndpointIdentifier: aws.String("renamed"), EndpointType: "sideways"})
	if got := errorCode(t, err); got != "InvalidParameterValueException" {
		t.Errorf("a bad EndpointType: code %q", got)
	}
	out, err := c.DescribeEndpoints(ctx, &dms.DescribeEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Endpoints) != 1 || *out.Endpoints[0].EndpointIdentifier != "orders-source" || out.Endpoints[0].EndpointType != "SOURCE" {
		t.Errorf("after a refused modify: %+v", out.Endpoints)
	}
}
