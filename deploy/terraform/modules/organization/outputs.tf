output "stack_set_id" {
  value = aws_cloudformation_stack_set.cmkguard.stack_set_id
}
