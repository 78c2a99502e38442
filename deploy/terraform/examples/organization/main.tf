# Every account of two OUs, in three regions, from the management account.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

module "cmkguard_org" {
  source = "../../modules/organization"

  rule_template_url       = "https://example-cmkguard-artifacts-us-east-1.s3.us-east-1.amazonaws.com/cmkguard-config-rule.yaml"
  organizational_unit_ids = ["ou-abcd-11111111", "ou-abcd-22222222"]
  regions                 = ["us-east-1", "eu-west-1", "ap-southeast-2"]
  code_bucket_prefix      = "example-cmkguard-artifacts"
  parameters = {
    MinProtection = "customer-managed"
    SecurityHub   = "true"
  }
}
