output "role_arn" {
  description = "The role's ARN: the repository variable AWS_TERRAFORM_PLAN_ROLE_ARN."
  value       = aws_iam_role.plan.arn
}
