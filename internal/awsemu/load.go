package awsemu

import (
	"fmt"
	"regexp"
	"strings"
)

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// LoadEstate replaces the emulator's state with the estate's. It validates
// every item and refers to the first problem by kind and id; on error the
// current state is untouched. The estate's deny rules replace the current
// ones; its faults, when it has any, replace the current faults (otherwise
// they are kept). Credentials issued by AssumeRole are forgotten; the
// request log is kept.
func (s *Server) LoadEstate(e *Estate) error {
	if e == nil {
		return fmt.Errorf("estate: nil estate")
	}
	defAccount := e.DefaultAccount
	if defAccount == "" {
		defAccount = s.opts.DefaultAccount
	}
	if !accountPattern.MatchString(defAccount) {
		return fmt.Errorf("estate: defaultAccount %q is not a 12-digit account id", defAccount)
	}
	w := newWorld(defAccount)
	if defAccount == s.opts.DefaultAccount {
		w.defaultPrincipal = s.opts.DefaultPrincipal
	}
	if e.DefaultRegion != "" {
		w.defaultRegion = e.DefaultRegion
	}
	if len(e.Regions) > 0 {
		for _, r := range e.Regions {
			switch r.OptInStatus {
			case "", "opt-in-not-required", "opted-in", "not-opted-in":
			default:
				return fmt.Errorf("estate: region %q: optInStatus %q must be opt-in-not-required, opted-in or not-opted-in", r.Name, r.OptInStatus)
			}
			if r.Name == "" {
				return fmt.Errorf("estate: a region has no name")
			}
		}
		w.setRegions(e.Regions)
	}
	if _, ok := w.regionByName[w.defaultRegion]; !ok {
		return fmt.Errorf("estate: defaultRegion %q is not among the regions", w.defaultRegion)
	}
	for _, a := range e.Accounts {
		if !accountPattern.MatchString(a.ID) {
			return fmt.Errorf("estate: account %q is not a 12-digit account id", a.ID)
		}
		switch a.Status {
		case "", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE":
		default:
			return fmt.Errorf("estate: account %s: status %q must be ACTIVE, SUSPENDED or PENDING_CLOSURE", a.ID, a.Status)
		}
	}
	w.accounts = append([]EstateAccount(nil), e.Accounts...)
	for i := range w.accounts {
		// Every AWS account has a name (1..128) and an email (6..64).
		if w.accounts[i].Name == "" {
			w.accounts[i].Name = "account-" + w.accounts[i].ID
		}
		if w.accounts[i].Email == "" {
			w.accounts[i].Email = "aws+" + w.accounts[i].ID + "@example.com"
		}
	}
	if e.Organization != nil {
		org := *e.Organization
		if org.ID == "" || !w.knownAccount(org.ManagementAccount) {
			return fmt.Errorf("estate: organization needs an id and a managementAccount that is a known account")
		}
		w.org = &org
	}
	for _, cr := range e.Credentials {
		if cr.AccessKeyID == "" || !accountPattern.MatchString(cr.Account) {
			return fmt.Errorf("estate: credential %q needs an accessKeyId and a 12-digit account", cr.AccessKeyID)
		}
		p := cr.Principal
		if p == "" {
			p = "arn:aws:iam::" + cr.Account + ":user/" + cr.AccessKeyID
		}
		w.credentials[cr.AccessKeyID] = identity{AccessKeyID: cr.AccessKeyID, Account: cr.Account, ARN: p, UserID: "AIDA" + strings.ToUpper(shortHash(p))}
	}
	for _, r := range e.Roles {
		m := roleARNPattern.FindStringSubmatch(r)
		if m == nil {
			return fmt.Errorf("estate: role %q is not a role ARN (arn:aws:iam::<account>:role/<name>)", r)
		}
		if !w.knownAccount(m[1]) {
			return fmt.Errorf("estate: role %s: account %s is not among the accounts", r, m[1])
		}
		w.roles[r] = true
	}
	var faults *Faults
	if e.Faults != nil {
		f, err := e.Faults.Faults()
		if err != nil {
			return fmt.Errorf("estate: %w", err)
		}
		faults = &f
	}
	l := &estateLoader{w: w, srv: &Server{opts: s.opts, issued: map[string]identity{}}}
	if err := l.load(e); err != nil {
		return err
	}
	s.mu.Lock()
	s.world = w
	s.estate = e
	s.deny = append([]DenyRule(nil), e.Deny...)
	s.issued = map[string]identity{}
	s.mu.Unlock()
	if faults != nil {
		s.SetFaults(*faults)
	}
	return nil
}

// Reset returns the emulator to the estate last loaded (or to an empty one,
// with the Options' default account, when none was): its state, deny rules
// and faults (none, when the estate has none). It forgets credentials
// issued by AssumeRole and empties the request log.
func (s *Server) Reset() error {
	s.mu.Lock()
	e := s.estate
	s.mu.Unlock()
	if e == nil {
		w := newWorld(s.opts.DefaultAccount)
		w.defaultPrincipal = s.opts.DefaultPrincipal
		s.mu.Lock()
		s.world, s.deny, s.issued = w, nil, map[string]identity{}
		s.mu.Unlock()
	} else if err := s.LoadEstate(e); err != nil {
		return err
	}
	if e == nil || e.Faults == nil {
		s.SetFaults(Faults{})
	}
	s.ResetLog()
	return nil
}

// estateLoader seeds a world through the same code paths as the API.
type estateLoader struct {
	w   *world
	srv *Server
	// keyStates are applied last, so that resources can be seeded on keys
	// that were disabled or scheduled for deletion afterwards.
	keyStates []func()
}

func (l *estateLoader) call(account, region string) (*call, error) {
	if account == "" {
		account = l.w.defaultAccount
	}
	if region == "" {
		region = l.w.defaultRegion
	}
	if !accountPattern.MatchString(account) {
		return nil, fmt.Errorf("account %q is not a 12-digit account id", account)
	}
	if _, ok := l.w.regionByName[region]; !ok {
		return nil, fmt.Errorf("region %q is not among the estate's regions", region)
	}
	c := &call{s: l.srv, w: l.w, region: region, now: l.srv.opts.Now(), service: "estate",
		caller: identity{Account: account, ARN: "arn:aws:iam::" + account + ":root"}}
	return c, nil
}

func wrap(kind, id string, err error) error { return fmt.Errorf("estate: %s %q: %w", kind, id, err) }

func apiErr(aerr *apiError) error { return fmt.Errorf("%s: %s", aerr.Code, aerr.Message) }

func (l *estateLoader) load(e *Estate) error {
	for _, k := range e.Keys {
		if err := l.key(k); err != nil {
			return wrap("key", k.ID, err)
		}
	}
	for _, g := range e.SubnetGroups {
		c, err := l.call(g.Account, g.Region)
		if err != nil {
			return wrap("subnet group", g.ID, err)
		}
		var subnets []EstateSubnet
		var ids []string
		for _, s := range g.Subnets {
			if s.AvailabilityZone == "" {
				ids = append(ids, s.ID)
			}
		}
		if len(ids) == 0 {
			subnets = append([]EstateSubnet{}, g.Subnets...)
		}
		sg, aerr := c.createSubnetGroup(g.ID, orDefault(g.Description, g.ID), g.VpcID, ids, subnets)
		if aerr != nil {
			return wrap("subnet group", g.ID, apiErr(aerr))
		}
		sg.tags = tagsFromMap(g.Tags)
	}
	instStatus := map[*dmsInstance]string{}
	for _, r := range e.ReplicationInstances {
		c, err := l.call(r.Account, r.Region)
		if err != nil {
			return wrap("replication instance", r.ID, err)
		}
		in := createInstanceInput{ReplicationInstanceIdentifier: r.ID, ReplicationInstanceClass: orDefault(r.Class, "dms.t3.medium"),
			EngineVersion: r.EngineVersion, AvailabilityZone: r.AvailabilityZone, ReplicationSubnetGroupIdentifier: r.SubnetGroup,
			PreferredMaintenanceWindow: r.PreferredMaintenanceWindow, MultiAZ: &r.MultiAZ, AutoMinorVersionUpgrade: r.AutoMinorVersionUpgrade,
			KmsKeyID: r.KmsKey, PubliclyAccessible: &r.PubliclyAccessible, ResourceIdentifier: r.ResourceID,
			NetworkType: r.NetworkType, VpcSecurityGroupIDs: r.VpcSecurityGroupIDs}
		if r.AllocatedStorage != 0 {
			in.AllocatedStorage = &r.AllocatedStorage
		}
		inst, aerr := c.createInstance(in)
		if aerr != nil {
			return wrap("replication instance", r.ID, apiErr(aerr))
		}
		inst.tags = tagsFromMap(r.Tags)
		inst.status, inst.next = "available", ""
		instStatus[inst] = orDefault(r.Status, "available")
	}
	for _, ep := range e.Endpoints {
		c, err := l.call(ep.Account, ep.Region)
		if err != nil {
			return wrap("endpoint", ep.ID, err)
		}
		in := createEndpointInput{EndpointIdentifier: ep.ID, EndpointType: ep.Type, EngineName: ep.Engine,
			ServerName: ep.ServerName, DatabaseName: ep.DatabaseName, Username: ep.Username, KmsKeyID: ep.KmsKey,
			S3Settings: ep.S3Settings, RedshiftSettings: ep.RedshiftSettings, ResourceIdentifier: ep.ResourceID,
			DocDbSettings: ep.DocDbSettings, MongoDbSettings: ep.MongoDbSettings}
		if ep.Port != 0 {
			in.Port = &ep.Port
		}
		end, aerr := c.createEndpoint(in)
		if aerr != nil {
			return wrap("endpoint", ep.ID, apiErr(aerr))
		}
		end.tags = tagsFromMap(ep.Tags)
	}
	for _, t := range e.ReplicationTasks {
		if err := l.task(t); err != nil {
			return wrap("replication task", t.ID, err)
		}
	}
	for _, rc := range e.ReplicationConfigs {
		if err := l.config(rc); err != nil {
			return wrap("replication config", rc.ID, err)
		}
	}
	if err := l.instanceProfiles(e.InstanceProfiles); err != nil {
		return err
	}
	if err := l.certificates(e.Certificates); err != nil {
		return err
	}
	if err := l.assessmentRuns(e.AssessmentRuns); err != nil {
		return err
	}
	for inst, status := range instStatus {
		inst.status = status
	}
	for _, apply := range l.keyStates {
		apply()
	}
	return nil
}

func (l *estateLoader) key(k EstateKey) error {
	if k.ID == "" {
		return fmt.Errorf("every key needs an explicit id")
	}
	c, err := l.call(k.Account, k.Region)
	if err != nil {
		return err
	}
	spec := KeySpec{Description: k.Description, Policy: k.Policy, Origin: k.Origin, CustomKeyStoreID: k.CustomKeyStoreID,
		XksKeyID: k.XksKeyID, MultiRegion: k.MultiRegion, Tags: tagsFromMap(k.Tags), cloudHSMClusterID: k.CloudHsmClusterID}
	key, aerr := c.createKey(spec, k.ID)
	if aerr != nil {
		return apiErr(aerr)
	}
	switch k.Manager {
	case "", "CUSTOMER":
	case "AWS":
		key.manager = "AWS"
		key.rotation, key.rotationPeriod, key.rotationStart = true, defaultRotationPeriod, key.created
		svc := "dms"
		for _, a := range k.Aliases {
			if s, ok := strings.CutPrefix(a, "alias/aws/"); ok {
				svc = s
			}
		}
		if k.Policy == "" {
			key.policy = AWSManagedKeyPolicy(svc, key.account, key.region)
		}
		if k.Description == "" {
			key.description = awsManagedServices[svc]
		}
	default:
		return fmt.Errorf("manager %q must be CUSTOMER or AWS", k.Manager)
	}
	if k.RotationEnabled {
		key.rotation, key.rotationPeriod, key.rotationStart = true, defaultRotationPeriod, key.created
	}
	key.unlisted = k.HiddenFromListKeys
	if key.origin == "EXTERNAL" {
		// Imported key material, ready to use while the estate is seeded,
		// like every other key; an explicit state is applied last.
		key.state = "Enabled"
	}
	switch k.State {
	case "":
	case "Enabled", "Disabled", "PendingImport", "Unavailable", "Creating", "Updating", "PendingReplicaDeletion":
		state := k.State
		l.keyStates = append(l.keyStates, func() { key.state = state })
	case "PendingDeletion":
		days := int32(k.PendingWindowInDays)
		if days == 0 {
			days = 30
		}
		now := c.now
		l.keyStates = append(l.keyStates, func() { key.scheduleDeletion(now, days) })
	default:
		return fmt.Errorf("state %q is not a KMS key state", k.State)
	}
	z := c.w.zone(key.account, key.region)
	for _, a := range k.Aliases {
		if !aliasNamePattern.MatchString(a) {
			return fmt.Errorf("alias %q must start with alias/", a)
		}
		if strings.HasPrefix(a, "alias/aws/") && key.manager != "AWS" {
			return fmt.Errorf("alias %q is reserved for AWS-managed keys (set manager: AWS)", a)
		}
		if _, dup := z.aliases[a]; dup {
			return fmt.Errorf("alias %q already exists in %s/%s", a, key.account, key.region)
		}
		z.aliases[a] = &kmsAlias{name: a, arn: aliasARN(key.region, key.account, a), target: key, created: c.now, updated: c.now}
	}
	return nil
}

// everyTable is the table mapping of seeded tasks and configs that give none.
const everyTable = `{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}`

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// endpointPair returns the ARNs of a seeded task's or config's source and
// target endpoints, named by identifier.
func endpointPair(c *call, source, target string) (src, dst string, err error) {
	z := c.zone()
	s, ok := z.endpoints.byIdentifier(strings.ToLower(source), c.now)
	if !ok {
		return "", "", fmt.Errorf("source endpoint %q is not in the estate", source)
	}
	d, ok := z.endpoints.byIdentifier(strings.ToLower(target), c.now)
	if !ok {
		return "", "", fmt.Errorf("target endpoint %q is not in the estate", target)
	}
	return s.arn, d.arn, nil
}

func (l *estateLoader) task(t EstateReplicationTask) error {
	c, err := l.call(t.Account, t.Region)
	if err != nil {
		return err
	}
	inst, ok := c.zone().instances.byIdentifier(strings.ToLower(t.Instance), c.now)
	if !ok {
		return fmt.Errorf("instance %q is not in the estate (same account and region)", t.Instance)
	}
	src, dst, err := endpointPair(c, t.Source, t.Target)
	if err != nil {
		return err
	}
	task, aerr := c.createTask(createTaskInput{ReplicationTaskIdentifier: t.ID, SourceEndpointArn: src, TargetEndpointArn: dst,
		ReplicationInstanceArn: inst.arn, MigrationType: orDefault(t.MigrationType, "full-load-and-cdc"),
		TableMappings: orDefault(t.TableMappings, everyTable), ResourceIdentifier: t.ResourceID})
	if aerr != nil {
		return apiErr(aerr)
	}
	task.tags = tagsFromMap(t.Tags)
	task.next = ""
	switch t.Status {
	case "", "ready":
		task.status = "ready"
	case "running":
		task.status, task.everStarted, task.startDate = "running", true, c.now
	case "stopped":
		task.status, task.everStarted, task.startDate, task.stopReason = "stopped", true, c.now, "Stop Reason NORMAL"
		task.recoveryPoint = "checkpoint:V1#" + itoa(int(c.now.Unix()))
	case "failed":
		task.status, task.everStarted, task.startDate, task.lastFailure = "failed", true, c.now, "Last Error Task error; Stop Reason FATAL_ERROR"
	default:
		return fmt.Errorf("status %q must be ready, running, stopped or failed", t.Status)
	}
	return nil
}

func (l *estateLoader) config(rc EstateReplicationConfig) error {
	c, err := l.call(rc.Account, rc.Region)
	if err != nil {
		return err
	}
	src, dst, err := endpointPair(c, rc.Source, rc.Target)
	if err != nil {
		return err
	}
	max := rc.MaxCapacityUnits
	if max == 0 {
		max = 16
	}
	cc := computeConfigJSON{KmsKeyID: rc.KmsKey, MaxCapacityUnits: &max, ReplicationSubnetGroupID: rc.SubnetGroup, MultiAZ: &rc.MultiAZ}
	if rc.MinCapacityUnits != 0 {
		cc.MinCapacityUnits = &rc.MinCapacityUnits
	}
	cfg, aerr := c.createConfig(createConfigInput{ReplicationConfigIdentifier: rc.ID, SourceEndpointArn: src, TargetEndpointArn: dst,
		ComputeConfig: cc, ReplicationType: orDefault(rc.ReplicationType, "full-load-and-cdc"),
		TableMappings: orDefault(rc.TableMappings, everyTable), ResourceIdentifier: rc.ResourceID})
	if aerr != nil {
		return apiErr(aerr)
	}
	cfg.tags = tagsFromMap(rc.Tags)
	if rc.Started {
		cfg.started, cfg.replication, cfg.startType = true, "running", "start-replication"
	}
	return premigrationOf(c, cfg, rc.PremigrationAssessments)
}
