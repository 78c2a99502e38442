package awslive

import (
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/keyref"
)

// ValidRegion reports whether name is a region name of a known AWS
// partition (us-east-1, us-gov-west-1, cn-north-1, ap-southeast-5). xx-fake-1 is not.
func ValidRegion(name string) bool { return keyref.ValidRegion(name) }

// PartitionOf returns the partition of a region name, or "" when name is not a region name.
func PartitionOf(region string) string { return keyref.PartitionOf(region) }

// HomeRegion returns the region that account-wide calls use for partition id.
func HomeRegion(id string) string { return keyref.HomeRegion(id) }

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
