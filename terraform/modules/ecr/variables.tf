variable "name" {
  description = "Name prefix of the repositories."
  type        = string
}

variable "services" {
  description = "Services that get a repository."
  type        = list(string)
  default     = ["checkout-service", "order-service"]
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}
