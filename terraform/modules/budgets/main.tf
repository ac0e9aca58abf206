# Cost governance: a monthly cost budget of the environment (its cost-allocation tags), with
# alerts when actual spend passes a share of the limit and when the month's forecast exceeds
# it, sent to an encrypted SNS topic (chat, paging) and to e-mail addresses.
data "aws_caller_identity" "current" {}

resource "aws_sns_topic" "budget_alerts" {
  name              = "${var.name}-budget-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

# AWS Budgets may publish to this topic, for this account only.
resource "aws_sns_topic_policy" "budget_alerts" {
  arn = aws_sns_topic.budget_alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AwsBudgetsPublish"
      Effect    = "Allow"
      Principal = { Service = "budgets.amazonaws.com" }
      Action    = "SNS:Publish"
      Resource  = aws_sns_topic.budget_alerts.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
      }
    }]
  })
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # Only what carries this environment's tag (provider default_tags put it everywhere). One
  # tag, one value: the values of a TagKeyValue filter are OR'd, so `Project=orderflow` beside
  # `Environment=production` would count every environment of the project (and every
  # production of the account).
  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:%s$%s", var.cost_filter_tag.key, var.cost_filter_tag.value)]
  }

  # One alert per threshold: actual spend, then forecast spend.
  dynamic "notification" {
    for_each = concat(
      [for percent in var.actual_thresholds_percent : { type = "ACTUAL", percent = percent }],
      [for percent in var.forecast_thresholds_percent : { type = "FORECASTED", percent = percent }],
    )
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.percent
      threshold_type             = "PERCENTAGE"
      notification_type          = notification.value.type
      subscriber_sns_topic_arns  = [aws_sns_topic.budget_alerts.arn]
      subscriber_email_addresses = var.alert_emails
    }
  }

  tags       = var.tags
  depends_on = [aws_sns_topic_policy.budget_alerts]
}

# Activates the tags in Cost Explorer and the cost and usage report, so spend can be split by
# them. Only possible in the payer account, and only once AWS has seen the tags (up to a day
# after the first tagged resource): hence optional.
resource "aws_ce_cost_allocation_tag" "this" {
  # The budget's own tag among them: a filter on a tag that is not active matches nothing.
  for_each = var.activate_cost_allocation_tags ? toset(concat(var.cost_allocation_tag_keys, [var.cost_filter_tag.key])) : toset([])
  tag_key  = each.value
  status   = "Active"
}
