variable "name" {
  description = "Name prefix of the resources."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the cache."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "Security group allowed to connect (the EKS cluster's)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest."
  type        = string
}

variable "auth_token" {
  description = "Redis AUTH token, from a secret store (never committed): TF_VAR_redis_auth_token."
  type        = string
  sensitive   = true
  validation {
    # Letters and digits: the token goes into a rediss:// URL by Kubernetes variable
    # expansion, where most of the other characters ElastiCache accepts would need encoding.
    condition     = can(regex("^[A-Za-z0-9]{16,128}$", var.auth_token))
    error_message = "auth_token must be 16 to 128 letters or digits (openssl rand -hex 32)."
  }
}

variable "node_type" {
  description = "Cache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}
