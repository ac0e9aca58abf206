variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
  default     = "production"
  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be dev, staging or production."
  }
}

variable "availability_zones" {
  description = "Availability zones of the region to use (three: MSK replicates over three brokers)."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "node_min" {
  description = "Fewest EKS nodes."
  type        = number
  default     = 3
}

variable "node_max" {
  description = "Most EKS nodes."
  type        = number
  default     = 10
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps logs."
  type        = number
  default     = 365
}

variable "cost_center" {
  description = "Cost-allocation tag on every resource."
  type        = string
  default     = "orderflow"
}

variable "spot_enabled" {
  description = "Add the EKS spot node group; ignored when environment is production."
  type        = bool
  default     = false
}

variable "monthly_budget_usd" {
  description = "Monthly AWS cost budget of the environment, in USD (alerts at 80 % and 100 % actual, 100 % forecast)."
  type        = number
  default     = 5000
}

variable "budget_alert_emails" {
  description = "E-mail addresses of the budget alerts (the SNS topic in output budget_alert_topic_arn gets them too)."
  type        = list(string)
  default     = []
}

variable "activate_cost_allocation_tags" {
  description = "Activate the cost-allocation tags in Cost Explorer (payer account only, once AWS has seen the tags)."
  type        = bool
  default     = false
}

variable "redis_auth_token" {
  description = "Redis AUTH token; pass it as TF_VAR_redis_auth_token from a secret store."
  type        = string
  sensitive   = true
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "eks_public_access_cidrs" {
  description = "CIDRs that may reach the Kubernetes API over a public endpoint (operators' offices, say); empty: private endpoint only."
  type        = list(string)
  default     = []
}

variable "kubernetes_namespace" {
  description = "Namespace of the orderflow workloads (kubernetes/overlays/production), for their Pod Identity associations."
  type        = string
  default     = "orderflow"
}

variable "eks_operator_principal_arns" {
  description = "IAM roles (or users) of the operators: each gets an EKS access entry as cluster admin; nobody else can use the Kubernetes API. In the pipeline, the repository variable EKS_OPERATOR_PRINCIPAL_ARNS (a JSON list)."
  type        = list(string)
}

variable "github_repository" {
  description = "The GitHub repository (<owner>/<name>) whose pull requests and main branch the plan role trusts (the pipeline passes github.repository)."
  type        = string
}

# The backend's bucket and key, again: a backend block cannot be read from the configuration.
# scripts/lint-infra.sh fails when these differ from backend.hcl.
variable "state_bucket" {
  description = "S3 bucket of the state, as in backend.hcl (the plan role may write its lock file)."
  type        = string
  default     = "orderflow-terraform-state-production"
}

variable "state_key" {
  description = "Key of the state, as in backend.hcl."
  type        = string
  default     = "orderflow/production/terraform.tfstate"
}
