package awsemu

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// dmsInstance is a DMS replication instance.
type dmsInstance struct {
	record
	resourceID         string
	class              string
	allocatedStorage   int32
	engineVersion      string
	vpcSecurityGroups  []string
	availabilityZone   string
	secondaryAZ        string
	subnetGroup        *dmsSubnetGroup
	multiAZ            bool
	publiclyAccessible bool
	autoMinorUpgrade   bool
	maintenanceWindow  string
	networkType        string
	kmsKeyARN          string
	dnsNameServers     string
	privateIP          string
	publicIP           string
	// pending holds the changes a Modify with ApplyImmediately=false
	// deferred to the maintenance window (which the emulator never
	// reaches); a later Modify with ApplyImmediately=true applies them.
	pending pendingValues

	// cached is the JSON of view() for cachedStatus and the subnet group's
	// revision cachedGroupRev; Modify clears it. Listing large estates is
	// then mostly copying bytes.
	cached         []byte
	cachedStatus   string
	cachedGroupRev uint64
}

// viewJSON returns the instance's JSON, from the cache when still valid.
func (r *dmsInstance) viewJSON() ([]byte, error) {
	var groupRev uint64
	if r.subnetGroup != nil {
		groupRev = r.subnetGroup.rev
	}
	if r.cached != nil && r.cachedStatus == r.status && r.cachedGroupRev == groupRev {
		return r.cached, nil
	}
	b, err := json.Marshal(r.view())
	if err != nil {
		return nil, err
	}
	r.cached, r.cachedStatus, r.cachedGroupRev = b, r.status, groupRev
	return b, nil
}

type vpcSecurityGroupMembership struct {
	VpcSecurityGroupID string `json:"VpcSecurityGroupId"`
	Status             string `json:"Status"`
}

type replicationInstanceJSON struct {
	ReplicationInstanceIdentifier         string                       `json:"ReplicationInstanceIdentifier"`
	ReplicationInstanceClass              string                       `json:"ReplicationInstanceClass"`
	ReplicationInstanceStatus             string                       `json:"ReplicationInstanceStatus"`
	AllocatedStorage                      int32                        `json:"AllocatedStorage"`
	InstanceCreateTime                    *epoch                       `json:"InstanceCreateTime,omitempty"`
	VpcSecurityGroups                     []vpcSecurityGroupMembership `json:"VpcSecurityGroups"`
	AvailabilityZone                      string                       `json:"AvailabilityZone,omitempty"`
	ReplicationSubnetGroup                *subnetGroupJSON             `json:"ReplicationSubnetGroup,omitempty"`
	PreferredMaintenanceWindow            string                       `json:"PreferredMaintenanceWindow"`
	PendingModifiedValues                 pendingValues                `json:"PendingModifiedValues"`
	MultiAZ                               bool                         `json:"MultiAZ"`
	EngineVersion                         string                       `json:"EngineVersion"`
	AutoMinorVersionUpgrade               bool                         `json:"AutoMinorVersionUpgrade"`
	KmsKeyID                              string                       `json:"KmsKeyId"`
	ReplicationInstanceArn                string                       `json:"ReplicationInstanceArn"`
	ReplicationInstancePublicIPAddress    string                       `json:"ReplicationInstancePublicIpAddress,omitempty"`
	ReplicationInstancePrivateIPAddress   string                       `json:"ReplicationInstancePrivateIpAddress,omitempty"`
	ReplicationInstancePublicIPAddresses  []string                     `json:"ReplicationInstancePublicIpAddresses"`
	ReplicationInstancePrivateIPAddresses []string                     `json:"ReplicationInstancePrivateIpAddresses"`
	PubliclyAccessible                    bool                         `json:"PubliclyAccessible"`
	SecondaryAvailabilityZone             string                       `json:"SecondaryAvailabilityZone,omitempty"`
	DNSNameServers                        string                       `json:"DnsNameServers,omitempty"`
	NetworkType                           string                       `json:"NetworkType"`
}

func (r *dmsInstance) view() replicationInstanceJSON {
	v := replicationInstanceJSON{
		ReplicationInstanceIdentifier: r.id, ReplicationInstanceClass: r.class, ReplicationInstanceStatus: r.status,
		AllocatedStorage: r.allocatedStorage, InstanceCreateTime: ts(r.created), AvailabilityZone: r.availabilityZone,
		PreferredMaintenanceWindow: r.maintenanceWindow, MultiAZ: r.multiAZ, EngineVersion: r.engineVersion,
		AutoMinorVersionUpgrade: r.autoMinorUpgrade, KmsKeyID: r.kmsKeyARN, ReplicationInstanceArn: r.arn,
		PubliclyAccessible: r.publiclyAccessible, SecondaryAvailabilityZone: r.secondaryAZ,
		DNSNameServers: r.dnsNameServers, NetworkType: r.networkType,
		ReplicationInstancePrivateIPAddresses: []string{r.privateIP}, ReplicationInstancePrivateIPAddress: r.privateIP,
		ReplicationInstancePublicIPAddresses: []string{}, PendingModifiedValues: r.pending,
	}
	for _, sg := range r.vpcSecurityGroups {
		v.VpcSecurityGroups = append(v.VpcSecurityGroups, vpcSecurityGroupMembership{sg, "active"})
	}
	if r.publicIP != "" {
		v.ReplicationInstancePublicIPAddress = r.publicIP
		v.ReplicationInstancePublicIPAddresses = []string{r.publicIP}
	}
	if r.subnetGroup != nil {
		sg := r.subnetGroup.view()
		v.ReplicationSubnetGroup = &sg
	}
	return v
}

// pendingValues are ReplicationPendingModifiedValues: the changes that
// wait for the maintenance window.
type pendingValues struct {
	ReplicationInstanceClass string `json:"ReplicationInstanceClass,omitempty"`
	AllocatedStorage         *int32 `json:"AllocatedStorage,omitempty"`
	MultiAZ                  *bool  `json:"MultiAZ,omitempty"`
	EngineVersion            string `json:"EngineVersion,omitempty"`
	NetworkType              string `json:"NetworkType,omitempty"`
}

// hold moves the deferred fields of m (validated already) into p
// and clears them from m.
func (p *pendingValues) hold(m *modifiable) {
	if m.class != "" {
		p.ReplicationInstanceClass, m.class = strings.ToLower(m.class), ""
	}
	if m.storage != nil {
		p.AllocatedStorage, m.storage = m.storage, nil
	}
	if m.multiAZ != nil {
		p.MultiAZ, m.multiAZ = m.multiAZ, nil
	}
	if m.engine != "" {
		p.EngineVersion, m.engine = m.engine, ""
	}
	if m.networkType != "" {
		p.NetworkType, m.networkType = m.networkType, ""
	}
}

// under returns m with the pending values it does not set itself.
func (p pendingValues) under(m modifiable) modifiable {
	if m.class == "" {
		m.class = p.ReplicationInstanceClass
	}
	if m.storage == nil {
		m.storage = p.AllocatedStorage
	}
	if m.multiAZ == nil {
		m.multiAZ = p.MultiAZ
	}
	if m.engine == "" {
		m.engine = p.EngineVersion
	}
	if m.networkType == "" {
		m.networkType = p.NetworkType
	}
	return m
}

// createInstanceInput is CreateReplicationInstance's request.
type createInstanceInput struct {
	ReplicationInstanceIdentifier    string   `json:"ReplicationInstanceIdentifier"`
	AllocatedStorage                 *int32   `json:"AllocatedStorage"`
	ReplicationInstanceClass         string   `json:"ReplicationInstanceClass"`
	VpcSecurityGroupIDs              []string `json:"VpcSecurityGroupIds"`
	AvailabilityZone                 string   `json:"AvailabilityZone"`
	ReplicationSubnetGroupIdentifier string   `json:"ReplicationSubnetGroupIdentifier"`
	PreferredMaintenanceWindow       string   `json:"PreferredMaintenanceWindow"`
	MultiAZ                          *bool    `json:"MultiAZ"`
	EngineVersion                    string   `json:"EngineVersion"`
	AutoMinorVersionUpgrade          *bool    `json:"AutoMinorVersionUpgrade"`
	Tags                             []apiTag `json:"Tags"`
	KmsKeyID                         string   `json:"KmsKeyId"`
	PubliclyAccessible               *bool    `json:"PubliclyAccessible"`
	DNSNameServers                   string   `json:"DnsNameServers"`
	ResourceIdentifier               string   `json:"ResourceIdentifier"`
	NetworkType                      string   `json:"NetworkType"`
}

var (
	enginePattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	windowPattern = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// DefaultEngineVersion is the DMS engine version of instances created without one.
const DefaultEngineVersion = "3.5.3"

func (c *call) dmsCreateReplicationInstance() (any, *apiError) {
	var in createInstanceInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.createInstance(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"ReplicationInstance": r.view()}, nil
}

func (c *call) createInstance(in createInstanceInput) (*dmsInstance, *apiError) {
	id, aerr := validIdentifier("ReplicationInstanceIdentifier", in.ReplicationInstanceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := required("ReplicationInstanceClass", in.ReplicationInstanceClass); aerr != nil {
		return nil, aerr
	}
	r := &dmsInstance{class: strings.ToLower(in.ReplicationInstanceClass), allocatedStorage: 50,
		engineVersion: DefaultEngineVersion, publiclyAccessible: true, autoMinorUpgrade: true,
		maintenanceWindow: "sun:06:00-sun:06:30", networkType: "IPV4", dnsNameServers: in.DNSNameServers}
	if aerr := r.apply(modifiable{
		class: in.ReplicationInstanceClass, storage: in.AllocatedStorage, engine: in.EngineVersion,
		window: in.PreferredMaintenanceWindow, multiAZ: in.MultiAZ, autoMinor: in.AutoMinorVersionUpgrade,
		networkType: in.NetworkType, securityGroups: in.VpcSecurityGroupIDs,
	}); aerr != nil {
		return nil, aerr
	}
	if in.PubliclyAccessible != nil {
		r.publiclyAccessible = *in.PubliclyAccessible
	}
	if r.multiAZ && in.AvailabilityZone != "" {
		return nil, badRequest("InvalidParameterCombinationException", "Requesting a specific availability zone is not valid for Multi-AZ instances.")
	}
	z := c.zone()
	if aerr := freeIdentifier(c, &z.instances, nil, "ReplicationInstance", id); aerr != nil {
		return nil, aerr
	}
	sg, aerr := c.subnetGroupOrDefault(in.ReplicationSubnetGroupIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	r.subnetGroup = sg
	r.availabilityZone = in.AvailabilityZone
	if r.availabilityZone == "" {
		r.availabilityZone = c.region + "a"
	}
	if !strings.HasPrefix(r.availabilityZone, c.region) {
		return nil, invalidParam("Availability zone %s is not in region %s", r.availabilityZone, c.region)
	}
	if r.multiAZ {
		r.secondaryAZ = c.region + "b"
	}
	if len(r.vpcSecurityGroups) == 0 {
		r.vpcSecurityGroups = []string{"sg-0" + strings.ToLower(opaqueID()[:16])}
	}
	keyARN, aerr := c.dmsKey(in.KmsKeyID)
	if aerr != nil {
		return nil, aerr
	}
	r.kmsKeyARN = keyARN
	rid, aerr := resourceIDFor(in.ResourceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	r.resourceID = rid
	r.record = c.newRecord(id, "rep", rid, "")
	if _, dup := z.instances.byArn(r.arn, c.now); dup {
		return nil, badRequest("ResourceAlreadyExistsFault", "ResourceIdentifier %s is already in use", rid)
	}
	if aerr := c.authorize("dms:CreateReplicationInstance", r.arn); aerr != nil {
		return nil, aerr
	}
	r.tags = tagsFromAPI(in.Tags)
	n := r.seq
	r.privateIP = "10.0." + itoa(int(n/250%250)) + "." + itoa(int(n%250)+4)
	if r.publiclyAccessible {
		r.publicIP = "54.80." + itoa(int(n/250%250)) + "." + itoa(int(n%250)+4)
	}
	r.transition(c.now, c.delayed(), "creating", "available", nil)
	z.instances.add(r)
	return r, nil
}

// modifiable are the fields Create and Modify share.
type modifiable struct {
	class          string
	storage        *int32
	engine         string
	window         string
	multiAZ        *bool
	autoMinor      *bool
	networkType    string
	securityGroups []string
}

// apply validates and applies modifiable fields.
func (r *dmsInstance) apply(m modifiable) *apiError {
	if m.class != "" {
		if !validInstanceClass(strings.ToLower(m.class)) {
			return invalidParam("Invalid ReplicationInstanceClass: %s is not a DMS replication instance class (such as dms.t3.medium or dms.r5.large)", m.class)
		}
		r.class = strings.ToLower(m.class)
	}
	if m.storage != nil {
		if *m.storage < 5 || *m.storage > 6144 {
			return invalidParam("AllocatedStorage must be between 5 and 6144 GiB, got %d", *m.storage)
		}
		if r.arn != "" && *m.storage < r.allocatedStorage {
			return invalidParam("AllocatedStorage cannot be decreased from %d to %d", r.allocatedStorage, *m.storage)
		}
		r.allocatedStorage = *m.storage
	}
	if m.engine != "" {
		if !enginePattern.MatchString(m.engine) {
			return invalidParam("Invalid EngineVersion: %s", m.engine)
		}
		r.engineVersion = m.engine
	}
	if m.window != "" {
		if !windowPattern.MatchString(strings.ToLower(m.window)) {
			return invalidParam("Invalid PreferredMaintenanceWindow: %s (expected ddd:hh24:mi-ddd:hh24:mi)", m.window)
		}
		if windowMinutes(strings.ToLower(m.window)) < 30 {
			return invalidParam("Invalid PreferredMaintenanceWindow: %s is shorter than the minimum of 30 minutes", m.window)
		}
		r.maintenanceWindow = strings.ToLower(m.window)
	}
	if m.multiAZ != nil {
		r.multiAZ = *m.multiAZ
	}
	if m.autoMinor != nil {
		r.autoMinorUpgrade = *m.autoMinor
	}
	switch m.networkType {
	case "":
	case "IPV4", "DUAL":
		r.networkType = m.networkType
	default:
		return invalidParam("Invalid NetworkType: %s (IPV4 or DUAL)", m.networkType)
	}
	for _, sg := range m.securityGroups {
		if !strings.HasPrefix(sg, "sg-") {
			return invalidParam("Invalid security group id: %s", sg)
		}
	}
	if m.securityGroups != nil {
		r.vpcSecurityGroups = append([]string(nil), m.securityGroups...)
	}
	return nil
}

func (c *call) dmsDescribeReplicationInstances() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().instances, in, describeQuery[*dmsInstance]{
		filters:  []string{"replication-instance-arn", "replication-instance-id", "replication-instance-class", "engine-version"},
		idFilter: "replication-instance-id", arnFilter: "replication-instance-arn",
		match: func(fs filterSet, r *dmsInstance) bool {
			return fs.match("replication-instance-class", r.class) && fs.match("engine-version", r.engineVersion)
		},
		none: "No replication instances found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	// The instances' JSON is cached: the response is put together from it.
	buf := make([]byte, 0, 64+1600*len(page))
	buf = append(buf, '{')
	if next != "" {
		buf = append(buf, `"Marker":`...)
		buf = strconv.AppendQuote(buf, next)
		buf = append(buf, ',')
	}
	buf = append(buf, `"ReplicationInstances":[`...)
	for i, r := range page {
		if i > 0 {
			buf = append(buf, ',')
		}
		b, err := r.viewJSON()
		if err != nil {
			return nil, &apiError{Code: "InternalFailure", Message: "could not encode an instance", Status: http.StatusInternalServerError, Server: true}
		}
		buf = append(buf, b...)
	}
	buf = append(buf, "]}"...)
	return rawJSON(buf), nil
}

// instanceByARN finds the caller's instance for action ("" checks no
// permission: the caller acts on something else), or ResourceNotFoundFault.
func (c *call) instanceByARN(arn, action string) (*dmsInstance, *apiError) {
	return byARN(c, &c.zone().instances, "Replication instance", "ReplicationInstanceArn", arn, action)
}

func (c *call) dmsModifyReplicationInstance() (any, *apiError) {
	var in struct {
		ReplicationInstanceArn        string   `json:"ReplicationInstanceArn"`
		AllocatedStorage              *int32   `json:"AllocatedStorage"`
		ApplyImmediately              bool     `json:"ApplyImmediately"`
		ReplicationInstanceClass      string   `json:"ReplicationInstanceClass"`
		VpcSecurityGroupIDs           []string `json:"VpcSecurityGroupIds"`
		PreferredMaintenanceWindow    string   `json:"PreferredMaintenanceWindow"`
		MultiAZ                       *bool    `json:"MultiAZ"`
		EngineVersion                 string   `json:"EngineVersion"`
		AllowMajorVersionUpgrade      bool     `json:"AllowMajorVersionUpgrade"`
		AutoMinorVersionUpgrade       *bool    `json:"AutoMinorVersionUpgrade"`
		ReplicationInstanceIdentifier string   `json:"ReplicationInstanceIdentifier"`
		NetworkType                   string   `json:"NetworkType"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.instanceByARN(in.ReplicationInstanceArn, "dms:ModifyReplicationInstance")
	if aerr != nil {
		return nil, aerr
	}
	if r.status != "available" {
		return nil, invalidResourceState("Replication instance %s is %s; it can be modified only when available", r.id, r.status)
	}
	if in.EngineVersion != "" && compareVersions(in.EngineVersion, r.engineVersion) < 0 {
		return nil, invalidParam("Cannot downgrade EngineVersion from %s to %s", r.engineVersion, in.EngineVersion)
	}
	if in.EngineVersion != "" && !in.AllowMajorVersionUpgrade && strings.Split(in.EngineVersion, ".")[0] != strings.Split(r.engineVersion, ".")[0] {
		return nil, invalidParam("A major version upgrade requires AllowMajorVersionUpgrade")
	}
	z := c.zone()
	newID, aerr := newIdentifier(c, &z.instances, r, "ReplicationInstance", "ReplicationInstanceIdentifier", in.ReplicationInstanceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	change := modifiable{
		class: in.ReplicationInstanceClass, storage: in.AllocatedStorage, engine: in.EngineVersion,
		window: in.PreferredMaintenanceWindow, multiAZ: in.MultiAZ, autoMinor: in.AutoMinorVersionUpgrade,
		networkType: in.NetworkType, securityGroups: in.VpcSecurityGroupIDs,
	}
	copyOf := *r
	if aerr := copyOf.apply(change); aerr != nil {
		return nil, aerr
	}
	// Without ApplyImmediately, class, storage, Multi-AZ, engine version
	// and network type wait for the maintenance window; the rest (window,
	// minor upgrades, security groups, identifier) change now.
	pending := r.pending
	if in.ApplyImmediately {
		change = r.pending.under(change)
		pending = pendingValues{}
	} else {
		pending.hold(&change)
	}
	copyOf = *r
	if aerr := copyOf.apply(change); aerr != nil {
		return nil, aerr
	}
	r.pending = pending
	r.class, r.allocatedStorage, r.engineVersion = copyOf.class, copyOf.allocatedStorage, copyOf.engineVersion
	r.maintenanceWindow, r.multiAZ, r.autoMinorUpgrade = copyOf.maintenanceWindow, copyOf.multiAZ, copyOf.autoMinorUpgrade
	r.networkType, r.vpcSecurityGroups = copyOf.networkType, copyOf.vpcSecurityGroups
	if r.multiAZ && r.secondaryAZ == "" {
		r.secondaryAZ = c.region + "b"
	} else if !r.multiAZ {
		r.secondaryAZ = ""
	}
	z.instances.rename(r, newID)
	r.cached = nil
	if in.ApplyImmediately || in.ReplicationInstanceIdentifier != "" || in.VpcSecurityGroupIDs != nil {
		r.transition(c.now, c.delayed(), "modifying", "available", nil)
	}
	return map[string]any{"ReplicationInstance": r.view()}, nil
}

func (c *call) dmsDeleteReplicationInstance() (any, *apiError) {
	var in struct {
		ReplicationInstanceArn string `json:"ReplicationInstanceArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.instanceByARN(in.ReplicationInstanceArn, "dms:DeleteReplicationInstance")
	if aerr != nil {
		return nil, aerr
	}
	if r.status == "deleting" {
		return nil, invalidResourceState("Replication instance %s is already being deleted", r.id)
	}
	for _, t := range c.zone().tasks.live(c.now) {
		if t.instanceARN == r.arn || t.targetInstanceARN == r.arn {
			return nil, invalidResourceState("Replication instance %s has replication tasks attached (%s); delete or move them first", r.id, t.id)
		}
	}
	r.transition(c.now, c.delayed(), "deleting", statusGone, nil)
	return map[string]any{"ReplicationInstance": r.view()}, nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
