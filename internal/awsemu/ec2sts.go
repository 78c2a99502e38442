package awsemu

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// --- EC2 (query protocol, EC2 flavour) ---

type ec2Region struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type ec2DescribeRegionsResponse struct {
	XMLName   xml.Name    `xml:"DescribeRegionsResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	RequestID string      `xml:"requestId"`
	Regions   []ec2Region `xml:"regionInfo>item"`
}

// indexed returns the values of Prefix.1, Prefix.2, … from a query form.
func indexed(form map[string][]string, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[prefix+"."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

func formValue(form map[string][]string, k string) string {
	if v := form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *call) ec2DescribeRegions() (any, *apiError) {
	all := false
	switch strings.ToLower(formValue(c.query, "AllRegions")) {
	case "", "false":
	case "true":
		all = true
	default:
		return nil, badRequest("InvalidParameterValue", "Invalid value for AllRegions: %s", formValue(c.query, "AllRegions"))
	}
	names := indexed(c.query, "RegionName")
	filters := map[string][]string{}
	for i := 1; ; i++ {
		name := formValue(c.query, "Filter."+strconv.Itoa(i)+".Name")
		if name == "" {
			break
		}
		switch name {
		case "endpoint", "opt-in-status", "region-name":
		default:
			return nil, badRequest("InvalidParameterValue", "The filter '%s' is invalid", name)
		}
		filters[name] = append(filters[name], indexed(c.query, "Filter."+strconv.Itoa(i)+".Value")...)
	}
	for _, n := range names {
		if _, ok := c.w.regionByName[n]; !ok {
			return nil, badRequest("InvalidParameterValue", "Invalid region: %s", n)
		}
	}
	out := ec2DescribeRegionsResponse{Xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", RequestID: c.requestID, Regions: []ec2Region{}}
	for _, r := range c.w.regions {
		if !all && !r.enabled() && len(names) == 0 {
			continue
		}
		if len(names) > 0 && !contains(names, r.Name) {
			continue
		}
		reg := ec2Region{RegionName: r.Name, RegionEndpoint: "ec2." + r.Name + ".amazonaws.com", OptInStatus: r.optIn()}
		fs := filterSet(filters)
		if !fs.match("region-name", reg.RegionName) || !fs.match("opt-in-status", reg.OptInStatus) || !fs.match("endpoint", reg.RegionEndpoint) {
			continue
		}
		out.Regions = append(out.Regions, reg)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// --- STS (query protocol) ---

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type stsCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

const stsXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"

func (c *call) stsGetCallerIdentity() (any, *apiError) {
	var out stsCallerIdentityResponse
	out.Xmlns = stsXMLNS
	out.Result.Arn, out.Result.UserID, out.Result.Account = c.caller.ARN, c.caller.UserID, c.caller.Account
	out.Metadata.RequestID = c.requestID
	return out, nil
}

type stsAssumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
		AssumedRoleUser struct {
			AssumedRoleID string `xml:"AssumedRoleId"`
			Arn           string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
		PackedPolicySize int `xml:"PackedPolicySize"`
	} `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

func (c *call) stsAssumeRole() (any, *apiError) {
	roleARN := formValue(c.query, "RoleArn")
	session := formValue(c.query, "RoleSessionName")
	if roleARN == "" || session == "" {
		return nil, badRequest("ValidationError", "1 validation error detected: RoleArn and RoleSessionName are required")
	}
	m := roleARNPattern.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, badRequest("ValidationError", "%s is invalid", roleARN)
	}
	if !sessionNamePattern.MatchString(session) {
		return nil, badRequest("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	duration := 3600
	if d := formValue(c.query, "DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return nil, badRequest("ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", d)
		}
		duration = n
	}
	if aerr := c.authorize("sts:AssumeRole", roleARN); aerr != nil {
		return nil, aerr
	}
	account, roleName := m[1], m[3]
	// A role that does not exist cannot be assumed: AWS answers AccessDenied
	// (it does not say whether the role exists). Estates declare their roles.
	if !c.w.roles[roleARN] || !c.w.knownAccount(account) {
		return nil, errf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.caller.ARN, roleARN)
	}
	akid := "ASIA" + opaqueID()[:16]
	roleID := "AROA" + opaqueID()[:17]
	id := identity{AccessKeyID: akid, Account: account, ARN: "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session, UserID: roleID + ":" + session}
	c.s.issued[akid] = id
	var out stsAssumeRoleResponse
	out.Xmlns = stsXMLNS
	out.Result.Credentials.AccessKeyID = akid
	out.Result.Credentials.SecretAccessKey = opaqueID() + opaqueID()[:14]
	out.Result.Credentials.SessionToken = "FwoGZXIvYXdzE" + opaqueID() + opaqueID() + opaqueID()
	out.Result.Credentials.Expiration = c.now.Add(time.Duration(duration) * time.Second).UTC().Format("2006-01-02T15:04:05Z")
	out.Result.AssumedRoleUser.AssumedRoleID = id.UserID
	out.Result.AssumedRoleUser.Arn = id.ARN
	out.Metadata.RequestID = c.requestID
	c.resource = roleARN
	return out, nil
}
