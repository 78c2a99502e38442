variable "create" {
  description = "Whether to create the DMS resources"
  type        = bool
  default     = true
}

variable "repl_instance_id" {
  type = string
}

variable "repl_instance_kms_key_arn" {
  description = "The key the replication instance's storage is encrypted with"
  type        = string
  default     = null
}

variable "endpoints" {
  description = "Endpoints to create, by name"
  type = map(object({
    endpoint_id   = string
    endpoint_type = string
    engine_name   = string
    kms_key_arn   = optional(string)
    s3_settings = optional(object({
      bucket_name                       = string
      encryption_mode                   = optional(string, "SSE_S3")
      server_side_encryption_kms_key_id = optional(string)
    }))
  }))
  default = {}
}

variable "replication_configs" {
  type    = any
  default = {}
}
