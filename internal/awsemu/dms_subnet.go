package awsemu

import (
	"hash/fnv"
	"strings"
)

// dmsSubnetGroup is a DMS replication subnet group.
type dmsSubnetGroup struct {
	record
	description string
	vpcID       string
	subnets     []EstateSubnet
	rev         uint64 // bumped on every change, so instance views re-render
}

type subnetJSON struct {
	SubnetIdentifier       string `json:"SubnetIdentifier"`
	SubnetAvailabilityZone struct {
		Name string `json:"Name"`
	} `json:"SubnetAvailabilityZone"`
	SubnetStatus string `json:"SubnetStatus"`
}

type subnetGroupJSON struct {
	ReplicationSubnetGroupIdentifier  string       `json:"ReplicationSubnetGroupIdentifier"`
	ReplicationSubnetGroupDescription string       `json:"ReplicationSubnetGroupDescription"`
	VpcID                             string       `json:"VpcId"`
	SubnetGroupStatus                 string       `json:"SubnetGroupStatus"`
	Subnets                           []subnetJSON `json:"Subnets"`
	SupportedNetworkTypes             []string     `json:"SupportedNetworkTypes"`
}

func (g *dmsSubnetGroup) view() subnetGroupJSON {
	v := subnetGroupJSON{ReplicationSubnetGroupIdentifier: g.id, ReplicationSubnetGroupDescription: g.description,
		VpcID: g.vpcID, SubnetGroupStatus: "Complete", Subnets: []subnetJSON{}, SupportedNetworkTypes: []string{"IPV4", "DUAL"}}
	for _, s := range g.subnets {
		var sj subnetJSON
		sj.SubnetIdentifier, sj.SubnetAvailabilityZone.Name, sj.SubnetStatus = s.ID, s.AvailabilityZone, "Active"
		v.Subnets = append(v.Subnets, sj)
	}
	return v
}

func shortHash(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	const hexdig = "0123456789abcdef"
	sum := h.Sum64()
	out := make([]byte, 16)
	for i := range out {
		out[i] = hexdig[sum>>(60-4*uint(i))&0xf]
	}
	return string(out)
}

// subnetGroupOrDefault returns the named group, or the zone's default group
// (created on first use, like the default VPC's).
func (c *call) subnetGroupOrDefault(name string) (*dmsSubnetGroup, *apiError) {
	if name != "" {
		return c.subnetGroupByName(name)
	}
	z := c.zone()
	if g, ok := z.subnetGroups.byIdentifier("default", c.now); ok {
		return g, nil
	}
	vpc := "vpc-" + shortHash(z.account, z.region, "default")[:17-4]
	g := &dmsSubnetGroup{description: "default", vpcID: vpc}
	for i, az := range []string{"a", "b", "c"} {
		g.subnets = append(g.subnets, EstateSubnet{ID: "subnet-" + shortHash(vpc, az)[:12+i%1], AvailabilityZone: c.region + az})
	}
	g.record = c.newRecord("default", "subgrp", "default", "Complete")
	z.subnetGroups.add(g)
	return g, nil
}

func validSubnetGroupName(name string) (string, *apiError) {
	if name == "" {
		return "", required("ReplicationSubnetGroupIdentifier", name)
	}
	low := strings.ToLower(name)
	if len(low) > 255 || strings.Trim(low, "abcdefghijklmnopqrstuvwxyz0123456789._- ") != "" {
		return "", invalidParam("ReplicationSubnetGroupIdentifier must contain only letters, digits, periods, underscores, spaces or hyphens, at most 255 characters")
	}
	return low, nil
}

func (c *call) subnetsFrom(ids []string, vpc string) ([]EstateSubnet, *apiError) {
	if len(ids) == 0 {
		return nil, required("SubnetIds", "")
	}
	var out []EstateSubnet
	azs := map[string]bool{}
	for _, id := range ids {
		if !strings.HasPrefix(id, "subnet-") {
			return nil, badRequest("InvalidSubnet", "The subnet %s is not valid", id)
		}
		az := c.region + string(rune('a'+int(shortHash(vpc, id)[0])%3))
		azs[az] = true
		out = append(out, EstateSubnet{ID: id, AvailabilityZone: az})
	}
	// The emulator has no EC2 subnets: a subnet's zone comes from its id,
	// and two or more subnets always span two zones (one cannot).
	if len(out) >= 2 && len(azs) < 2 {
		out[1].AvailabilityZone = c.region + "b"
		if out[0].AvailabilityZone == out[1].AvailabilityZone {
			out[1].AvailabilityZone = c.region + "c"
		}
	}
	return out, nil
}

func (c *call) dmsCreateReplicationSubnetGroup() (any, *apiError) {
	var in struct {
		ReplicationSubnetGroupIdentifier  string   `json:"ReplicationSubnetGroupIdentifier"`
		ReplicationSubnetGroupDescription string   `json:"ReplicationSubnetGroupDescription"`
		SubnetIDs                         []string `json:"SubnetIds"`
		Tags                              []apiTag `json:"Tags"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	g, aerr := c.createSubnetGroup(in.ReplicationSubnetGroupIdentifier, in.ReplicationSubnetGroupDescription, "", in.SubnetIDs, nil)
	if aerr != nil {
		return nil, aerr
	}
	g.tags = tagsFromAPI(in.Tags)
	return map[string]any{"ReplicationSubnetGroup": g.view()}, nil
}

func (c *call) createSubnetGroup(name, description, vpc string, subnetIDs []string, subnets []EstateSubnet) (*dmsSubnetGroup, *apiError) {
	id, aerr := validSubnetGroupName(name)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := required("ReplicationSubnetGroupDescription", description); aerr != nil {
		return nil, aerr
	}
	z := c.zone()
	if aerr := freeIdentifier(c, &z.subnetGroups, nil, "Replication subnet group", id); aerr != nil {
		return nil, aerr
	}
	if vpc == "" {
		vpc = "vpc-" + shortHash(c.caller.Account, c.region, id)[:13]
	}
	if subnets == nil {
		subnets, aerr = c.subnetsFrom(subnetIDs, vpc)
		if aerr != nil {
			return nil, aerr
		}
	}
	if aerr := checkSubnetsCoverTwoAZs(subnets); aerr != nil {
		return nil, aerr
	}
	g := &dmsSubnetGroup{description: description, vpcID: vpc, subnets: subnets}
	g.record = c.newRecord(id, "subgrp", id, "Complete")
	if aerr := c.authorize("dms:CreateReplicationSubnetGroup", g.arn); aerr != nil {
		return nil, aerr
	}
	z.subnetGroups.add(g)
	return g, nil
}

func (c *call) dmsDescribeReplicationSubnetGroups() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().subnetGroups, in, describeQuery[*dmsSubnetGroup]{
		filters: []string{"replication-subnet-group-id"}, idFilter: "replication-subnet-group-id",
		none: "No replication subnet groups found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("ReplicationSubnetGroups", page, next, (*dmsSubnetGroup).view), nil
}

func (c *call) dmsModifyReplicationSubnetGroup() (any, *apiError) {
	var in struct {
		ReplicationSubnetGroupIdentifier  string   `json:"ReplicationSubnetGroupIdentifier"`
		ReplicationSubnetGroupDescription string   `json:"ReplicationSubnetGroupDescription"`
		SubnetIDs                         []string `json:"SubnetIds"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	g, aerr := c.subnetGroupByName(in.ReplicationSubnetGroupIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize("dms:ModifyReplicationSubnetGroup", g.arn); aerr != nil {
		return nil, aerr
	}
	subnets, aerr := c.subnetsFrom(in.SubnetIDs, g.vpcID)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkSubnetsCoverTwoAZs(subnets); aerr != nil {
		return nil, aerr
	}
	g.subnets = subnets
	g.rev++
	if in.ReplicationSubnetGroupDescription != "" {
		g.description = in.ReplicationSubnetGroupDescription
	}
	return map[string]any{"ReplicationSubnetGroup": g.view()}, nil
}

func (c *call) subnetGroupByName(name string) (*dmsSubnetGroup, *apiError) {
	if aerr := required("ReplicationSubnetGroupIdentifier", name); aerr != nil {
		return nil, aerr
	}
	g, ok := c.zone().subnetGroups.byIdentifier(strings.ToLower(name), c.now)
	if !ok {
		return nil, notFound("Replication subnet group %s not found", name)
	}
	return g, nil
}

func (c *call) dmsDeleteReplicationSubnetGroup() (any, *apiError) {
	var in struct {
		ReplicationSubnetGroupIdentifier string `json:"ReplicationSubnetGroupIdentifier"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	g, aerr := c.subnetGroupByName(in.ReplicationSubnetGroupIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize("dms:DeleteReplicationSubnetGroup", g.arn); aerr != nil {
		return nil, aerr
	}
	for _, r := range c.zone().instances.live(c.now) {
		if r.subnetGroup == g {
			return nil, invalidResourceState("Replication subnet group %s is in use by replication instance %s", g.id, r.id)
		}
	}
	g.status = statusGone
	c.zone().subnetGroups.drop(g)
	return struct{}{}, nil
}
