output "ecr_repository_urls" {
  description = "Where CI pushes the images."
  value       = module.ecr.repository_urls
}

output "eks_cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "postgres_endpoint" {
  description = "RDS endpoint for DATABASE_URL (databases orderflow_checkout and orderflow_order)."
  value       = module.rds.endpoint
}

output "redis_endpoint" {
  description = "ElastiCache primary endpoint for SESSION_STORE (rediss://)."
  value       = module.elasticache.primary_endpoint
}

output "kafka_bootstrap_brokers" {
  description = "MSK bootstrap servers for KAFKA_BROKERS (KAFKA_SECURITY_PROTOCOL=sasl_ssl)."
  value       = module.msk.bootstrap_brokers_sasl_scram
}

output "platform_log_group" {
  description = "CloudWatch log group of the platform."
  value       = module.observability.platform_log_group_name
}

output "budget_alert_topic_arn" {
  description = "SNS topic of the budget alerts: subscribe chat or paging to it."
  value       = module.budgets.alert_topic_arn
}
