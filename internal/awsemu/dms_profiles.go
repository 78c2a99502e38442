package awsemu

import (
	"strings"
	"time"
)

// dmsInstanceProfile is a DMS instance profile (DMS Schema Conversion and
// homogeneous data migrations). Without KmsKeyArn, DMS encrypts with a key
// AWS owns: the profile then reports no key at all.
type dmsInstanceProfile struct {
	record
	name, description, kmsKeyArn, networkType, subnetGroup string
	publiclyAccessible                                     *bool
	securityGroups                                         []string
}

// instanceProfileJSON is the model's InstanceProfile shape.
type instanceProfileJSON struct {
	InstanceProfileArn          string   `json:"InstanceProfileArn"`
	InstanceProfileName         string   `json:"InstanceProfileName,omitempty"`
	Description                 string   `json:"Description,omitempty"`
	KmsKeyArn                   string   `json:"KmsKeyArn,omitempty"`
	NetworkType                 string   `json:"NetworkType,omitempty"`
	PubliclyAccessible          *bool    `json:"PubliclyAccessible,omitempty"`
	SubnetGroupIdentifier       string   `json:"SubnetGroupIdentifier,omitempty"`
	VpcSecurityGroups           []string `json:"VpcSecurityGroups,omitempty"`
	InstanceProfileCreationTime string   `json:"InstanceProfileCreationTime,omitempty"`
}

func (p *dmsInstanceProfile) view() instanceProfileJSON {
	return instanceProfileJSON{InstanceProfileArn: p.arn, InstanceProfileName: p.name, Description: p.description,
		KmsKeyArn: p.kmsKeyArn, NetworkType: p.networkType, PubliclyAccessible: p.publiclyAccessible,
		SubnetGroupIdentifier: p.subnetGroup, VpcSecurityGroups: p.securityGroups, InstanceProfileCreationTime: p.created.UTC().Format(time.RFC3339)}
}

// createInstanceProfileInput is the model's CreateInstanceProfileMessage.
type createInstanceProfileInput struct {
	InstanceProfileName   string   `json:"InstanceProfileName"`
	Description           string   `json:"Description"`
	KmsKeyArn             string   `json:"KmsKeyArn"`
	NetworkType           string   `json:"NetworkType"`
	PubliclyAccessible    *bool    `json:"PubliclyAccessible"`
	SubnetGroupIdentifier string   `json:"SubnetGroupIdentifier"`
	VpcSecurityGroups     []string `json:"VpcSecurityGroups"`
	Tags                  []apiTag `json:"Tags"`
}

func (c *call) dmsCreateInstanceProfile() (any, *apiError) {
	var in createInstanceProfileInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	p, aerr := c.createInstanceProfile(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"InstanceProfile": p.view()}, nil
}

func (c *call) createInstanceProfile(in createInstanceProfileInput) (*dmsInstanceProfile, *apiError) {
	z := c.zone()
	name := in.InstanceProfileName
	id := strings.ToLower(name)
	if id == "" {
		// The name is optional; DMS then names the profile by its ARN.
		id = strings.ToLower(opaqueID())
	}
	if aerr := freeIdentifier(c, &z.instanceProfiles, nil, "Instance profile", id); aerr != nil {
		return nil, aerr
	}
	p := &dmsInstanceProfile{name: name, description: in.Description, networkType: in.NetworkType,
		publiclyAccessible: in.PubliclyAccessible, subnetGroup: in.SubnetGroupIdentifier, securityGroups: in.VpcSecurityGroups}
	p.record = c.newRecord(id, "instance-profile", opaqueID(), "available")
	if aerr := c.authorize("dms:CreateInstanceProfile", p.arn); aerr != nil {
		return nil, aerr
	}
	if in.KmsKeyArn != "" {
		arn, aerr := c.dmsKey(in.KmsKeyArn)
		if aerr != nil {
			return nil, aerr
		}
		p.kmsKeyArn = arn
	}
	p.tags = tagsFromAPI(in.Tags)
	z.instanceProfiles.add(p)
	return p, nil
}

func (c *call) dmsDescribeInstanceProfiles() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().instanceProfiles, in, describeQuery[*dmsInstanceProfile]{
		filters: []string{"instance-profile-identifier"},
		match: func(fs filterSet, p *dmsInstanceProfile) bool {
			return fs.match("instance-profile-identifier", p.arn) || fs.match("instance-profile-identifier", p.id)
		},
		none: "No instance profiles found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("InstanceProfiles", page, next, (*dmsInstanceProfile).view), nil
}

// EstateInstanceProfile is a DMS instance profile.
type EstateInstanceProfile struct {
	// Name is the profile's InstanceProfileName.
	Name    string `json:"name"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// KmsKey is a key id, key ARN, alias name or alias ARN. Empty: a key
	// AWS owns (the profile reports none).
	KmsKey      string            `json:"kmsKey,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

func (l *estateLoader) instanceProfiles(profiles []EstateInstanceProfile) error {
	for _, ip := range profiles {
		c, err := l.call(ip.Account, ip.Region)
		if err != nil {
			return wrap("instance profile", ip.Name, err)
		}
		p, aerr := c.createInstanceProfile(createInstanceProfileInput{InstanceProfileName: ip.Name, Description: ip.Description, KmsKeyArn: ip.KmsKey})
		if aerr != nil {
			return wrap("instance profile", ip.Name, apiErr(aerr))
		}
		p.tags = tagsFromMap(ip.Tags)
	}
	return nil
}
