package remediate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/cmkguard/cmkguard/internal/decode"
)

// PlanVersion is the version of the plan file format. Apply refuses any
// other version rather than guess what an older or newer plan meant.
const PlanVersion = "cmkguard.remediate/v1"

// TagPlanID is the tag cmkguard puts on every key and instance it creates,
// with the plan id as value, so that a resumed run finds them again instead
// of creating a second one.
const TagPlanID = "cmkguard:plan-id"

// Plan is a reviewable, versioned description of a remediation. Digest
// covers everything else, so that a plan edited after it was made is refused.
type Plan struct {
	Version   string   `json:"version"`
	ID        string   `json:"id"`
	CreatedAt string   `json:"createdAt"` // RFC 3339, UTC
	Tool      string   `json:"tool"`
	Account   string   `json:"account"`
	Regions   []string `json:"regions"`
	Source    Source   `json:"source"`
	Options   Options  `json:"options"`

	Keys         []KeyPlan     `json:"keys"`
	Replacements []Replacement `json:"replacements"`
	Configs      []ConfigPlan  `json:"replicationConfigs,omitempty"`
	Steps        []Step        `json:"steps"`
	// Notes are things a reviewer must know (e.g. findings skipped and why).
	Notes []string `json:"notes,omitempty"`

	Digest string `json:"digest"`
	// Signature, when set, is an HMAC-SHA256 of Digest under a key the
	// user holds (--sign-key). The digest alone detects accidental changes
	// only: whoever can edit the plan can recompute it. The signature
	// cannot be recomputed without the key.
	Signature string `json:"signature,omitempty"`
}

// Source records the audit a plan came from.
type Source struct {
	// Kind is "report" (a saved `audit --format json`) or "live" (an audit run
	// by remediate itself).
	Kind string `json:"kind"`
	// File is the report's path, for Kind "report".
	File string `json:"file,omitempty"`
	// SHA256 is the report file's digest, for Kind "report".
	SHA256 string `json:"sha256,omitempty"`
	// GeneratedAt is the audit's own timestamp.
	GeneratedAt string `json:"generatedAt,omitempty"`
	// Findings counts the FAIL findings of the rule the plan remediates.
	Findings int `json:"findings"`
}

// Options are the choices the plan was made with.
type Options struct {
	NameTemplate   string `json:"nameTemplate"`
	DeleteOld      bool   `json:"deleteOld"`
	KeepIdentifier bool   `json:"keepIdentifier"`
	// RecreateStartedConfigs is the consent to re-create DMS Serverless
	// configs that have already started (they cannot be modified).
	RecreateStartedConfigs bool `json:"recreateStartedConfigs,omitempty"`
}

// KeyMode says whether a plan uses an existing key or creates one.
type KeyMode string

// Key modes.
const (
	KeyExisting KeyMode = "existing"
	KeyCreate   KeyMode = "create"
)

// KeyPlan is the customer-managed key used in one region.
type KeyPlan struct {
	Region string  `json:"region"`
	Mode   KeyMode `json:"mode"`
	// ARN is the key's ARN for an existing key; empty for a key to create
	// (Apply learns it and journals it).
	ARN string `json:"arn,omitempty"`
	// Alias is the alias to create with a new key (alias/...), or the alias
	// an existing key was named by.
	Alias       string `json:"alias,omitempty"`
	Description string `json:"description,omitempty"`
	// Policy is the key policy of a key to create, as JSON.
	Policy string `json:"policy,omitempty"`
}

// InstanceSettings are every setting of a replication instance that a
// replacement copies.
type InstanceSettings struct {
	Class                      string            `json:"class"`
	AllocatedStorage           int32             `json:"allocatedStorage"`
	EngineVersion              string            `json:"engineVersion"`
	VPCSecurityGroupIDs        []string          `json:"vpcSecurityGroupIds,omitempty"`
	SubnetGroupID              string            `json:"subnetGroupId,omitempty"`
	AvailabilityZone           string            `json:"availabilityZone,omitempty"`
	MultiAZ                    bool              `json:"multiAZ"`
	PubliclyAccessible         bool              `json:"publiclyAccessible"`
	AutoMinorVersionUpgrade    bool              `json:"autoMinorVersionUpgrade"`
	PreferredMaintenanceWindow string            `json:"preferredMaintenanceWindow,omitempty"`
	NetworkType                string            `json:"networkType,omitempty"`
	DNSNameServers             string            `json:"dnsNameServers,omitempty"`
	Kerberos                   *Kerberos         `json:"kerberos,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`
}

// Kerberos are an instance's Kerberos authentication settings. They name
// a secret; they never hold one.
type Kerberos struct {
	KeyCacheSecretIAMARN string `json:"keyCacheSecretIamArn,omitempty"`
	KeyCacheSecretID     string `json:"keyCacheSecretId,omitempty"`
	Krb5FileContents     string `json:"krb5FileContents,omitempty"`
}

// Instance is a replication instance as described when the plan was made.
type Instance struct {
	ARN      string           `json:"arn"`
	ID       string           `json:"id"`
	Status   string           `json:"status"`
	KeyARN   string           `json:"keyArn"`
	Settings InstanceSettings `json:"settings"`
}

// Task is a replication task on an instance being replaced.
type Task struct {
	ARN string `json:"arn"`
	ID  string `json:"id"`
	// Status is the task's status when the plan was made; Apply re-reads it
	// and restarts the task only if it was running when Apply stopped it.
	Status string `json:"status"`
}

// Replacement replaces one instance.
type Replacement struct {
	Region string   `json:"region"`
	Old    Instance `json:"old"`
	// NewID is the replacement's identifier while both exist.
	NewID string `json:"newId"`
	// New are the replacement's settings: Old's, with EngineVersion perhaps later.
	New   InstanceSettings `json:"new"`
	Tasks []Task           `json:"tasks"`
	// FinalID is the identifier the replacement ends with (Old.ID with
	// --keep-identifier, else NewID).
	FinalID string `json:"finalId"`
}

// ConfigAction is what happens to a DMS Serverless replication config.
type ConfigAction string

// Config actions.
const (
	// ConfigModify: never started, so its ComputeConfig.KmsKeyId can be changed.
	ConfigModify ConfigAction = "modify"
	// ConfigRecreate: started, so it must be re-created; done only with consent.
	ConfigRecreate ConfigAction = "recreate"
)

// ConfigPlan is what happens to one DMS Serverless replication config.
type ConfigPlan struct {
	Region string       `json:"region"`
	Old    Config       `json:"old"`
	Action ConfigAction `json:"action"`
	// Consent is true when the plan may act: always for modify; for
	// recreate, only with --recreate-started-configs.
	Consent bool `json:"consent"`
	// NewID is the re-created config's identifier while both exist (recreate).
	NewID string `json:"newId,omitempty"`
	// FinalID is the identifier the config ends with.
	FinalID string `json:"finalId"`
}

// Config is a DMS Serverless replication config as described when the plan
// was made: everything a re-creation copies.
type Config struct {
	ARN                  string            `json:"arn"`
	ID                   string            `json:"id"`
	KeyARN               string            `json:"keyArn"`
	ReplicationStatus    string            `json:"replicationStatus,omitempty"`
	Started              bool              `json:"started"`
	SourceEndpointARN    string            `json:"sourceEndpointArn"`
	TargetEndpointARN    string            `json:"targetEndpointArn"`
	ReplicationType      string            `json:"replicationType"`
	TableMappings        string            `json:"tableMappings,omitempty"`
	ReplicationSettings  string            `json:"replicationSettings,omitempty"`
	SupplementalSettings string            `json:"supplementalSettings,omitempty"`
	Compute              ComputeSettings   `json:"compute"`
	Tags                 map[string]string `json:"tags,omitempty"`
}

// ComputeSettings are a serverless config's ComputeConfig, without its key.
type ComputeSettings struct {
	AvailabilityZone           string   `json:"availabilityZone,omitempty"`
	DNSNameServers             string   `json:"dnsNameServers,omitempty"`
	MaxCapacityUnits           int32    `json:"maxCapacityUnits,omitempty"`
	MinCapacityUnits           int32    `json:"minCapacityUnits,omitempty"`
	MultiAZ                    bool     `json:"multiAZ"`
	PreferredMaintenanceWindow string   `json:"preferredMaintenanceWindow,omitempty"`
	SubnetGroupID              string   `json:"subnetGroupId,omitempty"`
	VPCSecurityGroupIDs        []string `json:"vpcSecurityGroupIds,omitempty"`
}

// StepKind names what a step does.
type StepKind string

// Step kinds, in the order they run for one instance.
const (
	StepEnsureKey      StepKind = "ensure-key"      // check an existing key, or create key + alias
	StepCreateInstance StepKind = "create-instance" // create the replacement, wait until available
	StepVerifyKey      StepKind = "verify-key"      // DescribeKey on the replacement's key: the chosen customer key
	StepStopTask       StepKind = "stop-task"       // stop the task if it is running
	StepMoveTask       StepKind = "move-task"       // MoveReplicationTask, wait, verify it is on the replacement
	StepStartTask      StepKind = "start-task"      // resume-processing, if it was running before the stop
	StepDeleteOld      StepKind = "delete-instance" // delete the old instance once nothing is attached
	StepRename         StepKind = "rename-instance" // give the replacement the old identifier

	StepModifyConfig StepKind = "modify-config" // point a never-started serverless config at the customer key
	StepStopConfig   StepKind = "stop-config"   // stop a started config's replication if it is running
	StepCreateConfig StepKind = "create-config" // re-create a started config with the customer key (not started)
	StepDeleteConfig StepKind = "delete-config" // delete the started config once its copy exists
	StepRenameConfig StepKind = "rename-config" // give the copy the old identifier
)

// Step is one journaled unit of work. Replacement and Task index into the
// plan's Replacements and that replacement's Tasks, Config into its Configs
// (-1 when not relevant).
type Step struct {
	ID          string   `json:"id"`
	Kind        StepKind `json:"kind"`
	Region      string   `json:"region"`
	Replacement int      `json:"replacement"`
	Task        int      `json:"task"`
	Config      int      `json:"config"`
	Description string   `json:"description"`
}

// ComputeDigest returns the plan's digest: SHA-256 of its JSON with Digest
// and Signature empty.
func (p *Plan) ComputeDigest() (string, error) {
	c := *p
	c.Digest = ""
	c.Signature = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("encode plan: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Seal sets the plan's digest.
func (p *Plan) Seal() error {
	d, err := p.ComputeDigest()
	if err != nil {
		return err
	}
	p.Digest = d
	return nil
}

// signaturePrefix names the signature's algorithm.
const signaturePrefix = "hmac-sha256:"

// MinSignKeyBytes is the shortest signing key accepted.
const MinSignKeyBytes = 32

// Sign seals the plan and signs its digest with key (HMAC-SHA256).
func (p *Plan) Sign(key []byte) error {
	if len(key) < MinSignKeyBytes {
		return fmt.Errorf("the signing key has %d bytes; use at least %d random bytes (e.g. head -c 32 /dev/urandom > plan.key)", len(key), MinSignKeyBytes)
	}
	if err := p.Seal(); err != nil {
		return err
	}
	p.Signature = signaturePrefix + hex.EncodeToString(planMAC(key, p.Digest))
	return nil
}

// ErrUnsigned says a plan carries no signature, though one was expected.
var ErrUnsigned = errors.New("the plan is not signed, but a signing key was given: make the plan with --sign-key, or apply it without")

// ErrSigned says a plan is signed but no key was given to verify it.
var ErrSigned = errors.New("the plan is signed: pass the same --sign-key to verify it before it is applied")

// ErrBadSignature says a signed plan's signature does not match.
var ErrBadSignature = errors.New("the plan's signature does not match (the plan was changed, or signed with another key); make a new plan")

// VerifySignature checks a plan's signature with key. A nil key accepts
// only an unsigned plan; a key accepts only a plan it signed.
func (p *Plan) VerifySignature(key []byte) error {
	switch {
	case key == nil && p.Signature == "":
		return nil
	case key == nil:
		return ErrSigned
	case p.Signature == "":
		return ErrUnsigned
	}
	got, err := hex.DecodeString(strings.TrimPrefix(p.Signature, signaturePrefix))
	if err != nil || !strings.HasPrefix(p.Signature, signaturePrefix) || !hmac.Equal(got, planMAC(key, p.Digest)) {
		return ErrBadSignature
	}
	return nil
}

func planMAC(key []byte, digest string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("cmkguard plan digest\n" + digest))
	return m.Sum(nil)
}

// Write writes the plan as indented JSON.
func (p *Plan) Write(w io.Writer) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ErrTampered says a plan's content does not match its digest. The digest
// catches accidents (a truncated copy, a hand edit that forgot to re-seal);
// it is not proof against tampering, which a signature is.
var ErrTampered = errors.New("plan was modified after it was made (digest mismatch); make a new plan")

// ReadPlan reads, checks and validates a plan.
func ReadPlan(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := decode.JSON(data, &p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("read plan: version %q is not supported (want %q)", p.Version, PlanVersion)
	}
	d, err := p.ComputeDigest()
	if err != nil {
		return nil, err
	}
	if p.Digest != d {
		return nil, ErrTampered
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// LoadPlan reads a plan from a file.
func LoadPlan(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open plan: %w", err)
	}
	defer f.Close()
	p, err := ReadPlan(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Validate checks that a plan is internally consistent: every step points at
// something that exists, every ARN names the plan's account and the step's
// region, every region has one key.
func (p *Plan) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !accountRE.MatchString(p.Account) {
		add("account %q is not an AWS account id", p.Account)
	}
	if !planIDRE.MatchString(p.ID) {
		add("plan id %q is not letters, digits, '.', '_' or '-'", p.ID)
	}
	regions := map[string]bool{}
	for _, r := range p.Regions {
		if !regionRE.MatchString(r) {
			add("region %q is not an AWS region name", r)
		}
		regions[r] = true
	}
	keys := map[string]bool{}
	for _, k := range p.Keys {
		if !regions[k.Region] {
			add("key for region %s, which the plan does not cover", k.Region)
		}
		if keys[k.Region] {
			add("two keys for region %s", k.Region)
		}
		keys[k.Region] = true
		switch k.Mode {
		case KeyExisting:
			if a, err := ParseARN(k.ARN); err != nil || a.Region != k.Region || a.Service != "kms" {
				add("key %q is not a KMS key ARN in %s", k.ARN, k.Region)
			}
		case KeyCreate:
			if !strings.HasPrefix(k.Alias, "alias/") || k.Policy == "" {
				add("key to create in %s needs an alias and a policy", k.Region)
			}
		default:
			add("key mode %q is unknown", k.Mode)
		}
	}
	for i, r := range p.Replacements {
		a, err := ParseARN(r.Old.ARN)
		if err != nil || a.Region != r.Region || a.Account != p.Account || a.Service != "dms" {
			add("replacement %d: instance %q is not a DMS ARN in account %s, region %s", i, r.Old.ARN, p.Account, r.Region)
		}
		if !keys[r.Region] {
			add("replacement %d: no key for region %s", i, r.Region)
		}
		if err := ValidateIdentifier(r.NewID); err != nil {
			add("replacement %d: %v", i, err)
		}
		if c := compareEngine(r.New.EngineVersion, r.Old.Settings.EngineVersion); c < 0 {
			add("replacement %d: engine %s is older than the instance's %s", i, r.New.EngineVersion, r.Old.Settings.EngineVersion)
		}
	}
	for i, c := range p.Configs {
		a, err := ParseARN(c.Old.ARN)
		if err != nil || a.Region != c.Region || a.Account != p.Account || a.Service != "dms" {
			add("config %d: %q is not a DMS ARN in account %s, region %s", i, c.Old.ARN, p.Account, c.Region)
		}
		if c.Consent && !keys[c.Region] {
			add("config %d: no key for region %s", i, c.Region)
		}
	}
	seen := map[string]bool{}
	for i, s := range p.Steps {
		if seen[s.ID] || s.ID == "" {
			add("step %d: id %q is empty or repeated", i, s.ID)
		}
		seen[s.ID] = true
		if !regions[s.Region] {
			add("step %s: region %s is not in the plan", s.ID, s.Region)
		}
		switch s.Kind {
		case StepEnsureKey:
		case StepCreateInstance, StepVerifyKey, StepDeleteOld, StepRename:
			if s.Replacement < 0 || s.Replacement >= len(p.Replacements) {
				add("step %s: no replacement %d", s.ID, s.Replacement)
			}
		case StepStopTask, StepMoveTask, StepStartTask:
			if s.Replacement < 0 || s.Replacement >= len(p.Replacements) || s.Task < 0 || s.Task >= len(p.Replacements[s.Replacement].Tasks) {
				add("step %s: no task %d of replacement %d", s.ID, s.Task, s.Replacement)
			}
		case StepModifyConfig, StepStopConfig, StepCreateConfig, StepDeleteConfig, StepRenameConfig:
			if s.Config < 0 || s.Config >= len(p.Configs) || !p.Configs[s.Config].Consent {
				add("step %s: no config %d the plan may act on", s.ID, s.Config)
			}
		default:
			add("step %s: kind %q is unknown", s.ID, s.Kind)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("invalid plan: %s", strings.Join(problems, "; "))
	}
	return nil
}

// KeyFor returns the key plan for a region.
func (p *Plan) KeyFor(region string) (KeyPlan, bool) {
	for _, k := range p.Keys {
		if k.Region == region {
			return k, true
		}
	}
	return KeyPlan{}, false
}
