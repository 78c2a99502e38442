output "replication_instance_arn" {
  value = try(aws_dms_replication_instance.this[0].replication_instance_arn, null)
}
