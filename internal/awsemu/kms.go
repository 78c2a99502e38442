package awsemu

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// kmsKey is a KMS key.
type kmsKey struct {
	id, arn, account, region string
	seq                      uint64
	manager, origin, state   string
	description, policy      string
	keyUsage, keySpec        string
	customKeyStoreID         string
	cloudHSMClusterID        string
	xksKeyID                 string
	multiRegion              bool
	rotation                 bool
	rotationPeriod           int32     // days; with rotation
	rotationStart            time.Time // when rotation was enabled (AWS-managed keys: created)
	created                  time.Time
	deletionDate             time.Time
	pendingWindow            int32
	tags                     []tagPair
	unlisted                 bool // left out of ListKeys
	// parsed caches the statements of policy, which every call evaluates.
	parsed       []policyStatement
	parsedPolicy string
}

// statements returns the key policy's statements, parsing it once per change.
func (k *kmsKey) statements() []policyStatement {
	if k.parsed == nil || k.parsedPolicy != k.policy {
		k.parsed, k.parsedPolicy = parsePolicy(k.policy), k.policy
	}
	return k.parsed
}

type kmsAlias struct {
	name, arn string
	target    *kmsKey
	created   time.Time
	updated   time.Time
}

// awsManagedServices are the services whose alias/aws/<service> key KMS
// creates on first use.
var awsManagedServices = map[string]string{
	"dms":            "Default key that protects my DMS data when no other key is defined",
	"ebs":            "Default key that protects my EBS volumes when no other key is defined",
	"rds":            "Default key that protects my RDS database volumes when no other key is defined",
	"s3":             "Default key that protects my S3 objects when no other key is defined",
	"secretsmanager": "Default key that protects my Secrets Manager data when no other key is defined",
	"redshift":       "Default key that protects my Redshift data when no other key is defined",
}

// predefinedAliases are the alias/aws/<service> names ListAliases shows in
// every account and region, with a TargetKeyId once the key exists.
var predefinedAliases = func() []string {
	var out []string
	for svc := range awsManagedServices {
		out = append(out, "alias/aws/"+svc)
	}
	sortStrings(out)
	return out
}()

func keyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

func aliasARN(region, account, name string) string {
	return "arn:aws:kms:" + region + ":" + account + ":" + name
}

// DefaultKeyPolicy returns the policy KMS gives a customer key created without one.
func DefaultKeyPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// AWSManagedKeyPolicy returns the policy of an AWS-managed key for a service:
// any principal of the account may use it through the service only, and the
// account may read it.
func AWSManagedKeyPolicy(service, account, region string) string {
	return `{"Version":"2012-10-17","Id":"auto-` + service + `-2","Statement":[` +
		`{"Sid":"Allow access through ` + strings.ToUpper(service) + ` for all principals in the account that are authorized to use it","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"` + account + `","kms:ViaService":"` + service + `.` + region + `.amazonaws.com"}}},` +
		`{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`
}

// newKey adds a key to a zone.
func (w *world) newKey(z *zone, id string, now time.Time) *kmsKey {
	k := &kmsKey{
		id: id, arn: keyARN(z.region, z.account, id), account: z.account, region: z.region,
		seq: w.nextSeq(), manager: "CUSTOMER", origin: "AWS_KMS", state: "Enabled",
		keyUsage: "ENCRYPT_DECRYPT", keySpec: "SYMMETRIC_DEFAULT", created: now,
	}
	z.keys[id] = k
	z.keyList = append(z.keyList, k)
	return k
}

// awsManagedKey returns the zone's alias/aws/<service> key, creating it (and
// the alias) on first use, as AWS does.
func (w *world) awsManagedKey(z *zone, service string, now time.Time) *kmsKey {
	name := "alias/aws/" + service
	if a, ok := z.aliases[name]; ok {
		return a.target
	}
	k := w.newKey(z, uuid(), now)
	k.manager = "AWS"
	k.rotation, k.rotationPeriod, k.rotationStart = true, defaultRotationPeriod, now
	k.description = awsManagedServices[service]
	k.policy = AWSManagedKeyPolicy(service, z.account, z.region)
	z.aliases[name] = &kmsAlias{name: name, arn: aliasARN(z.region, z.account, name), target: k, created: now, updated: now}
	return k
}

// keyRef is a parsed key reference.
type keyRef struct {
	account, region string
	alias           string // alias/…, or "" for a key id
	keyID           string
	display         string // how errors name it
}

func (c *call) parseKeyRef(ref string) (keyRef, *apiError) {
	r := keyRef{account: c.caller.Account, region: c.region}
	if rest, ok := strings.CutPrefix(ref, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) != 5 || parts[1] != "kms" || parts[2] == "" || parts[3] == "" {
			return r, errf(http.StatusBadRequest, "NotFoundException", "Invalid arn %s", ref)
		}
		r.region, r.account = parts[2], parts[3]
		if r.region != c.region {
			return r, badRequest("NotFoundException", "Invalid arn %s", r.region)
		}
		switch {
		case strings.HasPrefix(parts[4], "key/"):
			r.keyID = parts[4][len("key/"):]
		case strings.HasPrefix(parts[4], "alias/"):
			r.alias = parts[4]
		default:
			return r, badRequest("NotFoundException", "Invalid arn %s", ref)
		}
		r.display = ref
		return r, nil
	}
	if strings.HasPrefix(ref, "alias/") {
		r.alias = ref
		r.display = aliasARN(r.region, r.account, ref)
		return r, nil
	}
	if ref == "" || strings.ContainsAny(ref, ":/ ") {
		return r, badRequest("NotFoundException", "Invalid keyId %s", ref)
	}
	r.keyID = ref
	r.display = keyARN(r.region, r.account, ref)
	return r, nil
}

// keyLookup says how findKey may act.
type keyLookup struct {
	action       string // kms:DescribeKey, …
	asService    bool   // DMS acting on the caller's behalf: deny rules and policy denies do not apply
	crossAccount bool   // another account's key may be named by ARN
	autoCreate   bool   // alias/aws/<service> is created on first use
	customerOnly bool   // AWS-managed keys refuse the action: only their AWS service may change them
}

// findKey resolves a key id, key ARN, alias name or alias ARN, applying
// cross-account rules, key policies and deny rules.
func (c *call) findKey(ref string, how keyLookup) (*kmsKey, *apiError) {
	if aerr := required("KeyId", ref); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.parseKeyRef(ref)
	if aerr != nil {
		return nil, aerr
	}
	cross := r.account != c.caller.Account
	if cross && !how.crossAccount {
		return nil, badRequest("NotFoundException", "Key '%s' does not exist", r.display)
	}
	z := c.w.peek(r.account, r.region)
	var k *kmsKey
	if r.alias != "" {
		if z != nil {
			if a, ok := z.aliases[r.alias]; ok {
				k = a.target
			}
		}
		if svc, ok := strings.CutPrefix(r.alias, "alias/aws/"); ok && k == nil && how.autoCreate && !cross {
			if _, known := awsManagedServices[svc]; known {
				z = c.w.zone(r.account, r.region)
				k = c.w.awsManagedKey(z, svc, c.now)
				c.created = true // a read that created a key: the log marks it mutating
			}
		}
		if k == nil {
			return nil, badRequest("NotFoundException", "Alias %s is not found.", r.display)
		}
	} else {
		if z != nil {
			k = z.keys[r.keyID]
		}
		if k == nil {
			return nil, badRequest("NotFoundException", "Key '%s' does not exist", r.display)
		}
	}
	allowed, denied := keyPolicyDecision(k.statements(), c.caller, how.action)
	if how.asService {
		if cross && !allowed {
			return nil, c.accessDenied(how.action, k.arn, "because no resource-based policy allows the "+how.action+" action")
		}
		return k, nil
	}
	if denied {
		return nil, c.accessDenied(how.action, k.arn, "with an explicit deny in a resource-based policy")
	}
	if cross && !allowed {
		return nil, c.accessDenied(how.action, k.arn, "because no resource-based policy allows the "+how.action+" action")
	}
	if aerr := c.authorize(how.action, k.arn); aerr != nil {
		return nil, aerr
	}
	if how.customerOnly && k.manager == "AWS" {
		return nil, c.accessDenied(how.action, k.arn, "because the key is an AWS managed key, which only its AWS service may change")
	}
	return k, nil
}

// keyRequest is a KMS request that names a key in KeyId.
type keyRequest interface{ keyID() string }

// keyIDInput is the KeyId member, embedded in requests that have more.
type keyIDInput struct {
	KeyID string `json:"KeyId"`
}

func (in *keyIDInput) keyID() string { return in.KeyID }

// decodeKey reads a request that names a key and finds the key as how says.
func (c *call) decodeKey(in keyRequest, how keyLookup) (*kmsKey, *apiError) {
	if aerr := c.decode(in); aerr != nil {
		return nil, aerr
	}
	return c.findKey(in.keyID(), how)
}

func invalidState(k *kmsKey) *apiError {
	return badRequest("KMSInvalidStateException", "%s is %s", k.arn, k.state)
}

// --- wire shapes ---

type kmsTag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// tagPairs converts KMS's wire tags.
func tagPairs(in []kmsTag) []tagPair {
	var out []tagPair
	for _, t := range in {
		out = append(out, tagPair{t.TagKey, t.TagValue})
	}
	return out
}

type keyMetadata struct {
	AWSAccountID                string    `json:"AWSAccountId"`
	Arn                         string    `json:"Arn"`
	CloudHsmClusterID           string    `json:"CloudHsmClusterId,omitempty"`
	CreationDate                *epoch    `json:"CreationDate,omitempty"`
	CustomKeyStoreID            string    `json:"CustomKeyStoreId,omitempty"`
	CustomerMasterKeySpec       string    `json:"CustomerMasterKeySpec,omitempty"`
	DeletionDate                *epoch    `json:"DeletionDate,omitempty"`
	Description                 string    `json:"Description"`
	Enabled                     bool      `json:"Enabled"`
	EncryptionAlgorithms        []string  `json:"EncryptionAlgorithms,omitempty"`
	KeyAgreementAlgorithms      []string  `json:"KeyAgreementAlgorithms,omitempty"`
	MacAlgorithms               []string  `json:"MacAlgorithms,omitempty"`
	SigningAlgorithms           []string  `json:"SigningAlgorithms,omitempty"`
	KeyID                       string    `json:"KeyId"`
	KeyManager                  string    `json:"KeyManager"`
	KeySpec                     string    `json:"KeySpec"`
	KeyState                    string    `json:"KeyState"`
	KeyUsage                    string    `json:"KeyUsage"`
	MultiRegion                 bool      `json:"MultiRegion"`
	MultiRegionConfiguration    *mrConfig `json:"MultiRegionConfiguration,omitempty"`
	Origin                      string    `json:"Origin"`
	PendingDeletionWindowInDays int32     `json:"PendingDeletionWindowInDays,omitempty"`
	XksKeyConfiguration         *xksKey   `json:"XksKeyConfiguration,omitempty"`
}

type mrConfig struct {
	MultiRegionKeyType string  `json:"MultiRegionKeyType"`
	PrimaryKey         mrKey   `json:"PrimaryKey"`
	ReplicaKeys        []mrKey `json:"ReplicaKeys"`
}

type mrKey struct {
	Arn    string `json:"Arn"`
	Region string `json:"Region"`
}

type xksKey struct {
	ID string `json:"Id"`
}

func (k *kmsKey) metadata() keyMetadata {
	m := keyMetadata{
		AWSAccountID: k.account, Arn: k.arn, CloudHsmClusterID: k.cloudHSMClusterID,
		CreationDate: ts(k.created), CustomKeyStoreID: k.customKeyStoreID,
		CustomerMasterKeySpec: legacyKeySpec(k.keySpec), Description: k.description, Enabled: k.state == "Enabled",
		KeyID: k.id, KeyManager: k.manager,
		KeySpec: k.keySpec, KeyState: k.state, KeyUsage: k.keyUsage, MultiRegion: k.multiRegion, Origin: k.origin,
	}
	algs := k.algorithms()
	m.EncryptionAlgorithms, m.SigningAlgorithms = algs.encryption, algs.signing
	m.KeyAgreementAlgorithms, m.MacAlgorithms = algs.agreement, algs.mac
	if k.state == "PendingDeletion" {
		// PendingDeletionWindowInDays belongs to PendingReplicaDeletion
		// (a multi-Region primary waiting for its replicas), which the
		// emulator does not model; a scheduled key shows its DeletionDate.
		m.DeletionDate = ts(k.deletionDate)
	}
	if k.multiRegion {
		m.MultiRegionConfiguration = &mrConfig{MultiRegionKeyType: "PRIMARY", PrimaryKey: mrKey{Arn: k.arn, Region: k.region}, ReplicaKeys: []mrKey{}}
	}
	if k.xksKeyID != "" {
		m.XksKeyConfiguration = &xksKey{ID: k.xksKeyID}
	}
	return m
}

// --- operations ---

var aliasNamePattern = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)

func (c *call) kmsCreateKey() (any, *apiError) {
	var in struct {
		Description                    string   `json:"Description"`
		Policy                         *string  `json:"Policy"`
		Origin                         string   `json:"Origin"`
		CustomKeyStoreID               string   `json:"CustomKeyStoreId"`
		XksKeyID                       string   `json:"XksKeyId"`
		MultiRegion                    bool     `json:"MultiRegion"`
		KeyUsage                       string   `json:"KeyUsage"`
		KeySpec                        string   `json:"KeySpec"`
		CustomerMasterKeySpec          string   `json:"CustomerMasterKeySpec"`
		Tags                           []kmsTag `json:"Tags"`
		BypassPolicyLockoutSafetyCheck bool     `json:"BypassPolicyLockoutSafetyCheck"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	if in.Policy != nil && (len(*in.Policy) < 1 || len(*in.Policy) > 131072) {
		return nil, badRequest("ValidationException", "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length between 1 and 131072")
	}
	if len(in.XksKeyID) > 128 {
		return nil, badRequest("ValidationException", "1 validation error detected: Value at 'xksKeyId' failed to satisfy constraint: Member must have length less than or equal to 128")
	}
	spec := KeySpec{
		Description: in.Description, Policy: deref(in.Policy), Origin: in.Origin, CustomKeyStoreID: in.CustomKeyStoreID,
		XksKeyID: in.XksKeyID, MultiRegion: in.MultiRegion, KeyUsage: in.KeyUsage, KeySpec: in.KeySpec,
	}
	if spec.KeySpec == "" {
		spec.KeySpec = in.CustomerMasterKeySpec
	}
	spec.Tags = tagPairs(in.Tags)
	k, aerr := c.createKey(spec, "")
	if aerr != nil {
		return nil, aerr
	}
	c.resource = k.arn
	return map[string]any{"KeyMetadata": k.metadata()}, nil
}

// KeySpec describes a key to create (CreateKey's parameters).
type KeySpec struct {
	Description, Policy, Origin         string
	CustomKeyStoreID, XksKeyID          string
	MultiRegion                         bool
	KeyUsage, KeySpec                   string
	Tags                                []tagPair
	cloudHSMClusterID, manager, stateIs string
}

func (c *call) createKey(spec KeySpec, id string) (*kmsKey, *apiError) {
	switch spec.Origin {
	case "":
		spec.Origin = "AWS_KMS"
	case "AWS_KMS", "EXTERNAL":
	case "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE":
		if spec.CustomKeyStoreID == "" {
			return nil, badRequest("CustomKeyStoreNotFoundException", "Origin %s requires a CustomKeyStoreId", spec.Origin)
		}
		if spec.Origin == "EXTERNAL_KEY_STORE" && spec.XksKeyID == "" {
			return nil, badRequest("XksKeyNotFoundException", "Origin EXTERNAL_KEY_STORE requires an XksKeyId")
		}
	default:
		return nil, badRequest("ValidationException", "1 validation error detected: Value '%s' at 'origin' failed to satisfy constraint: Member must satisfy enum value set: [EXTERNAL_KEY_STORE, AWS_KMS, AWS_CLOUDHSM, EXTERNAL]", spec.Origin)
	}
	if spec.CustomKeyStoreID != "" && spec.Origin != "AWS_CLOUDHSM" && spec.Origin != "EXTERNAL_KEY_STORE" {
		return nil, badRequest("ValidationException", "CustomKeyStoreId requires Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE")
	}
	if spec.Policy != "" && !json.Valid([]byte(spec.Policy)) {
		return nil, badRequest("MalformedPolicyDocumentException", "The policy is not valid JSON")
	}
	if len(spec.Description) > 8192 {
		return nil, badRequest("ValidationException", "Description is longer than 8192 characters")
	}
	if aerr := c.checkKeySpec(&spec); aerr != nil {
		return nil, aerr
	}
	for _, t := range spec.Tags {
		if problem := tagProblem(t.Key, t.Value); problem != "" {
			return nil, badRequest("TagException", "%s", problem)
		}
	}
	z := c.w.zone(c.caller.Account, c.region)
	if id == "" {
		id = uuid()
		if spec.MultiRegion {
			id = "mrk-" + strings.ReplaceAll(id, "-", "")
		}
	}
	if _, dup := z.keys[id]; dup {
		return nil, badRequest("AlreadyExistsException", "Key %s already exists", keyARN(c.region, c.caller.Account, id))
	}
	k := c.w.newKey(z, id, c.now)
	k.description, k.origin, k.multiRegion = spec.Description, spec.Origin, spec.MultiRegion
	k.customKeyStoreID, k.xksKeyID, k.cloudHSMClusterID = spec.CustomKeyStoreID, spec.XksKeyID, spec.cloudHSMClusterID
	if spec.Origin == "AWS_CLOUDHSM" && k.cloudHSMClusterID == "" {
		k.cloudHSMClusterID = "cluster-" + strings.ToLower(opaqueID()[:11])
	}
	k.keyUsage, k.keySpec = spec.KeyUsage, spec.KeySpec
	k.policy = spec.Policy
	if k.policy == "" {
		k.policy = DefaultKeyPolicy(c.caller.Account)
	}
	if spec.Origin == "EXTERNAL" {
		k.state = "PendingImport"
	}
	k.tags = spec.Tags
	return k, nil
}

func (c *call) kmsDescribeKey() (any, *apiError) {
	var in keyIDInput
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:DescribeKey", crossAccount: true, autoCreate: true})
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"KeyMetadata": k.metadata()}, nil
}

// pageLimit validates a KMS Limit (1..1000; the default differs by
// operation: ListKeys 100, ListAliases 50).
func pageLimit(limit *int32, def int) (int, *apiError) {
	if limit == nil {
		return def, nil
	}
	if *limit < 1 || *limit > 1000 {
		return 0, badRequest("ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000", *limit)
	}
	return int(*limit), nil
}

func (c *call) kmsListKeys() (any, *apiError) {
	var in struct {
		Limit  *int32 `json:"Limit"`
		Marker string `json:"Marker"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	limit, aerr := pageLimit(in.Limit, 100)
	if aerr != nil {
		return nil, aerr
	}
	start, aerr := decodeMarker(in.Marker)
	if aerr != nil {
		return nil, badRequest("InvalidMarkerException", "Invalid marker")
	}
	type entry struct {
		KeyID  string `json:"KeyId"`
		KeyArn string `json:"KeyArn"`
	}
	out := struct {
		Keys       []entry `json:"Keys"`
		Truncated  bool    `json:"Truncated"`
		NextMarker string  `json:"NextMarker,omitempty"`
	}{Keys: []entry{}}
	z := c.w.peek(c.caller.Account, c.region)
	var keys []*kmsKey
	if z != nil {
		keys = z.keyList
	}
	if start > uint64(len(keys)) {
		return nil, badRequest("InvalidMarkerException", "Invalid marker")
	}
	if z == nil {
		return out, nil
	}
	for i := int(start); i < len(z.keyList); i++ {
		if len(out.Keys) == limit {
			out.Truncated, out.NextMarker = true, encodeMarker(uint64(i))
			break
		}
		k := z.keyList[i]
		if k.unlisted {
			continue
		}
		out.Keys = append(out.Keys, entry{k.id, k.arn})
	}
	return out, nil
}

func (c *call) kmsListAliases() (any, *apiError) {
	var in struct {
		KeyID  string `json:"KeyId"`
		Limit  *int32 `json:"Limit"`
		Marker string `json:"Marker"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	limit, aerr := pageLimit(in.Limit, 50)
	if aerr != nil {
		return nil, aerr
	}
	var only *kmsKey
	if in.KeyID != "" {
		if strings.HasPrefix(in.KeyID, "alias/") || strings.Contains(in.KeyID, ":alias/") {
			return nil, badRequest("InvalidArnException", "KeyId must be a key id or key ARN")
		}
		k, aerr := c.findKey(in.KeyID, keyLookup{action: "kms:ListAliases"})
		if aerr != nil {
			return nil, aerr
		}
		only = k
	}
	start := ""
	if in.Marker != "" {
		raw, err := decodeName(in.Marker)
		if err != nil {
			return nil, badRequest("InvalidMarkerException", "Invalid marker")
		}
		start = raw
	}
	type entry struct {
		AliasArn        string `json:"AliasArn"`
		AliasName       string `json:"AliasName"`
		TargetKeyID     string `json:"TargetKeyId,omitempty"`
		CreationDate    *epoch `json:"CreationDate,omitempty"`
		LastUpdatedDate *epoch `json:"LastUpdatedDate,omitempty"`
	}
	out := struct {
		Aliases    []entry `json:"Aliases"`
		Truncated  bool    `json:"Truncated"`
		NextMarker string  `json:"NextMarker,omitempty"`
	}{Aliases: []entry{}}
	var aliases map[string]*kmsAlias
	if z := c.w.peek(c.caller.Account, c.region); z != nil {
		aliases = z.aliases
	}
	var names []string
	for n, a := range aliases {
		if n >= start && (only == nil || a.target == only) {
			names = append(names, n)
		}
	}
	if only == nil {
		// AWS lists the aliases of AWS-managed keys it has not created
		// yet too, without a TargetKeyId.
		for _, n := range predefinedAliases {
			if _, made := aliases[n]; !made && n >= start {
				names = append(names, n)
			}
		}
	}
	sortStrings(names)
	for _, n := range names {
		if len(out.Aliases) == limit {
			out.Truncated, out.NextMarker = true, encodeName(n)
			break
		}
		a, made := aliases[n]
		if !made {
			out.Aliases = append(out.Aliases, entry{AliasArn: aliasARN(c.region, c.caller.Account, n), AliasName: n})
			continue
		}
		out.Aliases = append(out.Aliases, entry{a.arn, a.name, a.target.id, ts(a.created), ts(a.updated)})
	}
	return out, nil
}

func (c *call) kmsCreateAlias() (any, *apiError) {
	var in struct {
		AliasName   string `json:"AliasName"`
		TargetKeyID string `json:"TargetKeyId"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	if aerr := required("AliasName", in.AliasName); aerr != nil {
		return nil, aerr
	}
	if aerr := required("TargetKeyId", in.TargetKeyID); aerr != nil {
		return nil, aerr
	}
	return nil, c.createAlias(in.AliasName, in.TargetKeyID)
}

func (c *call) createAlias(name, target string) *apiError {
	if !aliasNamePattern.MatchString(name) {
		return badRequest("ValidationException", "Alias must start with the prefix \"alias/\" and contain only letters, digits, /, _ and -")
	}
	if strings.HasPrefix(name, "alias/aws/") {
		// The model's error for a name that may not be used.
		return badRequest("InvalidAliasNameException", "Alias names starting with alias/aws/ are reserved for AWS managed keys")
	}
	k, aerr := c.findKey(target, keyLookup{action: "kms:CreateAlias", customerOnly: true})
	if aerr != nil {
		return aerr
	}
	if k.state == "PendingDeletion" {
		return invalidState(k)
	}
	z := c.w.zone(c.caller.Account, c.region)
	if _, dup := z.aliases[name]; dup {
		return badRequest("AlreadyExistsException", "An alias with the name %s already exists", aliasARN(c.region, c.caller.Account, name))
	}
	z.aliases[name] = &kmsAlias{name: name, arn: aliasARN(c.region, c.caller.Account, name), target: k, created: c.now, updated: c.now}
	return nil
}

func (c *call) kmsDeleteAlias() (any, *apiError) {
	var in struct {
		AliasName string `json:"AliasName"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	if aerr := required("AliasName", in.AliasName); aerr != nil {
		return nil, aerr
	}
	if strings.HasPrefix(in.AliasName, "alias/aws/") {
		// DeleteAlias declares no error for this: it is a denial.
		return nil, c.accessDenied("kms:DeleteAlias", aliasARN(c.region, c.caller.Account, in.AliasName), "because aliases under alias/aws/ belong to AWS managed keys")
	}
	arn := aliasARN(c.region, c.caller.Account, in.AliasName)
	z := c.w.peek(c.caller.Account, c.region)
	if z == nil || z.aliases[in.AliasName] == nil {
		return nil, badRequest("NotFoundException", "Alias %s is not found.", arn)
	}
	if aerr := c.authorize("kms:DeleteAlias", arn); aerr != nil {
		return nil, aerr
	}
	delete(z.aliases, in.AliasName)
	return nil, nil
}

func (c *call) kmsGetKeyPolicy() (any, *apiError) {
	var in struct {
		keyIDInput
		PolicyName string `json:"PolicyName"`
	}
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:GetKeyPolicy"})
	if aerr != nil {
		return nil, aerr
	}
	if in.PolicyName != "" && in.PolicyName != "default" {
		return nil, badRequest("NotFoundException", "No such policy exists: %s", in.PolicyName)
	}
	return map[string]string{"Policy": k.policy, "PolicyName": "default"}, nil
}

func (c *call) kmsPutKeyPolicy() (any, *apiError) {
	var in struct {
		keyIDInput
		PolicyName string `json:"PolicyName"`
		Policy     string `json:"Policy"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	if aerr := required("Policy", in.Policy); aerr != nil {
		return nil, aerr
	}
	k, aerr := c.findKey(in.KeyID, keyLookup{action: "kms:PutKeyPolicy", customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	if in.PolicyName != "" && in.PolicyName != "default" {
		return nil, badRequest("ValidationException", "PolicyName must be default")
	}
	if !json.Valid([]byte(in.Policy)) {
		return nil, badRequest("MalformedPolicyDocumentException", "The policy is not valid JSON")
	}
	if k.state == "PendingDeletion" {
		return nil, invalidState(k)
	}
	k.policy = in.Policy
	return nil, nil
}

func (c *call) kmsGetKeyRotationStatus() (any, *apiError) {
	var in keyIDInput
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:GetKeyRotationStatus", crossAccount: true})
	if aerr != nil {
		return nil, aerr
	}
	if !k.rotates() {
		return nil, badRequest("UnsupportedOperationException", "%s (origin %s, key spec %s) does not support automatic rotation", k.arn, k.origin, k.keySpec)
	}
	// A key pending deletion reports false; cancelling restores its status.
	enabled := k.rotation && k.state != "PendingDeletion"
	out := map[string]any{"KeyRotationEnabled": enabled, "KeyId": k.arn}
	if enabled {
		out["RotationPeriodInDays"] = k.rotationPeriod
		out["NextRotationDate"] = epoch(nextRotation(k.rotationStart, c.now, k.rotationPeriod))
	}
	return out, nil
}

func (c *call) setRotation(action string, enable bool) (any, *apiError) {
	var in struct {
		keyIDInput
		RotationPeriodInDays *int32 `json:"RotationPeriodInDays"`
	}
	k, aerr := c.decodeKey(&in, keyLookup{action: action, customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	if p := in.RotationPeriodInDays; p != nil && (*p < 90 || *p > 2560) {
		return nil, badRequest("ValidationException", "1 validation error detected: Value '%d' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560", *p)
	}
	if !k.rotates() {
		return nil, badRequest("UnsupportedOperationException", "%s (origin %s, key spec %s) does not support automatic rotation", k.arn, k.origin, k.keySpec)
	}
	switch k.state {
	case "Disabled":
		return nil, badRequest("DisabledException", "%s is disabled.", k.arn)
	case "Enabled":
	default:
		return nil, invalidState(k)
	}
	if enable {
		period := int32(defaultRotationPeriod)
		if in.RotationPeriodInDays != nil {
			period = *in.RotationPeriodInDays
		}
		if !k.rotation || period != k.rotationPeriod {
			k.rotationStart = c.now
		}
		k.rotationPeriod = period
	}
	k.rotation = enable
	return nil, nil
}

func (c *call) kmsEnableKeyRotation() (any, *apiError) {
	return c.setRotation("kms:EnableKeyRotation", true)
}

func (c *call) kmsDisableKeyRotation() (any, *apiError) {
	return c.setRotation("kms:DisableKeyRotation", false)
}

func (c *call) setEnabled(action string, enable bool) (any, *apiError) {
	var in keyIDInput
	k, aerr := c.decodeKey(&in, keyLookup{action: action, customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	switch k.state {
	case "Enabled", "Disabled":
	default:
		return nil, invalidState(k)
	}
	if enable {
		k.state = "Enabled"
	} else {
		k.state = "Disabled"
	}
	return nil, nil
}

func (c *call) kmsEnableKey() (any, *apiError)  { return c.setEnabled("kms:EnableKey", true) }
func (c *call) kmsDisableKey() (any, *apiError) { return c.setEnabled("kms:DisableKey", false) }

func (c *call) kmsScheduleKeyDeletion() (any, *apiError) {
	var in struct {
		keyIDInput
		PendingWindowInDays *int32 `json:"PendingWindowInDays"`
	}
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:ScheduleKeyDeletion", customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	days := int32(30)
	if in.PendingWindowInDays != nil {
		days = *in.PendingWindowInDays
		if days < 7 || days > 30 {
			return nil, badRequest("ValidationException", "1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30", days)
		}
	}
	if k.state == "PendingDeletion" {
		return nil, invalidState(k)
	}
	k.scheduleDeletion(c.now, days)
	return map[string]any{"KeyId": k.arn, "DeletionDate": ts(k.deletionDate), "KeyState": k.state, "PendingWindowInDays": days}, nil
}

func (k *kmsKey) scheduleDeletion(now time.Time, days int32) {
	k.state = "PendingDeletion"
	k.pendingWindow = days
	k.deletionDate = now.Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
}

func (c *call) kmsCancelKeyDeletion() (any, *apiError) {
	var in keyIDInput
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:CancelKeyDeletion", customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	if k.state != "PendingDeletion" {
		return nil, invalidState(k)
	}
	k.state, k.deletionDate, k.pendingWindow = "Disabled", time.Time{}, 0
	return map[string]string{"KeyId": k.arn}, nil
}

func (c *call) kmsTagResource() (any, *apiError) {
	var in struct {
		keyIDInput
		Tags []kmsTag `json:"Tags"`
	}
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:TagResource", customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	if k.state == "PendingDeletion" {
		return nil, invalidState(k)
	}
	tags, aerr := withTags(k.tags, tagPairs(in.Tags), func(_, problem string) *apiError {
		return badRequest("TagException", "%s", problem)
	})
	if aerr != nil {
		return nil, aerr
	}
	k.tags = tags
	return nil, nil
}

func (c *call) kmsUntagResource() (any, *apiError) {
	var in struct {
		keyIDInput
		TagKeys []string `json:"TagKeys"`
	}
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:UntagResource", customerOnly: true})
	if aerr != nil {
		return nil, aerr
	}
	k.tags = removeTags(k.tags, in.TagKeys)
	return nil, nil
}

func (c *call) kmsListResourceTags() (any, *apiError) {
	var in struct {
		keyIDInput
		Limit  *int32 `json:"Limit"`
		Marker string `json:"Marker"`
	}
	k, aerr := c.decodeKey(&in, keyLookup{action: "kms:ListResourceTags"})
	if aerr != nil {
		return nil, aerr
	}
	limit, aerr := pageLimit(in.Limit, 50)
	if aerr != nil {
		return nil, aerr
	}
	start, aerr := decodeMarker(in.Marker)
	if aerr != nil || start > uint64(len(k.tags)) {
		return nil, badRequest("InvalidMarkerException", "Invalid marker")
	}
	tags := make([]kmsTag, 0, min(limit, len(k.tags)))
	out := map[string]any{"Truncated": false}
	for i := int(start); i < len(k.tags); i++ {
		if len(tags) == limit {
			out["Truncated"], out["NextMarker"] = true, encodeMarker(uint64(i))
			break
		}
		tags = append(tags, kmsTag{k.tags[i].Key, k.tags[i].Value})
	}
	out["Tags"] = tags
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortStrings(s []string) { slices.Sort(s) }

func encodeName(n string) string { return encodeMarkerString("name:" + n) }

func decodeName(m string) (string, error) {
	raw, err := decodeMarkerString(m)
	if err != nil {
		return "", err
	}
	n, ok := strings.CutPrefix(raw, "name:")
	if !ok {
		return "", errBadMarker
	}
	return n, nil
}
