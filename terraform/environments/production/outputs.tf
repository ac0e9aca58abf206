output "ecr_repository_urls" {
  description = "Where CI pushes the images."
  value       = module.ecr.repository_urls
}

output "ecr_registry" {
  description = "The ECR registry host: the repository variable ECR_REGISTRY, which CI pushes to and promote.yml writes into the overlays."
  value       = split("/", values(module.ecr.repository_urls)[0])[0]
}

output "terraform_plan_role_arn" {
  description = "The plan and drift role of the pipeline: the repository variable AWS_TERRAFORM_PLAN_ROLE_ARN."
  value       = module.plan_role.role_arn
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

# Where the Kubernetes Secrets' values live (docs/operations/kubernetes.md, Secrets).
output "kafka_scram_secret_arn" {
  description = "Secrets Manager secret with the Kafka SASL/SCRAM username and password (orderflow-kafka)."
  value       = module.msk.scram_secret_arn
}

output "postgres_service_secret_arns" {
  description = "Per service: Secrets Manager secret with its Postgres role's password (<service>-secrets, DATABASE_PASSWORD)."
  value       = module.rds.service_secret_arns
}

output "redis_auth_token_secret_arn" {
  description = "Secrets Manager secret with the Redis AUTH token (checkout-service-secrets, REDIS_AUTH_TOKEN)."
  value       = module.elasticache.auth_token_secret_arn
}

# The ConfigMap orderflow-infrastructure of kubernetes/overlays/production: what this
# environment's data stores are called. Applied out of band, once per environment and again
# only when an endpoint changes:
#   terraform output -raw kubernetes_infrastructure_configmap | kubectl apply -f -
output "kubernetes_infrastructure_configmap" {
  description = "Manifest of the ConfigMap orderflow-infrastructure (KAFKA_BROKERS, POSTGRES_HOST, REDIS_HOST, POSTGRES_MASTER_SECRET_ARN, AWS_REGION)."
  value = yamlencode({
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {
      name      = "orderflow-infrastructure"
      namespace = var.kubernetes_namespace
      labels = {
        "app.kubernetes.io/part-of"    = "orderflow"
        "app.kubernetes.io/managed-by" = "terraform"
      }
    }
    data = {
      KAFKA_BROKERS              = module.msk.bootstrap_brokers_sasl_scram
      POSTGRES_HOST              = module.rds.address
      POSTGRES_PORT              = tostring(module.rds.port)
      REDIS_HOST                 = module.elasticache.primary_endpoint
      REDIS_PORT                 = tostring(module.elasticache.port)
      POSTGRES_MASTER_SECRET_ARN = module.rds.master_user_secret_arn
      AWS_REGION                 = var.region
    }
  })
}

output "platform_log_group" {
  description = "CloudWatch log group of the platform."
  value       = module.observability.platform_log_group_name
}

output "budget_alert_topic_arn" {
  description = "SNS topic of the budget alerts: subscribe chat or paging to it."
  value       = module.budgets.alert_topic_arn
}
