output "function_arn" {
  value = aws_lambda_function.cmkguard.arn
}

output "config_rule_arn" {
  value = aws_config_config_rule.cmkguard.arn
}
