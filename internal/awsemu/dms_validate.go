package awsemu

import (
	"strconv"
	"strings"
)

// instanceClassSizes are DMS's replication instance classes, by family.
var instanceClassSizes = map[string][]string{
	"t2":  {"micro", "small", "medium", "large"},
	"t3":  {"micro", "small", "medium", "large"},
	"c4":  {"large", "xlarge", "2xlarge", "4xlarge"},
	"c5":  {"large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge"},
	"c6i": {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"},
	"r4":  {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"},
	"r5":  {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"},
	"r6i": {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"},
}

// validInstanceClass reports whether class (lower-cased) is a DMS
// replication instance class, such as dms.r5.large.
func validInstanceClass(class string) bool {
	family, size, ok := strings.Cut(strings.TrimPrefix(class, "dms."), ".")
	if !ok || !strings.HasPrefix(class, "dms.") {
		return false
	}
	return contains(instanceClassSizes[family], size)
}

// sslModes are the values of DmsSslModeValue.
var sslModes = []string{"none", "require", "verify-ca", "verify-full"}

func checkSslMode(mode string) *apiError {
	if mode == "" || contains(sslModes, mode) {
		return nil
	}
	return invalidParam("Invalid SslMode %s: use none, require, verify-ca or verify-full", mode)
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// windowMinutes returns the length in minutes of a maintenance window
// ddd:hh24:mi-ddd:hh24:mi (already matched by windowPattern), which may
// wrap around the end of the week.
func windowMinutes(window string) int {
	start, end, _ := strings.Cut(window, "-")
	week := 7 * 24 * 60
	return ((minuteOfWeek(end)-minuteOfWeek(start))%week + week) % week
}

func minuteOfWeek(t string) int {
	parts := strings.Split(t, ":")
	day := 0
	for i, d := range weekdays {
		if d == parts[0] {
			day = i
		}
	}
	h, _ := strconv.Atoi(parts[1])
	m, _ := strconv.Atoi(parts[2])
	return day*24*60 + h*60 + m
}

// checkSubnetsCoverTwoAZs refuses a subnet group whose subnets are all in
// one Availability Zone, as DMS does.
func checkSubnetsCoverTwoAZs(subnets []EstateSubnet) *apiError {
	azs := map[string]bool{}
	for _, s := range subnets {
		azs[s.AvailabilityZone] = true
	}
	if len(azs) < 2 {
		return badRequest("ReplicationSubnetGroupDoesNotCoverEnoughAZs", "The subnets of a replication subnet group must cover at least 2 Availability Zones; these cover %d", len(azs))
	}
	return nil
}
