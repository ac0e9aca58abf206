output "kms_key_arn" {
  description = "ARN of the KMS key for data at rest."
  value       = aws_kms_key.platform.arn
}

output "platform_log_group_name" {
  description = "CloudWatch log group of the platform."
  value       = aws_cloudwatch_log_group.platform.name
}

output "flow_log_group_arn" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.arn
}

output "flow_log_role_arn" {
  description = "IAM role the VPC flow logs assume."
  value       = aws_iam_role.flow_logs.arn
}
