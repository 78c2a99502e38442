variable "code_bucket" {
  description = "S3 bucket holding the function's zip, in the provider's region."
  type        = string
}

variable "code_key" {
  description = "S3 key of the zip holding the bootstrap built for var.architecture."
  type        = string
  default     = "cmkguard-config-rule/bootstrap-arm64.zip"
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "MB. A periodic run over 5,000 instances and 200 keys peaks at about 70 MiB of heap (docs/continuous.md)."
  type        = number
  default     = 256
}

variable "config_rule_name" {
  type    = string
  default = "cmkguard-dms-cmk"
}

variable "maximum_execution_frequency" {
  description = "How often the periodic evaluation runs."
  type        = string
  default     = "TwentyFour_Hours"
  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"], var.maximum_execution_frequency)
    error_message = "maximum_execution_frequency must be One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours."
  }
}

variable "min_protection" {
  description = "Lowest key protection level that is compliant: \"\" (any customer-managed key), customer-managed, imported, cloudhsm or external-key-store."
  type        = string
  default     = ""
  validation {
    condition     = contains(["", "customer-managed", "imported", "cloudhsm", "external-key-store"], var.min_protection)
    error_message = "min_protection must be one of \"\", customer-managed, imported, cloudhsm, external-key-store."
  }
}

variable "trusted_key_accounts" {
  description = "Accounts, besides each resource's own, whose keys are accepted (empty: any account)."
  type        = list(string)
  default     = []
}

variable "include_serverless" {
  type    = bool
  default = true
}

variable "include_endpoints" {
  type    = bool
  default = true
}

variable "real_time" {
  description = "Evaluate DMS Create/Modify and KMS DisableKey/ScheduleKeyDeletion calls as they happen (needs a CloudTrail trail)."
  type        = bool
  default     = true
}

variable "security_hub" {
  description = "Send real-time findings to Security Hub."
  type        = bool
  default     = false
}

variable "sns_topic_arn" {
  description = "Send real-time findings that are not PASS to this topic (null: none)."
  type        = string
  default     = null
}
