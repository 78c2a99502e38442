package awslive

import (
	"regexp"
	"slices"
	"strings"
)

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

// CheckRegions validates region names given on a command line: every one
// must be a region name, and all of one partition (one set of credentials
// cannot reach two). It returns the partition.
func CheckRegions(regions []string) (string, error) {
	var bad []string
	parts := map[string]bool{}
	for _, r := range regions {
		p := PartitionOf(r)
		if p == "" {
			bad = append(bad, r)
			continue
		}
		parts[p] = true
	}
	if len(bad) > 0 {
		return "", &InvalidRegionError{Regions: bad}
	}
	if len(parts) > 1 {
		var ids []string
		for p := range parts {
			ids = append(ids, p)
		}
		slices.Sort(ids)
		return "", &InvalidRegionError{Regions: slices.Clone(regions), Reason: "belong to different AWS partitions (" + strings.Join(ids, ", ") + "), which one set of credentials cannot reach"}
	}
	for p := range parts {
		return p, nil
	}
	return "", nil
}

// InvalidRegionError says regions given to scan are not usable: not region
// names, in different partitions, or (Unknown) not regions of the account's
// partition according to ec2:DescribeRegions. The command line turns it into
// a usage error.
type InvalidRegionError struct {
	Regions []string
	// Reason overrides the default explanation.
	Reason string
	// Known lists the regions ec2:DescribeRegions reported, when it was
	// asked.
	Known []string
}

func (e *InvalidRegionError) Error() string {
	names := "\"" + strings.Join(e.Regions, "\", \"") + "\""
	switch {
	case e.Reason != "":
		return names + " " + e.Reason
	case e.Known != nil && len(e.Known) == 0:
		return names + ": no such region in this account's partition (ec2:DescribeRegions lists no region at all)"
	case len(e.Known) > 0:
		return names + ": no such region in this account's partition (ec2:DescribeRegions lists " + strings.Join(e.Known, ", ") + ")"
	}
	return names + ": not an AWS region name (like eu-west-1, us-gov-west-1, cn-north-1)"
}
