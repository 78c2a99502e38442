package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/state"
)

// writeTree writes files (path → content) under a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scanTree scans every directory of dir holding .tf files.
func scanTree(t *testing.T, dir string, opts Options) *Result {
	t.Helper()
	seen := map[string]bool{}
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if !d.IsDir() && isConfigFile(d.Name()) && !seen[filepath.Dir(path)] {
			seen[filepath.Dir(path)] = true
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Scan(dir, dirs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// keyOf returns the key and source of the resource at address, any kind.
func keyOf(res *Result, address string) (state.Key, string, state.Source, bool) {
	for _, i := range res.State.Instances {
		if i.Source.Address == address {
			return i.Key, i.KeyRef, i.Source, true
		}
	}
	for _, c := range res.State.ReplicationConfigs {
		if c.Source.Address == address {
			return c.Key, c.KeyRef, c.Source, true
		}
	}
	for _, e := range res.State.Endpoints {
		if e.Source.Address == address {
			return e.Key, e.KeyRef, e.Source, true
		}
	}
	return state.Key{}, "", state.Source{}, false
}

func addresses(res *Result) []string {
	var out []string
	for _, i := range res.State.Instances {
		out = append(out, i.Source.Address)
	}
	for _, c := range res.State.ReplicationConfigs {
		out = append(out, c.Source.Address)
	}
	for _, e := range res.State.Endpoints {
		out = append(out, e.Source.Address)
	}
	return out
}

// verdict is the key facts a case expects.
type verdict struct {
	manager  state.KeyManager // "" means unresolved
	keyState string
	reason   string // a substring of UnknownReason
}

func checkKey(t *testing.T, res *Result, address string, want verdict) {
	t.Helper()
	k, _, _, ok := keyOf(res, address)
	if !ok {
		t.Fatalf("no resource %s; have %v; problems %v", address, addresses(res), res.Problems)
	}
	if want.manager == "" {
		if k.Resolved {
			t.Fatalf("%s: key resolved as %s, want unresolved (%q)", address, k.Manager, want.reason)
		}
		if !strings.Contains(k.UnknownReason, want.reason) {
			t.Fatalf("%s: unknown reason %q, want it to say %q", address, k.UnknownReason, want.reason)
		}
		return
	}
	if !k.Resolved || k.Manager != want.manager || k.Evidence != state.EvidenceDeclared {
		t.Fatalf("%s: key %+v, want resolved %s with evidence declared", address, k, want.manager)
	}
	if k.State != want.keyState {
		t.Fatalf("%s: key state %q, want %q", address, k.State, want.keyState)
	}
}

const provider = `provider "aws" { region = "eu-west-1" }
`

// TestKeyValues has one case per kind of value a key argument can hold, in
// the defsec manner: "configured" (a value decides) and "defaults" (the
// argument or its variable is left to its default).
func TestKeyValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tf   string
		want verdict
	}{
		{"defaults: kms_key_arn absent means aws/dms", `resource "aws_dms_replication_instance" "x" {}`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"defaults: a variable defaulting to null means aws/dms", `variable "k" { default = null }
resource "aws_dms_replication_instance" "x" { kms_key_arn = var.k }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: an empty string means aws/dms", `resource "aws_dms_replication_instance" "x" { kms_key_arn = "" }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: alias/aws/dms", `resource "aws_dms_replication_instance" "x" { kms_key_arn = "alias/aws/dms" }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: any alias/aws/* alias ARN", `resource "aws_dms_replication_instance" "x" { kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:alias/aws/rds" }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: a data.aws_kms_alias named alias/aws/dms", `data "aws_kms_alias" "d" { name = "alias/aws/dms" }
resource "aws_dms_replication_instance" "x" { kms_key_arn = data.aws_kms_alias.d.target_key_arn }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: a data.aws_kms_key whose key_id is alias/aws/dms", `data "aws_kms_key" "d" { key_id = "alias/aws/dms" }
resource "aws_dms_replication_instance" "x" { kms_key_arn = data.aws_kms_key.d.arn }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: an aws_kms_key of the configuration", `resource "aws_kms_key" "k" {}
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_key.k.arn }`, verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"}},
		{"configured: a disabled aws_kms_key", `resource "aws_kms_key" "k" { is_enabled = false }
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_key.k.arn }`, verdict{manager: state.KeyManagerCustomer, keyState: "Disabled"}},
		{"configured: an aws_kms_replica_key", `resource "aws_kms_replica_key" "k" { primary_key_arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234" }
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_replica_key.k.arn }`, verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"}},
		{"configured: an aws_kms_external_key without key material is pending import", `resource "aws_kms_external_key" "k" {}
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_external_key.k.arn }`, verdict{manager: state.KeyManagerCustomer, keyState: "PendingImport"}},
		{"configured: an aws_kms_alias of the configuration, with its key's state", `resource "aws_kms_key" "k" { is_enabled = false }
resource "aws_kms_alias" "a" {
  name          = "alias/dms"
  target_key_id = aws_kms_key.k.key_id
}
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_alias.a.arn }`, verdict{manager: state.KeyManagerCustomer, keyState: "Disabled"}},
		{"configured: a data alias naming a customer alias", `data "aws_kms_alias" "d" { name = "alias/team-dms" }
resource "aws_dms_replication_instance" "x" { kms_key_arn = data.aws_kms_alias.d.target_key_arn }`, verdict{manager: state.KeyManagerCustomer}},
		{"configured: a literal key ARN", `resource "aws_dms_replication_instance" "x" { kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }`, verdict{manager: state.KeyManagerCustomer}},
		{"configured: a literal key id", `resource "aws_dms_replication_instance" "x" { kms_key_arn = "1234abcd-12ab-34cd-56ef-1234567890ab" }`, verdict{manager: state.KeyManagerCustomer}},
		{"configured: a variable without a value is unknown", `variable "k" { type = string }
resource "aws_dms_replication_instance" "x" { kms_key_arn = var.k }`, verdict{reason: "var.k has no value: pass --var"}},
		{"configured: an undeclared resource type with a dash is one reference", `resource "aws_dms_replication_instance" "x" { kms_key_arn = aws-kms_key.pike.arn }`, verdict{reason: "aws-kms_key.pike is not declared"}},
		{"configured: a misspelt key name is unknown", `resource "aws_kms_key" "k" {}
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_kms_key.kk.arn }`, verdict{reason: "aws_kms_key.kk is not declared"}},
		{"configured: remote state is unknown", `data "terraform_remote_state" "r" { backend = "s3" }
resource "aws_dms_replication_instance" "x" { kms_key_arn = data.terraform_remote_state.r.outputs.key }`, verdict{reason: "remote state"}},
		{"configured: another resource's attribute is known only after apply", `resource "aws_ssm_parameter" "p" {}
resource "aws_dms_replication_instance" "x" { kms_key_arn = aws_ssm_parameter.p.value }`, verdict{reason: "aws_ssm_parameter.p is known only after apply"}},
		{"configured: a key ARN of another partition is malformed for the resource", `resource "aws_dms_replication_instance" "x" { kms_key_arn = "arn:aws-cn:kms:cn-north-1:111122223333:key/1234" }`, verdict{reason: "partition"}},
		{"configured: try falls back to the default", `variable "k" { default = null }
resource "aws_dms_replication_instance" "x" { kms_key_arn = try(var.k, "") }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: coalesce picks the declared key", `resource "aws_kms_key" "k" {}
variable "k" { default = null }
resource "aws_dms_replication_instance" "x" { kms_key_arn = coalesce(var.k, aws_kms_key.k.arn) }`, verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"}},
		{"configured: a conditional on a variable default", `resource "aws_kms_key" "k" { count = var.create ? 1 : 0 }
variable "create" { default = true }
resource "aws_dms_replication_instance" "x" { kms_key_arn = var.create ? aws_kms_key.k[0].arn : "alias/aws/dms" }`, verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"}},
		{"configured: a key with no instances is not a key", `resource "aws_kms_key" "k" { count = 0 }
resource "aws_dms_replication_instance" "x" { kms_key_arn = one(aws_kms_key.k[*].arn) }`, verdict{reason: "no instances"}},
		{"configured: locals, merge, lookup and format", `locals {
  keys = merge({ dms = "alias/aws/dms" }, { other = "x" })
  name = format("alias/%s", "aws/dms")
}
resource "aws_dms_replication_instance" "x" { kms_key_arn = lookup(local.keys, "dms", local.name) }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: jsonencode and concat evaluate", `locals { l = concat(["alias/aws/dms"], [jsonencode({})]) }
resource "aws_dms_replication_instance" "x" { kms_key_arn = local.l[0] }`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"}},
		{"configured: a local that refers to itself is unknown, not a hang", `locals { a = local.a }
resource "aws_dms_replication_instance" "x" { kms_key_arn = local.a }`, verdict{reason: "refers to itself"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + tt.tf}), Options{})
			checkKey(t, res, "aws_dms_replication_instance.x", tt.want)
		})
	}
}

func TestLinesAreThoseOfTheDecidingArgumentOrTheBlock(t *testing.T) {
	t.Parallel()
	res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + `
resource "aws_dms_replication_instance" "absent" {
  replication_instance_id = "a"
}

resource "aws_dms_replication_instance" "set" {
  replication_instance_id = "b"
  kms_key_arn = (
    "alias/aws/dms"
  )
}
`}), Options{})
	tests := []struct {
		address    string
		start, end int
	}{
		{"aws_dms_replication_instance.absent", 3, 5},
		{"aws_dms_replication_instance.set", 9, 11},
	}
	for _, tt := range tests {
		_, _, src, ok := keyOf(res, tt.address)
		if !ok || src.StartLine != tt.start || src.EndLine != tt.end || src.File != "main.tf" {
			t.Errorf("%s: source %+v, want main.tf lines %d-%d", tt.address, src, tt.start, tt.end)
		}
	}
}

func TestCountAndForEachYieldOneResourcePerInstance(t *testing.T) {
	t.Parallel()
	res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + `
variable "unknown_list" { type = list(string) }
resource "aws_dms_replication_instance" "counted" { count = 2 }
resource "aws_dms_replication_instance" "none" { count = 0 }
resource "aws_dms_endpoint" "each" {
  for_each      = { pg = "source", lake = "target" }
  endpoint_type = each.value
  endpoint_id   = each.key
}
resource "aws_dms_endpoint" "empty" { for_each = {} }
resource "aws_dms_endpoint" "set" { for_each = toset(["a"]) }
resource "aws_dms_endpoint" "unknown" {
  for_each = toset(var.unknown_list)
  kms_key_arn = each.value
}
`}), Options{})
	got := strings.Join(addresses(res), " ")
	want := `aws_dms_replication_instance.counted[0] aws_dms_replication_instance.counted[1] aws_dms_endpoint.each["lake"] aws_dms_endpoint.each["pg"] aws_dms_endpoint.set["a"] aws_dms_endpoint.unknown[*]`
	if got != want {
		t.Fatalf("addresses\n got %s\nwant %s", got, want)
	}
	checkKey(t, res, "aws_dms_endpoint.unknown[*]", verdict{reason: "var.unknown_list has no value"})
}

func TestDynamicBlocksAreExpanded(t *testing.T) {
	t.Parallel()
	res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + `
resource "aws_kms_key" "k" {}
locals { configs = [{ key = aws_kms_key.k.arn }] }
resource "aws_dms_replication_config" "x" {
  dynamic "compute_config" {
    for_each = local.configs
    content {
      kms_key_id = compute_config.value.key
    }
  }
}
resource "aws_dms_endpoint" "t" {
  endpoint_type = "target"
  engine_name   = "s3"
  dynamic "s3_settings" {
    for_each = [1]
    iterator = s
    content {
      encryption_mode = "SSE_KMS"
      server_side_encryption_kms_key_id = "alias/aws/s3"
    }
  }
}
`}), Options{})
	checkKey(t, res, "aws_dms_replication_config.x", verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"})
	e := res.State.Endpoints[0]
	if e.TargetEncryptionMode != "SSE_KMS" || e.TargetKey.Manager != state.KeyManagerAWS {
		t.Fatalf("target %q key %+v, want SSE_KMS with the AWS-managed aws/s3", e.TargetEncryptionMode, e.TargetKey)
	}
}

func TestTargetEncryptionMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tf, mode string
		manager        state.KeyManager
	}{
		{"defaults: an S3 target without settings writes with SSE_S3", `resource "aws_dms_endpoint" "t" {
  endpoint_type = "target"
  engine_name   = "s3"
}`, "SSE_S3", ""},
		{"configured: a key with SSE_S3 is ignored by DMS", `resource "aws_dms_s3_endpoint" "t" {
  endpoint_type = "target"
  encryption_mode = "SSE_S3"
  server_side_encryption_kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/1234"
}`, "SSE_S3", ""},
		{"configured: extra connection attributes set SSE_S3", `resource "aws_dms_endpoint" "t" {
  endpoint_type = "target"
  engine_name   = "s3"
  extra_connection_attributes = "bucketFolder=x;encryptionMode=SSE_S3"
}`, "SSE_S3", ""},
		{"configured: a Redshift target with SSE_KMS and a declared key", `resource "aws_kms_key" "k" {}
resource "aws_dms_endpoint" "t" {
  endpoint_type = "target"
  engine_name   = "redshift"
  redshift_settings {
    encryption_mode = "SSE_KMS"
    server_side_encryption_kms_key_id = aws_kms_key.k.arn
  }
}`, "SSE_KMS", state.KeyManagerCustomer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + tt.tf}), Options{})
			if len(res.State.Endpoints) != 1 {
				t.Fatalf("endpoints: %+v", res.State.Endpoints)
			}
			e := res.State.Endpoints[0]
			if e.TargetEncryptionMode != tt.mode || (tt.manager != "" && e.TargetKey.Manager != tt.manager) {
				t.Fatalf("mode %q key %+v, want %s %s", e.TargetEncryptionMode, e.TargetKey, tt.mode, tt.manager)
			}
		})
	}
}

func TestVariablePrecedenceIsTerraforms(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": provider + `
variable "a" { default = "alias/from-default" }
variable "b" { default = "alias/from-default" }
variable "c" { default = "alias/from-default" }
variable "d" { default = "alias/from-default" }
variable "e" { default = "alias/from-default" }
resource "aws_dms_replication_instance" "a" { kms_key_arn = var.a }
resource "aws_dms_replication_instance" "b" { kms_key_arn = var.b }
resource "aws_dms_replication_instance" "c" { kms_key_arn = var.c }
resource "aws_dms_replication_instance" "d" { kms_key_arn = var.d }
resource "aws_dms_replication_instance" "e" { kms_key_arn = var.e }
`,
		"terraform.tfvars":    "a = \"alias/aws/tfvars\"\nb = \"alias/aws/tfvars\"\nc = \"alias/aws/tfvars\"\n",
		"b.auto.tfvars":       "b = \"alias/aws/b-auto\"\nc = \"alias/aws/b-auto\"\n",
		"a.auto.tfvars.json":  `{"b": "alias/aws/a-auto", "c": "alias/aws/a-auto"}`,
		"extra/cli.tfvars":    "c = \"alias/aws/var-file\"\n",
		"extra/ignored.notes": "",
	})
	res := scanTree(t, dir, Options{
		Env:  []string{"TF_VAR_a=alias/aws/env", "TF_VAR_e=alias/aws/env", "PATH=/bin"},
		Vars: []VarArg{{File: filepath.Join(dir, "extra/cli.tfvars")}, {Name: "d", Value: "alias/aws/var"}},
	})
	want := map[string]string{
		"a": "alias/aws/tfvars", // terraform.tfvars beats the environment
		"b": "alias/aws/b-auto", // *.auto.tfvars in lexical order: b after a
		"c": "alias/aws/var-file",
		"d": "alias/aws/var",
		"e": "alias/aws/env",
	}
	for name, ref := range want {
		_, got, _, _ := keyOf(res, "aws_dms_replication_instance."+name)
		if got != ref {
			t.Errorf("var.%s = %q, want %q", name, got, ref)
		}
	}
}

func TestModulesTakeTheirCallersInputsToAnyDepth(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"modules/dms/main.tf": `
variable "key" { type = string }
variable "endpoints" {
  type = map(object({ type = string, key = optional(string) }))
}
resource "aws_dms_replication_instance" "this" { kms_key_arn = var.key }
resource "aws_dms_endpoint" "this" {
  for_each      = var.endpoints
  endpoint_type = each.value.type
  kms_key_arn   = each.value.key
}
output "instance_key" { value = var.key }
`,
		"modules/wrapper/main.tf": `
variable "key" {}
module "inner" {
  source    = "../dms"
  key       = var.key
  endpoints = { pg = { type = "source" }, lake = { type = "target", key = var.key } }
}
output "key" { value = module.inner.instance_key }
`,
		"live/main.tf": provider + `
resource "aws_kms_key" "k" {}
module "w" {
  source = "../modules/wrapper"
  key    = aws_kms_key.k.arn
}
module "by_count" {
  count  = 2
  source = "../modules/dms"
  key    = module.w.key
  endpoints = {}
}
`,
	})
	res := scanTree(t, dir, Options{})
	if len(res.Roots) != 1 || res.Roots[0] != "live" {
		t.Fatalf("roots %v, want [live] (the modules are called)", res.Roots)
	}
	checkKey(t, res, "module.w.module.inner.aws_dms_replication_instance.this", verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"})
	checkKey(t, res, `module.w.module.inner.aws_dms_endpoint.this["lake"]`, verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"})
	checkKey(t, res, `module.w.module.inner.aws_dms_endpoint.this["pg"]`, verdict{manager: state.KeyManagerAWS, keyState: "Enabled"})
	checkKey(t, res, "module.by_count[1].aws_dms_replication_instance.this", verdict{manager: state.KeyManagerCustomer, keyState: "Enabled"})
	_, _, src, _ := keyOf(res, "module.by_count[1].aws_dms_replication_instance.this")
	if src.File != "modules/dms/main.tf" || src.StartLine != 6 {
		t.Fatalf("source %+v, want the module's file and line", src)
	}
}

func TestDownloadedModulesAreReadThroughTheManifest(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"live/main.tf": provider + `
module "dms" {
  source  = "terraform-aws-modules/dms/aws"
  version = "2.0.0"
}
module "missing" {
  source = "git::https://example.com/dms.git"
}
resource "aws_dms_replication_instance" "x" { kms_key_arn = module.missing.key }
`,
		"live/.terraform/modules/modules.json": `{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"dms","Source":"registry.terraform.io/terraform-aws-modules/dms/aws","Version":"2.0.0","Dir":".terraform/modules/dms"}]}`,
		"live/.terraform/modules/dms/main.tf":  `resource "aws_dms_replication_instance" "this" {}`,
	})
	res := scanTree(t, dir, Options{})
	checkKey(t, res, "module.dms.aws_dms_replication_instance.this", verdict{manager: state.KeyManagerAWS, keyState: "Enabled"})
	checkKey(t, res, "aws_dms_replication_instance.x", verdict{reason: `module.missing (source "git::https://example.com/dms.git") is not available locally: run terraform init`})
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings %v, want one about module.missing", res.Warnings)
	}
}

func TestModuleCycleIsAProblemNotAHang(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"a/main.tf": `module "b" { source = "../b" }
resource "aws_dms_replication_instance" "a" {}`,
		"b/main.tf":  `module "a" { source = "../a" }`,
		"ok/main.tf": provider + `resource "aws_dms_replication_instance" "ok" { kms_key_arn = "alias/aws/dms" }`,
	})
	res := scanTree(t, dir, Options{})
	found := false
	for _, p := range res.Problems {
		if strings.Contains(p.Error(), "module cycle") && p.Line == 1 && strings.HasSuffix(p.File, "main.tf") {
			found = true
		}
	}
	if !found {
		t.Fatalf("problems %v, want a module cycle naming file:line", res.Problems)
	}
	if _, _, _, ok := keyOf(res, "aws_dms_replication_instance.ok"); !ok {
		t.Fatalf("the other root's resource is lost: %v", addresses(res))
	}
	if _, _, _, ok := keyOf(res, "aws_dms_replication_instance.a"); !ok {
		t.Fatalf("a resource of the cycle is dropped: %v", addresses(res))
	}
}

func TestBadInputIsAProblemAndTheRestIsKept(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"bad/broken.tf": "resource \"aws_dms_replication_instance\" \"x\" {\n  kms_key_arn = \n",
		"bad/good.tf":   `resource "aws_dms_replication_instance" "kept" {}`,
		"nested/main.tf": `locals {
  cube = [for i in range(1000) : [for j in range(1000) : [for k in range(1000) : k]]]
  a    = [for i in range(500) : i]
  b    = flatten([for x in local.a : [for y in local.a : y]])
  c    = flatten([for x in local.b : [for y in local.a : y]])
}
resource "aws_dms_endpoint" "n" { kms_key_arn = length(local.c) > 0 ? local.cube[0][0][0] : "" }
`,
		"product/main.tf": `resource "aws_dms_endpoint" "p" {
  for_each = toset([for p in setproduct(range(1000), range(1000), range(1000)) : join("-", p)])
}`,
		"huge/main.tf": `resource "aws_dms_endpoint" "many" {
  for_each = toset([for i in range(1000) : tostring(i)])
}
resource "aws_dms_endpoint" "range" {
  count = length(range(1000000000))
}`,
	})
	res := scanTree(t, dir, Options{MaxInstances: 100})
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"bad/broken.tf:2", "huge/main.tf:2", "huge/main.tf:5", "product/main.tf:2", "nested/main.tf:2", "nested/main.tf:4"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not name %s:\n%s", want, all)
		}
	}
	got := strings.Join(addresses(res), " ")
	for _, want := range []string{"aws_dms_replication_instance.kept", "aws_dms_endpoint.many[*]", "aws_dms_endpoint.range[*]", "aws_dms_endpoint.p[*]", "aws_dms_endpoint.n"} {
		if !strings.Contains(got, want) {
			t.Errorf("resources %s: %s is missing", got, want)
		}
	}
}

func TestInlineSuppressions(t *testing.T) {
	t.Parallel()
	res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + `
# cmkguard:ignore CMKG-DMS-001,dms-instance-key-usable reason="sandbox (SEC-1)" expires=2027-03-31
resource "aws_dms_replication_instance" "x" {}

resource "aws_dms_replication_instance" "y" { # cmkguard:ignore CMKG-DMS-001 reason="demo"
}
`}), Options{})
	_, _, x, _ := keyOf(res, "aws_dms_replication_instance.x")
	if len(x.Suppressions) != 2 || x.Suppressions[0].Rule != "CMKG-DMS-001" || x.Suppressions[1].Rule != "dms-instance-key-usable" ||
		x.Suppressions[0].Reason != "sandbox (SEC-1)" || x.Suppressions[0].Expires != "2027-03-31" || x.Suppressions[0].Line != 3 {
		t.Fatalf("x suppressions %+v", x.Suppressions)
	}
	_, _, y, _ := keyOf(res, "aws_dms_replication_instance.y")
	if len(y.Suppressions) != 1 || y.Suppressions[0].Reason != "demo" || y.Suppressions[0].Expires != "" {
		t.Fatalf("y suppressions %+v", y.Suppressions)
	}
}

func TestJSONConfigurationAndOptionalDefaults(t *testing.T) {
	t.Parallel()
	res := scanTree(t, writeTree(t, map[string]string{
		"main.tf.json": `{
  "variable": {"cfg": {"type": "object({ key = optional(string, \"alias/aws/dms\") })", "default": {}}},
  "resource": {"aws_dms_replication_instance": {"x": {"kms_key_arn": "${var.cfg.key}"}}}
}`,
	}), Options{})
	checkKey(t, res, "aws_dms_replication_instance.x", verdict{manager: state.KeyManagerAWS, keyState: "Enabled"})
}

func TestDeepNestingIsAProblemNotACrash(t *testing.T) {
	t.Parallel()
	var chain strings.Builder
	chain.WriteString("locals {\n")
	for i := range 3000 {
		fmt.Fprintf(&chain, "  a%d = local.a%d\n", i, i+1)
	}
	chain.WriteString("  a3000 = \"alias/aws/dms\"\n}\nresource \"aws_dms_replication_instance\" \"chain\" { kms_key_arn = local.a0 }\n")
	dir := writeTree(t, map[string]string{
		"brackets/main.tf": "locals {\n  x = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n}\n",
		"chain/main.tf":    chain.String(),
	})
	res := scanTree(t, dir, Options{})
	if len(res.Problems) != 1 || res.Problems[0].File != "brackets/main.tf" || res.Problems[0].Line != 2 || !strings.Contains(res.Problems[0].Msg, "nested too deeply") {
		t.Fatalf("problems %v, want brackets/main.tf:2 nested too deeply", res.Problems)
	}
	checkKey(t, res, "aws_dms_replication_instance.chain", verdict{reason: "refers through more than"})
}

// FuzzScan feeds arbitrary bytes to the Terraform adapter as a module's
// main.tf: it must report problems, never panic or hang.
func FuzzScan(f *testing.F) {
	f.Add([]byte(provider + `resource "aws_dms_replication_instance" "x" { kms_key_arn = var.k }
variable "k" { default = null }`))
	f.Add([]byte(`module "m" { source = "./" }
resource "aws_dms_endpoint" "e" {
  for_each = { for k, v in var.m : k => v }
  dynamic "s3_settings" {
    for_each = [each.value]
    content { encryption_mode = s3_settings.value }
  }
}`))
	f.Add([]byte(`locals { a = try(jsondecode("{"), lookup({}, "k", null), "alias/aws/dms") }
resource "aws_dms_replication_config" "c" { compute_config { kms_key_id = local.a } }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Scan(dir, []string{dir}, Options{MaxInstances: 100}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAnAliasedProviderGivesItsRegion(t *testing.T) {
	t.Parallel()
	res := scanTree(t, writeTree(t, map[string]string{"main.tf": provider + `
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
resource "aws_dms_replication_instance" "x" {
  provider    = aws.west
  kms_key_arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
resource "aws_dms_replication_instance" "y" {
  kms_key_arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
`}), Options{})
	checkKey(t, res, "aws_dms_replication_instance.x", verdict{manager: state.KeyManagerCustomer})
	checkKey(t, res, "aws_dms_replication_instance.y", verdict{reason: "DMS uses only keys of its own region"})
}
