variable "name" {
  description = "Name of the role."
  type        = string
}

variable "github_repository" {
  description = "The GitHub repository (<owner>/<name>) whose workflows may assume the role."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be <owner>/<name>."
  }
}

variable "state_bucket" {
  description = "S3 bucket of the state (backend.hcl's bucket)."
  type        = string
}

variable "state_key" {
  description = "Key of the state in the bucket (backend.hcl's key); the lock file is <key>.tflock."
  type        = string
}

variable "secret_arns" {
  description = "The Secrets Manager secrets whose values Terraform manages, and so reads on every plan."
  type        = list(string)
}

variable "secret_kms_key_arns" {
  description = "The KMS keys those secrets are encrypted with."
  type        = list(string)
}

variable "region" {
  description = "Region of the secrets (the kms:ViaService condition)."
  type        = string
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}
