variable "name" {
  description = "Name of the cluster."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes version of the control plane: 1.34, in standard support, the version the manifests are validated against (scripts/lint-infra.sh) and the local cluster runs."
  type        = string
  default     = "1.34"
  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be 1.30 or later (native preStop sleep)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the control plane ENIs and the nodes."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts Kubernetes Secrets."
  type        = string
}

variable "instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_min" {
  description = "Fewest nodes (also the initial size)."
  type        = number
  default     = 3
  validation {
    condition     = var.node_min >= 2
    error_message = "node_min must be at least 2 so a node can drain."
  }
}

variable "node_max" {
  description = "Most nodes the cluster autoscaler may run."
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags on every resource (cost allocation)."
  type        = map(string)
  default     = {}
}

variable "spot_enabled" {
  description = "Add a spot node group (non-production: dev, staging, load tests)."
  type        = bool
  default     = false
}

variable "spot_instance_types" {
  description = "Instance types of the spot node group: several of one size, so one reclaimed type does not empty it."
  type        = list(string)
  default     = ["m6i.large", "m6a.large", "m5.large", "m5a.large"]
  validation {
    condition     = length(var.spot_instance_types) >= 2
    error_message = "spot_instance_types needs at least two types to survive a reclaim of one."
  }
}

variable "spot_min" {
  description = "Initial size of the spot node group."
  type        = number
  default     = 0
}

variable "spot_max" {
  description = "Most nodes of the spot node group."
  type        = number
  default     = 6
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach a public Kubernetes API endpoint; empty (the default): the endpoint is private only."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for cidr in var.public_access_cidrs : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be CIDRs, and never 0.0.0.0/0."
  }
}

variable "pod_identities" {
  description = "Kubernetes ServiceAccounts that get an IAM role through EKS Pod Identity: key => namespace, ServiceAccount name and the role's policy (JSON)."
  type = map(object({
    namespace       = string
    service_account = string
    policy_json     = string
  }))
  default = {}
}

variable "operator_principal_arns" {
  description = "IAM roles (or users) of the operators, each given an EKS access entry with AmazonEKSClusterAdminPolicy; nobody else can use the Kubernetes API."
  type        = list(string)
  validation {
    condition     = length(var.operator_principal_arns) > 0 && alltrue([for arn in var.operator_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "operator_principal_arns must list at least one IAM role or user ARN (arn:aws:iam::<account>:role/<name>)."
  }
}
