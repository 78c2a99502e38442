package keypolicy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Statement ids, stable so that people and tools can find each statement.
const (
	SidRoot   = "EnableIAMUserPermissions"
	SidAdmins = "AllowKeyAdministration"
	SidUse    = "AllowUseThroughDMSOnly"
	SidGrants = "AllowGrantsForAWSResourcesThroughDMSOnly"
)

// AdminActions are what key administrators may do: manage, never use, the key.
var AdminActions = []string{
	"kms:CancelKeyDeletion",
	"kms:Create*",
	"kms:Delete*",
	"kms:Describe*",
	"kms:Disable*",
	"kms:Enable*",
	"kms:Get*",
	"kms:List*",
	"kms:Put*",
	"kms:Revoke*",
	"kms:RotateKeyOnDemand",
	"kms:ScheduleKeyDeletion",
	"kms:TagResource",
	"kms:UntagResource",
	"kms:Update*",
}

// UseActions are what key users may do, through DMS only.
var UseActions = []string{
	"kms:Decrypt",
	"kms:DescribeKey",
	"kms:Encrypt",
	"kms:GenerateDataKey*",
	"kms:ReEncrypt*",
}

// GrantActions let DMS, acting for a key user, hold grants on the key for the
// AWS resources (replication instances) it creates.
var GrantActions = []string{
	"kms:CreateGrant",
	"kms:ListGrants",
	"kms:RevokeGrant",
}

// Options are the inputs of a key policy.
type Options struct {
	// Account is the 12-digit account that owns the key.
	Account string
	// Region is the key's region; it fixes kms:ViaService to dms.<region>.amazonaws.com.
	Region string
	// Admins are IAM principal ARNs that administer the key.
	Admins []string
	// Users are IAM principal ARNs that may use the key through DMS.
	Users []string
	// ExternalAccounts are other 12-digit accounts whose principals may use
	// the key through DMS (their own IAM policies must also allow it).
	ExternalAccounts []string
}

// Document is an IAM policy document as KMS stores it.
type Document struct {
	Version   string      `json:"Version"`
	ID        string      `json:"Id,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a key policy.
type Statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal Principal                    `json:"Principal"`
	Action    []string                     `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Principal names the AWS principals of a statement.
type Principal struct {
	AWS []string `json:"AWS"`
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)
	// principalRE accepts the principals a key policy can name: an account
	// root, an IAM user or role (with a path), or an STS assumed-role session.
	principalRE = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):(iam::[0-9]{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)|sts::[0-9]{12}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+)$`)
)

// ValidRegion reports whether region has the shape of an AWS region name, so
// that a typo is refused before anything calls AWS.
func ValidRegion(region string) bool { return regionRE.MatchString(region) }

// Partition returns the AWS partition of a region (aws, aws-cn, aws-us-gov, ...).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// ViaService is the kms:ViaService value that limits use to DMS in region.
func ViaService(region string) string {
	return "dms." + region + ".amazonaws.com"
}

// Validate checks the options and returns every problem at once.
func (o Options) Validate() error {
	var problems []string
	if !accountRE.MatchString(o.Account) {
		problems = append(problems, fmt.Sprintf("account %q is not a 12-digit AWS account id", o.Account))
	}
	if !regionRE.MatchString(o.Region) {
		problems = append(problems, fmt.Sprintf("region %q is not an AWS region name", o.Region))
	}
	partition := Partition(o.Region)
	for _, list := range []struct {
		flag string
		arns []string
	}{{"key administrator", o.Admins}, {"key user", o.Users}} {
		for _, arn := range list.arns {
			if !principalRE.MatchString(arn) {
				problems = append(problems, fmt.Sprintf("%s %q is not an IAM user, role or account root ARN", list.flag, arn))
				continue
			}
			if p := strings.SplitN(arn, ":", 3)[1]; p != partition {
				problems = append(problems, fmt.Sprintf("%s %q is in partition %s, the key is in %s", list.flag, arn, p, partition))
			}
		}
	}
	for _, acct := range o.ExternalAccounts {
		switch {
		case !accountRE.MatchString(acct):
			problems = append(problems, fmt.Sprintf("external account %q is not a 12-digit AWS account id", acct))
		case acct == o.Account:
			problems = append(problems, fmt.Sprintf("external account %s is the key's own account", acct))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid key policy options: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Build returns the recommended key policy for a DMS key. The statements that
// name users are left out when there are no users and no external accounts:
// principals of the key's own account can then use the key only as their IAM
// policies allow, through the root statement.
func Build(o Options) (*Document, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	partition := Partition(o.Region)
	root := fmt.Sprintf("arn:%s:iam::%s:root", partition, o.Account)
	doc := &Document{
		Version: "2012-10-17",
		ID:      "cmkguard-dms-key-policy",
		Statement: []Statement{{
			Sid:       SidRoot,
			Effect:    "Allow",
			Principal: Principal{AWS: []string{root}},
			Action:    []string{"kms:*"},
			Resource:  "*",
		}},
	}
	if admins := unique(o.Admins); len(admins) > 0 {
		doc.Statement = append(doc.Statement, Statement{
			Sid:       SidAdmins,
			Effect:    "Allow",
			Principal: Principal{AWS: admins},
			Action:    AdminActions,
			Resource:  "*",
		})
	}
	users := unique(o.Users)
	for _, acct := range unique(o.ExternalAccounts) {
		users = append(users, fmt.Sprintf("arn:%s:iam::%s:root", partition, acct))
	}
	if len(users) == 0 {
		return doc, nil
	}
	via := ViaService(o.Region)
	doc.Statement = append(doc.Statement,
		Statement{
			Sid:       SidUse,
			Effect:    "Allow",
			Principal: Principal{AWS: users},
			Action:    UseActions,
			Resource:  "*",
			Condition: map[string]map[string]string{
				"StringEquals": {"kms:ViaService": via},
			},
		},
		Statement{
			Sid:       SidGrants,
			Effect:    "Allow",
			Principal: Principal{AWS: users},
			Action:    GrantActions,
			Resource:  "*",
			Condition: map[string]map[string]string{
				"Bool":         {"kms:GrantIsForAWSResource": "true"},
				"StringEquals": {"kms:ViaService": via},
			},
		})
	return doc, nil
}

// JSON returns the policy as indented JSON, as KMS accepts it.
func (d *Document) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode key policy: %w", err)
	}
	return append(b, '\n'), nil
}

func unique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
