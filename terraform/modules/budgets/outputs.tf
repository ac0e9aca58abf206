output "alert_topic_arn" {
  description = "SNS topic of the budget alerts: subscribe chat or paging to it."
  value       = aws_sns_topic.budget_alerts.arn
}

output "budget_name" {
  description = "Name of the monthly budget."
  value       = aws_budgets_budget.monthly.name
}
