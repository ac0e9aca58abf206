variable "name" {
  description = "Name prefix of the resources."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the brokers."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one broker in each."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 3
    error_message = "MSK needs three subnets here: replication factor 3, min.insync.replicas 2."
  }
}

variable "client_security_group_id" {
  description = "Security group allowed to connect (the EKS cluster's)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest and the broker logs."
  type        = string
}

variable "kafka_version" {
  description = "Kafka version."
  type        = string
  default     = "3.6.0"
}

variable "instance_type" {
  description = "Broker instance type."
  type        = string
  default     = "kafka.m7g.large"
}

variable "volume_size_gb" {
  description = "EBS storage per broker, in GiB."
  type        = number
  default     = 100
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}

variable "scram_username" {
  description = "SASL/SCRAM user name of the services (KAFKA_SASL_USERNAME)."
  type        = string
  default     = "orderflow"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,63}$", var.scram_username))
    error_message = "scram_username must be 3 to 64 lower-case letters, digits or dashes."
  }
}
