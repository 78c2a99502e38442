package awsemu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dms "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice"
	dmstypes "github.com/aws/aws-sdk-go-v2/service/databasemigrationservice/types"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestModifyWithoutApplyImmediatelyLeavesTheChangesPending(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	r := mustCreateInstance(t, c, "orders", "")
	describe := func() dmstypes.ReplicationInstance {
		t.Helper()
		out, err := c.DescribeReplicationInstances(ctx, &dms.DescribeReplicationInstancesInput{})
		if err != nil || len(out.ReplicationInstances) != 1 {
			t.Fatalf("describe: %v", err)
		}
		return out.ReplicationInstances[0]
	}
	describe() // creating → available
	out, err := c.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{ReplicationInstanceArn: r.ReplicationInstanceArn,
		ReplicationInstanceClass: aws.String("dms.r5.xlarge"), AllocatedStorage: aws.Int32(200), ApplyImmediately: false,
		PreferredMaintenanceWindow: aws.String("sat:03:00-sat:04:00")})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]dmstypes.ReplicationInstance{"the Modify answer": *out.ReplicationInstance, "a later Describe": describe()} {
		p := got.PendingModifiedValues
		if *got.ReplicationInstanceClass != "dms.r5.large" || got.AllocatedStorage != 50 || *got.ReplicationInstanceStatus != "available" {
			t.Errorf("%s: class %s, storage %d, status %s; want the old values, available", name, *got.ReplicationInstanceClass, got.AllocatedStorage, *got.ReplicationInstanceStatus)
		}
		if p == nil || aws.ToString(p.ReplicationInstanceClass) != "dms.r5.xlarge" || aws.ToInt32(p.AllocatedStorage) != 200 {
			t.Errorf("%s: PendingModifiedValues = %+v, want dms.r5.xlarge and 200", name, p)
		}
		if *got.PreferredMaintenanceWindow != "sat:03:00-sat:04:00" {
			t.Errorf("%s: the maintenance window %s did not change at once", name, *got.PreferredMaintenanceWindow)
		}
	}
	if _, err := c.ModifyReplicationInstance(ctx, &dms.ModifyReplicationInstanceInput{ReplicationInstanceArn: r.ReplicationInstanceArn,
		MultiAZ: aws.Bool(true), ApplyImmediately: true}); err != nil {
		t.Fatal(err)
	}
	now := describe()
	if *now.ReplicationInstanceClass != "dms.r5.xlarge" || now.AllocatedStorage != 200 || !now.MultiAZ {
		t.Errorf("after an immediate modify: class %s, storage %d, multi-AZ %v; want the pending values applied with it", *now.ReplicationInstanceClass, now.AllocatedStorage, now.MultiAZ)
	}
	if p := now.PendingModifiedValues; p != nil && (p.ReplicationInstanceClass != nil || p.AllocatedStorage != nil || p.MultiAZ != nil) {
		t.Errorf("pending values left after applying them: %+v", p)
	}
}

func TestReplicationInstanceSettingsAreValidated(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).dms()
	tests := []struct {
		name string
		in   dms.CreateReplicationInstanceInput
	}{
		{"a class DMS does not have", dms.CreateReplicationInstanceInput{ReplicationInstanceClass: aws.String("dms.r5.huge")}},
		{"an EC2 class", dms.CreateReplicationInstanceInput{ReplicationInstanceClass: aws.String("dms.m5.large")}},
		{"a maintenance window of 10 minutes", dms.CreateReplicationInstanceInput{ReplicationInstanceClass: aws.String("dms.t3.medium"), PreferredMaintenanceWindow: aws.String("sun:05:00-sun:05:10")}},
		{"a maintenance window of no time", dms.CreateReplicationInstanceInput{ReplicationInstanceClass: aws.String("dms.t3.medium"), PreferredMaintenanceWindow: aws.String("mon:01:00-mon:01:00")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ReplicationInstanceIdentifier = aws.String("refused")
			_, err := c.CreateReplicationInstance(ctx, &tt.in)
			if got := errorCode(t, err); got != "InvalidParameterValueException" {
				t.Errorf("code %q (%v), want InvalidParameterValueException", got, err)
			}
		})
	}
	for _, window := range []string{"sun:05:00-sun:05:30", "sun:23:45-mon:00:15"} {
		if _, err := c.CreateReplicationInstance(ctx, &dms.CreateReplicationInstanceInput{ReplicationInstanceIdentifier: aws.String("w" + window[4:6] + window[14:16]),
			ReplicationInstanceClass: aws.String("dms.c6i.2xlarge"), PreferredMaintenanceWindow: aws.String(window)}); err != nil {
			t.Errorf("a 30-minute window %s: %v", window, err)
		}
	}
}

func TestEndpointSslModeIsOneOfDMSs(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).dms()
	in := &dms.CreateEndpointInput{EndpointIdentifier: aws.String("src"), EndpointType: dmstypes.ReplicationEndpointTypeValueSource,
		EngineName: aws.String("postgres"), SslMode: "required"}
	_, err := c.CreateEndpoint(ctx, in)
	if got := errorCode(t, err); got != "InvalidParameterValueException" {
		t.Errorf("CreateEndpoint SslMode required: %q, want InvalidParameterValueException", got)
	}
	in.SslMode = dmstypes.DmsSslModeValueVerifyFull
	ep, err := c.CreateEndpoint(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ModifyEndpoint(ctx, &dms.ModifyEndpointInput{EndpointArn: ep.Endpoint.EndpointArn, SslMode: "strict"})
	if got := errorCode(t, err); got != "InvalidParameterValueException" {
		t.Errorf("ModifyEndpoint SslMode strict: %q, want InvalidParameterValueException", got)
	}
}

func TestASubnetGroupMustCoverTwoAvailabilityZones(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.dms()
	_, err := c.CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("one"),
		ReplicationSubnetGroupDescription: aws.String("one subnet"), SubnetIds: []string{"subnet-0a11b22c33d44e551"}})
	if got := errorCode(t, err); got != "ReplicationSubnetGroupDoesNotCoverEnoughAZs" {
		t.Errorf("one subnet: %q, want ReplicationSubnetGroupDoesNotCoverEnoughAZs", got)
	}
	err = e.srv.LoadEstate(&awsemu.Estate{SubnetGroups: []awsemu.EstateSubnetGroup{{ID: "one-zone", Subnets: []awsemu.EstateSubnet{
		{ID: "subnet-0a11b22c33d44e551", AvailabilityZone: "us-east-1a"}, {ID: "subnet-0a11b22c33d44e552", AvailabilityZone: "us-east-1a"}}}}})
	if err == nil {
		t.Error("an estate subnet group in one zone was loaded")
	}
	if _, err := c.CreateReplicationSubnetGroup(ctx, &dms.CreateReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("two"),
		ReplicationSubnetGroupDescription: aws.String("two subnets"), SubnetIds: []string{"subnet-0a11b22c33d44e551", "subnet-0a11b22c33d44e552"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ModifyReplicationSubnetGroup(ctx, &dms.ModifyReplicationSubnetGroupInput{ReplicationSubnetGroupIdentifier: aws.String("two"), SubnetIds: []string{"subnet-0a11b22c33d44e553"}})
	if got := errorCode(t, err); got != "ReplicationSubnetGroupDoesNotCoverEnoughAZs" {
		t.Errorf("modify to one subnet: %q, want ReplicationSubnetGroupDoesNotCoverEnoughAZs", got)
	}
}
