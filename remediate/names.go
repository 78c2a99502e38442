package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	accountRE    = regexp.MustCompile(`^[0-9]{12}$`)
	identifierRE = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9]|-[A-Za-z0-9])*$`)
	aliasRE      = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	// regionRE and planIDRE keep what a plan puts, unquoted, into a shell
	// script and into journal note keys to plain names (a region comes from
	// an audit report, which may have been made by someone else).
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)
	planIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
)

// ARN is the parts of an Amazon Resource Name cmkguard needs.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN; it fails on anything that is not one.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, fmt.Errorf("%q is not an ARN", s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// ValidateIdentifier checks a replication instance identifier as DMS does:
// 1 to 63 letters, digits or hyphens, starting with a letter, no trailing
// hyphen and no two hyphens in a row.
func ValidateIdentifier(id string) error {
	if len(id) == 0 || len(id) > maxIdentifier || !identifierRE.MatchString(id) {
		return fmt.Errorf("instance identifier %q is not valid: 1 to 63 letters, digits or hyphens, starting with a letter, no trailing or double hyphen", id)
	}
	return nil
}

// ValidateAlias checks a KMS alias name for a customer key.
func ValidateAlias(alias string) error {
	if !aliasRE.MatchString(alias) {
		return fmt.Errorf("alias %q is not valid: it must be alias/ followed by letters, digits, /, _ or -", alias)
	}
	if strings.HasPrefix(alias, "alias/aws/") {
		return fmt.Errorf("alias %q is reserved for AWS-managed keys", alias)
	}
	return nil
}

// ExpandName fills a name template: {id} is the old identifier, {region} its
// region. When the result would be longer than the 63 characters DMS
// allows (an old identifier of 60 or more with the default "{id}-cmk"), the
// old identifier is shortened and ended with 6 hex digits of its SHA-256,
// so that two long identifiers sharing a prefix still get distinct names,
// and the name still obeys DMS's rules (letter first, no trailing or
// double hyphen).
func ExpandName(template, oldID, region string) string {
	name := strings.NewReplacer("{id}", oldID, "{region}", region).Replace(template)
	if len(name) <= maxIdentifier || !strings.Contains(template, "{id}") {
		return name
	}
	sum := sha256.Sum256([]byte(oldID))
	tag := hex.EncodeToString(sum[:3])
	fixed := len(strings.NewReplacer("{id}", "", "{region}", region).Replace(template))
	room := (maxIdentifier-fixed)/strings.Count(template, "{id}") - len(tag) - 1
	if room < 1 {
		return name
	}
	short := strings.TrimRight(oldID[:min(room, len(oldID))], "-")
	for strings.Contains(short, "--") {
		short = strings.ReplaceAll(short, "--", "-")
	}
	return strings.NewReplacer("{id}", short+"-"+tag, "{region}", region).Replace(template)
}

// maxIdentifier is the longest replication instance identifier DMS accepts.
const maxIdentifier = 63

// compareEngine compares two DMS engine versions ("3.5.2", "3.4.7") part by
// part, numerically where both parts are numbers. It returns -1, 0 or 1.
func compareEngine(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, errx := strconv.Atoi(orZero(x))
		ny, erry := strconv.Atoi(orZero(y))
		switch {
		case errx == nil && erry == nil && nx != ny:
			if nx < ny {
				return -1
			}
			return 1
		case (errx != nil || erry != nil) && x != y:
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
