# One account and region: upload bootstrap-arm64.zip to the bucket first (docs/continuous.md).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "cmkguard" {
  source = "../../modules/config-rule"

  code_bucket    = "example-cmkguard-artifacts-eu-west-1"
  code_key       = "cmkguard-config-rule/bootstrap-arm64.zip"
  min_protection = "customer-managed"
  security_hub   = true
}

output "config_rule_arn" {
  value = module.cmkguard.config_rule_arn
}
