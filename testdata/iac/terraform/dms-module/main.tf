locals {
  create = var.create
  tags   = merge({ "terraform-module" = "dms" }, {})
}

resource "aws_dms_replication_instance" "this" {
  count = local.create ? 1 : 0

  replication_instance_id    = var.repl_instance_id
  replication_instance_class = "dms.t3.medium"
  allocated_storage          = 64
  kms_key_arn                = try(var.repl_instance_kms_key_arn, "")
  tags                       = local.tags
}

resource "aws_dms_endpoint" "this" {
  for_each = { for k, v in var.endpoints : k => v if local.create }

  endpoint_id   = each.value.endpoint_id
  endpoint_type = each.value.endpoint_type
  engine_name   = each.value.engine_name
  kms_key_arn   = lookup(each.value, "kms_key_arn", null)

  dynamic "s3_settings" {
    for_each = each.value.s3_settings != null ? [each.value.s3_settings] : []
    content {
      bucket_name                       = s3_settings.value.bucket_name
      encryption_mode                   = s3_settings.value.encryption_mode
      server_side_encryption_kms_key_id = s3_settings.value.server_side_encryption_kms_key_id
    }
  }
}

resource "aws_dms_replication_config" "this" {
  for_each = var.replication_configs

  replication_config_identifier = each.key
  replication_type              = "full-load"
  source_endpoint_arn           = aws_dms_endpoint.this[each.value.source].endpoint_arn
  target_endpoint_arn           = aws_dms_endpoint.this[each.value.target].endpoint_arn
  table_mappings                = jsonencode({ rules = [] })

  compute_config {
    max_capacity_units = 16
    kms_key_id         = lookup(each.value, "kms_key_id", null)
  }
}
