package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// monorepo is the size of a generated infrastructure repository.
type monorepo struct {
	// Modules is the number of Terraform module directories: half are
	// stacks (roots), each calling one library module (the other half).
	Modules int
	// FilesPerModule is the .tf files of each module.
	FilesPerModule int
	// ResourcesPerModule is the DMS resources each module declares.
	ResourcesPerModule int
	// Templates is the number of CloudFormation templates.
	Templates int
}

// fullMonorepo is the target: 5,000 .tf files in 500 modules,
// 10,000 DMS resources, 500 CloudFormation templates.
var fullMonorepo = monorepo{Modules: 500, FilesPerModule: 10, ResourcesPerModule: 20, Templates: 500}

// generate writes m under dir and returns the number of DMS resources.
// The shapes are those of real repositories: variables with defaults and
// optional() attributes, for_each maps, try and lookup, data lookups of
// alias/aws/dms, locals, module inputs and tfvars.
func (m monorepo) generate(tb testing.TB, dir string) int {
	tb.Helper()
	write := func(path, content string) {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	resources := 0
	libs := m.Modules / 2
	for i := range libs {
		lib := fmt.Sprintf("modules/dms-%03d", i)
		write(lib+"/variables.tf", libVariables)
		write(lib+"/outputs.tf", `output "key_arn" { value = var.kms_key_arn }`+"\n")
		write(lib+"/kms.tf", `resource "aws_kms_key" "own" {
  count       = var.create_key ? 1 : 0
  description = "module key"
}
locals {
  key = var.create_key ? aws_kms_key.own[0].arn : try(var.kms_key_arn, "")
}
`)
		resources += m.dmsFiles(write, lib, true)
		stack := fmt.Sprintf("stacks/app-%03d", i)
		write(stack+"/providers.tf", "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n")
		write(stack+"/main.tf", fmt.Sprintf(`data "aws_kms_alias" "dms" {
  name = "alias/aws/dms"
}
resource "aws_kms_key" "app" {
  description = "app %d"
}
module "dms" {
  source      = "../../modules/dms-%03d"
  kms_key_arn = %s
  create_key  = %t
  endpoints = {
    pg   = { type = "source", engine = "postgres", key = aws_kms_key.app.arn }
    lake = { type = "target", engine = "s3" }
  }
}
`, i, i, map[bool]string{true: "aws_kms_key.app.arn", false: "data.aws_kms_alias.dms.target_key_arn"}[i%3 != 0], i%5 == 0))
		write(stack+"/terraform.tfvars", fmt.Sprintf("environment = \"env-%d\"\n", i%4))
		write(stack+"/variables.tf", "variable \"environment\" {\n  type    = string\n  default = \"dev\"\n}\nvariable \"instance_key\" {\n  type = string\n}\n")
		resources += m.dmsFiles(write, stack, false)
	}
	for i := range m.Templates {
		write(fmt.Sprintf("cfn/stack-%03d.template", i), template(i))
	}
	return resources
}

const libVariables = `variable "kms_key_arn" {
  type    = string
  default = null
}
variable "create_key" {
  type    = bool
  default = false
}
variable "endpoints" {
  type = map(object({
    type   = string
    engine = string
    key    = optional(string)
  }))
  default = {}
}
`

// dmsFiles writes the module's remaining files, spreading its DMS
// resources over them, and returns how many resource instances they hold.
func (m monorepo) dmsFiles(write func(path, content string), mod string, library bool) int {
	files := m.FilesPerModule - 3 // variables, outputs and kms; or providers, main and variables
	instances := 0
	var b [](*strings.Builder)
	for range files {
		b = append(b, &strings.Builder{})
	}
	for r := range m.ResourcesPerModule {
		w := b[r%files]
		switch r % 4 {
		case 0:
			key := `kms_key_arn = local.key`
			if !library {
				key = `kms_key_arn = var.instance_key`
			}
			fmt.Fprintf(w, "resource \"aws_dms_replication_instance\" \"r%d\" {\n  replication_instance_id    = \"%s-%d\"\n  replication_instance_class = \"dms.t3.medium\"\n  %s\n}\n\n",
				r, strings.ReplaceAll(mod, "/", "-"), r, key)
			instances++
		case 1:
			if library {
				fmt.Fprintf(w, "resource \"aws_dms_endpoint\" \"r%d\" {\n  for_each      = { for k, v in var.endpoints : k => v if k == \"pg\" }\n  endpoint_id   = \"${each.key}-%d\"\n  endpoint_type = each.value.type\n  engine_name   = each.value.engine\n  kms_key_arn   = lookup(each.value, \"key\", null)\n}\n\n", r, r)
				instances++
				continue
			}
			fmt.Fprintf(w, "resource \"aws_dms_endpoint\" \"r%d\" {\n  endpoint_id   = \"e%d\"\n  endpoint_type = \"target\"\n  engine_name   = \"s3\"\n  kms_key_arn   = \"alias/aws/dms\"\n  s3_settings {\n    encryption_mode = \"SSE_S3\"\n  }\n}\n\n", r, r)
			instances++
		case 2:
			fmt.Fprintf(w, "resource \"aws_dms_replication_config\" \"r%d\" {\n  replication_config_identifier = \"c%d\"\n  compute_config {\n    max_capacity_units = 4\n    kms_key_id         = %s\n  }\n}\n\n",
				r, r, map[bool]string{true: "coalesce(var.kms_key_arn, \"alias/aws/dms\")", false: "\"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\""}[library])
			instances++
		case 3:
			fmt.Fprintf(w, "resource \"aws_dms_s3_endpoint\" \"r%d\" {\n  endpoint_id     = \"s%d\"\n  endpoint_type   = \"target\"\n  bucket_name     = \"b%d\"\n  encryption_mode = \"SSE_KMS\"\n  server_side_encryption_kms_key_id = format(\"%%s\", \"alias/lake\")\n}\n\n", r, r, r)
			instances++
		}
	}
	for i, w := range b {
		write(fmt.Sprintf("%s/dms-%02d.tf", mod, i), w.String())
	}
	return instances
}

// template is a CloudFormation template with a key, an instance, an
// endpoint and a condition.
func template(i int) string {
	return fmt.Sprintf(`AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: stack %d
  Instance:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      ReplicationInstanceClass: dms.t3.medium
      KmsKeyId: !If [IsProd, !GetAtt Key.Arn, !Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/dms"]
  Endpoint:
    Type: AWS::DMS::Endpoint
    Properties:
      EndpointType: target
      EngineName: s3
      KmsKeyId: !Ref Key
      S3Settings:
        BucketName: lake-%d
        EncryptionMode: SSE_S3
`, i, i)
}

// TestGeneratedMonorepoHasTheTargetShape checks the generator itself: the
// benchmark's figures mean something only if the tree is the size it claims.
func TestGeneratedMonorepoHasTheTargetShape(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := monorepo{Modules: 10, FilesPerModule: 10, ResourcesPerModule: 20, Templates: 3}
	resources := small.generate(t, dir)
	tf, mods, templates := 0, map[string]bool{}, 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".tf"):
			tf++
			mods[filepath.Dir(path)] = true
		case strings.HasSuffix(path, ".template"):
			templates++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tf != 100 || len(mods) != 10 || templates != 3 || resources != 200 {
		t.Fatalf("%d .tf files in %d modules, %d templates, %d DMS resources; want 100 in 10, 3, 200", tf, len(mods), templates, resources)
	}
}
