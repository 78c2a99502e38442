provider "aws" {
  region = "eu-west-1"
}

data "aws_kms_alias" "dms" {
  name = "alias/aws/dms"
}

resource "aws_kms_key" "dms" {
  description         = "DMS storage"
  enable_key_rotation = true
}

module "dms" {
  source = "../.."

  repl_instance_id          = "example-${var.environment}"
  repl_instance_kms_key_arn = aws_kms_key.dms.arn

  endpoints = {
    pg = {
      endpoint_id   = "example-pg"
      endpoint_type = "source"
      engine_name   = "postgres"
      kms_key_arn   = data.aws_kms_alias.dms.target_key_arn
    }
    lake = {
      endpoint_id   = "example-lake"
      endpoint_type = "target"
      engine_name   = "s3"
      kms_key_arn   = aws_kms_key.dms.arn
      s3_settings = {
        bucket_name = "example-lake"
      }
    }
    warehouse = {
      endpoint_id   = "example-warehouse"
      endpoint_type = "target"
      engine_name   = "s3"
      kms_key_arn   = aws_kms_key.dms.arn
      s3_settings = {
        bucket_name                       = "example-warehouse"
        encryption_mode                   = "SSE_KMS"
        server_side_encryption_kms_key_id = aws_kms_key.dms.arn
      }
    }
  }

  replication_configs = {
    nightly = { source = "pg", target = "lake", kms_key_id = var.serverless_kms_key_id }
    adhoc   = { source = "pg", target = "warehouse" }
  }
}

variable "environment" {
  type    = string
  default = "dev"
}

variable "serverless_kms_key_id" {
  type    = string
  default = "alias/aws/dms"
}
