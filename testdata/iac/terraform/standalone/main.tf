provider "aws" {
  region = "us-east-1"
}

# A customer key that only the bucket uses: a decoy for the instance below.
resource "aws_kms_key" "bucket" {
  description = "logs bucket"
}

resource "aws_kms_key" "retired" {
  description = "retired DMS key"
  is_enabled  = false
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = "logs"
  rule {
    apply_server_side_encryption_by_default {
      kms_master_key_id = aws_kms_key.bucket.arn
      sse_algorithm     = "aws:kms"
    }
  }
}

# No kms_key_arn: DMS uses aws/dms, whatever else the file declares.
resource "aws_dms_replication_instance" "no_key" {
  replication_instance_id    = "no-key"
  replication_instance_class = "dms.t3.micro"
}

resource "aws_dms_replication_instance" "managed_alias" {
  replication_instance_id    = "managed-alias"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = "alias/aws/dms"
}

resource "aws_dms_replication_instance" "managed_alias_arn" {
  replication_instance_id    = "managed-alias-arn"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = "arn:aws:kms:us-east-1:111122223333:alias/aws/dms"
}

resource "aws_dms_replication_instance" "literal_key" {
  replication_instance_id    = "literal-key"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

resource "aws_dms_replication_instance" "disabled_key" {
  replication_instance_id    = "disabled-key"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = aws_kms_key.retired.arn
}

# A misspelt resource type is one reference, not a subtraction: UNKNOWN.
resource "aws_dms_replication_instance" "typo" {
  replication_instance_id    = "typo"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = aws-kms_key.pike.arn
}

resource "aws_dms_replication_instance" "from_variable" {
  replication_instance_id    = "from-variable"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = var.kms_key_arn
}

resource "aws_dms_replication_instance" "remote_state" {
  replication_instance_id    = "remote-state"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = data.terraform_remote_state.keys.outputs.dms_key_arn
}

# cmkguard:ignore CMKG-DMS-001 reason="sandbox, torn down nightly (SEC-42)" expires=2027-03-31
resource "aws_dms_replication_instance" "sandbox" {
  replication_instance_id    = "sandbox"
  replication_instance_class = "dms.t3.micro"
  kms_key_arn                = ""
}

resource "aws_dms_replication_instance" "not_created" {
  count                      = var.create_legacy ? 1 : 0
  replication_instance_id    = "legacy"
  replication_instance_class = "dms.t3.micro"
}

data "aws_kms_key" "dms_default" {
  key_id = "alias/aws/dms"
}

data "aws_kms_alias" "shared" {
  name = "alias/${local.team}-dms"
}

resource "aws_dms_endpoint" "source" {
  endpoint_id   = "orders-source"
  endpoint_type = "source"
  engine_name   = "mysql"
  kms_key_arn   = data.aws_kms_key.dms_default.arn
}

resource "aws_dms_endpoint" "target" {
  endpoint_id   = "orders-target"
  endpoint_type = "target"
  engine_name   = "redshift"
  kms_key_arn   = data.aws_kms_alias.shared.target_key_arn

  redshift_settings {
    encryption_mode                   = "SSE_KMS"
    server_side_encryption_kms_key_id = aws_kms_key.bucket.arn
  }
}

resource "aws_dms_s3_endpoint" "archive" {
  endpoint_id             = "orders-archive"
  endpoint_type           = "target"
  bucket_name             = "orders-archive"
  service_access_role_arn = "arn:aws:iam::111122223333:role/dms-s3"
  kms_key_arn             = coalesce(var.archive_key_arn, aws_kms_key.bucket.arn)
  encryption_mode         = "SSE_S3"
}

resource "aws_dms_replication_config" "serverless" {
  replication_config_identifier = "orders"
  replication_type              = "cdc"
  source_endpoint_arn           = aws_dms_endpoint.source.endpoint_arn
  target_endpoint_arn           = aws_dms_endpoint.target.endpoint_arn
  table_mappings                = "{}"

  compute_config {
    max_capacity_units = 4
  }
}

locals {
  team = "orders"
}

variable "kms_key_arn" {
  type = string
}

variable "create_legacy" {
  type    = bool
  default = false
}

variable "archive_key_arn" {
  type    = string
  default = "alias/orders-archive"
}

data "terraform_remote_state" "keys" {
  backend = "s3"
  config = {
    bucket = "tfstate"
    key    = "keys.tfstate"
    region = "us-east-1"
  }
}
