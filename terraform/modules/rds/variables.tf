variable "name" {
  description = "Name prefix of the resources."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the database (one per availability zone)."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "Security group allowed to connect (the EKS cluster's)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage, the master password secret and Performance Insights."
  type        = string
}

variable "instance_class" {
  description = "Instance class."
  type        = string
  default     = "db.m6g.large"
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB (autoscaling up to four times this)."
  type        = number
  default     = 50
  validation {
    condition     = var.allocated_storage_gb >= 20
    error_message = "allocated_storage_gb must be at least 20."
  }
}

variable "max_connections" {
  description = "Postgres max_connections: above the connection budget of the README (replicas x (DB_POOL_MAX + 2) per database)."
  type        = number
  default     = 600
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}

variable "service_databases" {
  description = "Per service: its database and its login role, both created by the postgres-bootstrap Job."
  type = map(object({
    database = string
    role     = string
  }))
  default = {
    checkout-service = { database = "orderflow_checkout", role = "checkout_service" }
    order-service    = { database = "orderflow_order", role = "order_service" }
  }
  validation {
    condition = alltrue(flatten([
      for s in values(var.service_databases) : [can(regex("^[a-z_][a-z0-9_]{0,62}$", s.database)), can(regex("^[a-z_][a-z0-9_]{0,62}$", s.role))]
    ]))
    error_message = "database and role names must be lower-case SQL identifiers (letters, digits, underscores)."
  }
}
