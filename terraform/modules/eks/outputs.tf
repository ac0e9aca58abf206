output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_security_group_id" {
  description = "Security group EKS created for the cluster (the data stores allow it)."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "pod_identity_role_arns" {
  description = "IAM role of each Pod Identity association (the cluster autoscaler's included)."
  value       = { for key, role in aws_iam_role.pod : key => role.arn }
}

output "operator_principal_arns" {
  description = "The IAM principals with a cluster-admin access entry."
  value       = [for entry in aws_eks_access_entry.operator : entry.principal_arn]
}
