variable "name" {
  description = "Name prefix of the budget and its SNS topic."
  type        = string
}

variable "monthly_limit_usd" {
  description = "Monthly cost limit of the environment, in USD."
  type        = number
  validation {
    condition     = var.monthly_limit_usd > 0
    error_message = "monthly_limit_usd must be positive."
  }
}

variable "actual_thresholds_percent" {
  description = "Alert when actual spend passes each of these percentages of the limit."
  type        = list(number)
  default     = [80, 100]
}

variable "forecast_thresholds_percent" {
  description = "Alert when the month's forecast passes each of these percentages of the limit."
  type        = list(number)
  default     = [100]
}

variable "alert_emails" {
  description = "E-mail addresses that receive the alerts (besides the SNS topic)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "cost_filter_tag" {
  description = "The one tag (key and value) that marks this environment's resources: the budget counts those alone."
  type = object({
    key   = string
    value = string
  })
}

variable "activate_cost_allocation_tags" {
  description = "Activate cost_allocation_tag_keys in Cost Explorer (payer account only, once AWS has seen the tags)."
  type        = bool
  default     = false
}

variable "cost_allocation_tag_keys" {
  description = "Tag keys to activate for cost allocation."
  type        = list(string)
  default     = ["Project", "Environment", "CostCenter", "Service"]
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the SNS topic (its policy must let budgets.amazonaws.com use it)."
  type        = string
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}
