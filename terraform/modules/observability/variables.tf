variable "name" {
  description = "Name prefix of the resources."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps logs (at least a year, for audits)."
  type        = number
  default     = 365
  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least 365."
  }
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}
