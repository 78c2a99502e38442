package keyref

import "regexp"

// partition is an AWS partition: its id (the second field of an ARN), the
// names its regions take, and the region its account-wide calls go to when
// the configuration names none.
type partition struct {
	id      string
	regions *regexp.Regexp
	home    string
}

// partitions are the SDK's own partition table (aws-sdk-go-v2
// internal/endpoints/awsrulesfn/partitions.go, RegionRegex and
// ImplicitGlobalRegion), with the middle part of a name limited to lower-case
// letters as every region name is. A name no partition claims is not a
// region: the SDK would still build an endpoint for it (and the emulator
// would answer), so a mistyped --region must be refused here.
var partitions = []partition{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$`), "us-east-1"},
	{"aws-cn", regexp.MustCompile(`^cn-[a-z]+-[0-9]+$`), "cn-northwest-1"},
	{"aws-us-gov", regexp.MustCompile(`^us-gov-[a-z]+-[0-9]+$`), "us-gov-west-1"},
	{"aws-iso", regexp.MustCompile(`^us-iso-[a-z]+-[0-9]+$`), "us-iso-east-1"},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-[a-z]+-[0-9]+$`), "us-isob-east-1"},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-[a-z]+-[0-9]+$`), "eu-isoe-west-1"},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-[a-z]+-[0-9]+$`), "us-isof-south-1"},
	{"aws-eusc", regexp.MustCompile(`^eusc-de-[a-z]+-[0-9]+$`), "eusc-de-east-1"},
}

// ValidRegion reports whether name is a region name of a known AWS
// partition (us-east-1, us-gov-west-1, cn-north-1, ap-southeast-5), as the
// SDK's partition table defines them. xx-fake-1 is not.
func ValidRegion(name string) bool { return PartitionOf(name) != "" }

// PartitionOf returns the partition of a region name (aws, aws-cn,
// aws-us-gov, ...), or "" when name is not a region name.
func PartitionOf(region string) string {
	if p := partitionOf(region); p != nil {
		return p.id
	}
	return ""
}

func partitionOf(region string) *partition {
	for i := range partitions {
		if partitions[i].regions.MatchString(region) {
			return &partitions[i]
		}
	}
	return nil
}

// HomeRegion returns the region that account-wide calls (STS, EC2
// DescribeRegions) use for partition id when the configuration names no
// region, or "" for an unknown partition.
func HomeRegion(id string) string {
	for _, p := range partitions {
		if p.id == id {
			return p.home
		}
	}
	return ""
}
