variable "rule_template_url" {
  description = "S3 URL of deploy/cloudformation/cmkguard-config-rule.yaml."
  type        = string
}

variable "organizational_unit_ids" {
  description = "The organizational units (ou-... or the root r-...) to deploy to."
  type        = list(string)
}

variable "regions" {
  description = "The regions to deploy to."
  type        = list(string)
}

variable "call_as" {
  description = "SELF in the management account, DELEGATED_ADMIN in a delegated administrator."
  type        = string
  default     = "SELF"
}

variable "code_bucket_prefix" {
  description = "Buckets holding the function's zip, one per region, named <prefix>-<region> and readable by the organization."
  type        = string
}

variable "parameters" {
  description = "Other parameters of cmkguard-config-rule.yaml (CodeKey, Architecture, MinProtection, ...)."
  type        = map(string)
  default     = {}
}

variable "max_concurrent_percentage" {
  type    = number
  default = 25
}

variable "failure_tolerance_percentage" {
  type    = number
  default = 10
}
