variable "name" {
  description = "Name prefix of the repositories."
  type        = string
}

variable "services" {
  description = "Images that get a repository <name>/<image>: each service's, and the storefront's (web/ on nginx)."
  type        = list(string)
  default     = ["checkout-service", "order-service", "storefront"]
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
