# cmkguard across an AWS Organization: the service-managed StackSet of
# deploy/cloudformation/cmkguard-org.yaml, deploying the rule template to every account of the
# organizational units, in every region given, and to accounts that join them later.

resource "aws_cloudformation_stack_set" "cmkguard" {
  name             = "cmkguard-config-rule"
  description      = "cmkguard AWS Config rule and real-time handler in every account and region"
  permission_model = "SERVICE_MANAGED"
  call_as          = var.call_as
  capabilities     = ["CAPABILITY_IAM"]
  template_url     = var.rule_template_url

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  managed_execution {
    active = true
  }

  operation_preferences {
    region_concurrency_type      = "PARALLEL"
    max_concurrent_percentage    = var.max_concurrent_percentage
    failure_tolerance_percentage = var.failure_tolerance_percentage
  }

  parameters = merge(var.parameters, {
    CodeBucket          = var.code_bucket_prefix
    RegionalCodeBuckets = "true"
  })

  lifecycle {
    # Service-managed stack sets report an administration role ARN the configuration never sets.
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_set_instance" "cmkguard" {
  for_each       = toset(var.regions)
  stack_set_name = aws_cloudformation_stack_set.cmkguard.name
  call_as        = var.call_as
  region         = each.value

  deployment_targets {
    organizational_unit_ids = var.organizational_unit_ids
  }
}
