# cmkguard as an AWS Config custom rule and real-time handler in one account and region:
# the same resources as deploy/cloudformation/cmkguard-config-rule.yaml.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  parameters = {
    minProtection      = var.min_protection
    trustedKeyAccounts = join(",", var.trusted_key_accounts)
    includeServerless  = tostring(var.include_serverless)
    includeEndpoints   = tostring(var.include_endpoints)
  }
  api_calls = [
    "CreateReplicationInstance", "ModifyReplicationInstance", "CreateEndpoint", "ModifyEndpoint",
    "CreateReplicationConfig", "ModifyReplicationConfig", "DisableKey", "ScheduleKeyDeletion",
  ]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# The policy `cmkguard permissions config-rule --securityhub --sns-topic ARN` prints.
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "CmkguardConfigRuleListRegions"
    actions   = ["ec2:DescribeRegions"]
    resources = ["*"]
  }
  statement {
    sid       = "CmkguardConfigRuleListReplicationInstances"
    actions   = ["dms:DescribeReplicationInstances"]
    resources = ["*"]
  }
  statement {
    sid       = "CmkguardConfigRuleListServerlessConfigs"
    actions   = ["dms:DescribeReplicationConfigs", "dms:DescribeReplications"]
    resources = ["*"]
  }
  statement {
    sid       = "CmkguardConfigRuleListEndpoints"
    actions   = ["dms:DescribeEndpoints"]
    resources = ["*"]
  }
  statement {
    sid       = "CmkguardConfigRuleReadKeys"
    actions   = ["kms:DescribeKey", "kms:ListAliases"]
    resources = ["*"]
  }
  statement {
    sid       = "CmkguardConfigRuleReadTags"
    actions   = ["dms:ListTagsForResource"]
    resources = ["*"]
  }
  statement {
    sid       = "CmkguardConfigRuleReportEvaluations"
    actions   = ["config:PutEvaluations", "config:GetResourceConfigHistory", "config:GetComplianceDetailsByConfigRule"]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = var.security_hub ? [1] : []
    content {
      sid       = "CmkguardConfigRuleImportFindings"
      actions   = ["securityhub:BatchImportFindings"]
      resources = ["arn:${data.aws_partition.current.partition}:securityhub:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:product/${data.aws_caller_identity.current.account_id}/default"]
    }
  }
  dynamic "statement" {
    for_each = var.sns_topic_arn == null ? [] : [var.sns_topic_arn]
    content {
      sid       = "CmkguardConfigRulePublish"
      actions   = ["sns:Publish"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role" "function" {
  name_prefix        = "cmkguard-config-rule-"
  description        = "cmkguard Config rule function (read-only DMS and KMS, Config evaluations)"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "function" {
  name   = "cmkguard-config-rule"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "cmkguard" {
  function_name = "cmkguard-config-rule"
  description   = "cmkguard - AWS Config rule and real-time evaluation of DMS customer-managed keys"
  role          = aws_iam_role.function.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]
  s3_bucket     = var.code_bucket
  s3_key        = var.code_key
  memory_size   = var.memory_size
  timeout       = 900

  environment {
    variables = {
      CMKGUARD_SECURITYHUB     = tostring(var.security_hub)
      CMKGUARD_SNS_TOPIC_ARN   = var.sns_topic_arn == null ? "" : var.sns_topic_arn
      CMKGUARD_RULE_PARAMETERS = jsonencode(local.parameters)
    }
  }

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy_attachment.logs]
}

resource "aws_lambda_permission" "config" {
  statement_id   = "AllowConfig"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.cmkguard.function_name
  principal      = "config.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_config_config_rule" "cmkguard" {
  name        = var.config_rule_name
  description = "DMS replication instances, serverless configs and endpoints encrypt their data with a customer-managed KMS key, not the AWS-managed aws/dms key (cmkguard)."

  # AWS Config records DMS endpoints; replication instances and serverless configs are evaluated
  # by the periodic trigger.
  scope {
    compliance_resource_types = ["AWS::DMS::Endpoint"]
  }

  input_parameters = jsonencode(local.parameters)

  source {
    owner             = "CUSTOM_LAMBDA"
    source_identifier = aws_lambda_function.cmkguard.arn
    source_detail {
      event_source = "aws.config"
      message_type = "ConfigurationItemChangeNotification"
    }
    source_detail {
      event_source = "aws.config"
      message_type = "OversizedConfigurationItemChangeNotification"
    }
    source_detail {
      event_source                = "aws.config"
      message_type                = "ScheduledNotification"
      maximum_execution_frequency = var.maximum_execution_frequency
    }
  }

  depends_on = [aws_lambda_permission.config]
}

resource "aws_cloudwatch_event_rule" "api_calls" {
  count       = var.real_time ? 1 : 0
  name_prefix = "cmkguard-api-calls-"
  description = "cmkguard - DMS and KMS API calls that can put DMS data on a key the customer does not control"
  event_pattern = jsonencode({
    "detail-type" = ["AWS API Call via CloudTrail"]
    source        = ["aws.dms", "aws.kms"]
    detail = {
      eventSource = ["dms.amazonaws.com", "kms.amazonaws.com"]
      eventName   = local.api_calls
    }
  })
}

resource "aws_cloudwatch_event_target" "api_calls" {
  count     = var.real_time ? 1 : 0
  rule      = aws_cloudwatch_event_rule.api_calls[0].name
  target_id = "cmkguard"
  arn       = aws_lambda_function.cmkguard.arn
  retry_policy {
    maximum_retry_attempts       = 4
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "events" {
  count         = var.real_time ? 1 : 0
  statement_id  = "AllowEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.cmkguard.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.api_calls[0].arn
}
