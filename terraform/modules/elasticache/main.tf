# Redis for sessions and carts: private, encrypted at rest (KMS) and in transit, AUTH token,
# automatic failover across availability zones.
resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Redis: reachable from the EKS cluster only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_cluster" {
  security_group_id            = aws_security_group.this.id
  description                  = "Redis from the EKS cluster"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_subnet_group" "this" {
  name       = "${var.name}-redis"
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = "${var.name}-redis"
  description                = "orderflow sessions and carts"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = var.auth_token
  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true
  tags                       = var.tags
}

# The AUTH token again, where the cluster's operators can read it (the pipeline's copy is a
# write-only repository secret): the Kubernetes Secret of checkout-service is made from it.
resource "aws_secretsmanager_secret" "auth_token" {
  name        = "${var.name}/redis/auth-token"
  description = "Redis AUTH token of ${var.name} (SESSION_STORE of checkout-service)"
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  secret_id     = aws_secretsmanager_secret.auth_token.id
  secret_string = var.auth_token
}
