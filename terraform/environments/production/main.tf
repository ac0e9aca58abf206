# The AWS baseline of one environment, wired from the modules.
locals {
  name = "orderflow-${var.environment}"
  tags = merge(var.tags, {
    Project     = "orderflow"
    Environment = var.environment
    ManagedBy   = "terraform"
    CostCenter  = var.cost_center
    # One value per environment of the project: what its budget filters on.
    Deployment = "orderflow-${var.environment}"
    # Shared platform by default; a resource of one service (its ECR repository) says which.
    Service = "shared"
  })
}

module "observability" {
  source             = "../../modules/observability"
  name               = local.name
  log_retention_days = var.log_retention_days
  tags               = local.tags
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cidr_block         = var.vpc_cidr
  availability_zones = var.availability_zones
  flow_log_group_arn = module.observability.flow_log_group_arn
  flow_log_role_arn  = module.observability.flow_log_role_arn
  tags               = local.tags
}

module "ecr" {
  source      = "../../modules/ecr"
  name        = "orderflow"
  kms_key_arn = module.observability.kms_key_arn
  tags        = local.tags
}

module "eks" {
  source      = "../../modules/eks"
  name        = local.name
  subnet_ids  = module.network.private_subnet_ids
  kms_key_arn = module.observability.kms_key_arn
  node_min    = var.node_min
  node_max    = var.node_max
  # Operators reach the private endpoint over the VPC; list CIDRs here to open a public one.
  public_access_cidrs = var.eks_public_access_cidrs
  # Who may use the Kubernetes API at all (cluster admins, by EKS access entries).
  operator_principal_arns = var.eks_operator_principal_arns
  # Spot capacity is for non-production only, whatever the variable says.
  spot_enabled = var.spot_enabled && var.environment != "production"
  # The postgres-bootstrap Job reads the master password RDS rotates, at every run, rather
  # than a copy of it that the next rotation would make stale.
  pod_identities = {
    postgres-bootstrap = {
      namespace       = var.kubernetes_namespace
      service_account = "postgres-bootstrap"
      policy_json     = data.aws_iam_policy_document.postgres_bootstrap.json
    }
  }
  tags = local.tags
}

data "aws_iam_policy_document" "postgres_bootstrap" {
  statement {
    sid       = "ReadTheMasterPassword"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [module.rds.master_user_secret_arn]
  }
  statement {
    sid       = "DecryptItThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [module.observability.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com"]
    }
  }
}

module "rds" {
  source                   = "../../modules/rds"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  client_security_group_id = module.eks.cluster_security_group_id
  kms_key_arn              = module.observability.kms_key_arn
  tags                     = local.tags
}

module "elasticache" {
  source                   = "../../modules/elasticache"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  client_security_group_id = module.eks.cluster_security_group_id
  kms_key_arn              = module.observability.kms_key_arn
  auth_token               = var.redis_auth_token
  tags                     = local.tags
}

module "msk" {
  source                   = "../../modules/msk"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  client_security_group_id = module.eks.cluster_security_group_id
  kms_key_arn              = module.observability.kms_key_arn
  tags                     = local.tags
}

# The pipeline's plan and drift role: read everything, hold the state lock, read the values
# of the secrets this environment manages (a plan refreshes them), and nothing more.
module "plan_role" {
  source            = "../../modules/plan-role"
  name              = "${local.name}-terraform-plan"
  github_repository = var.github_repository
  state_bucket      = var.state_bucket
  state_key         = var.state_key
  secret_arns = concat(
    values(module.rds.service_secret_arns),
    [module.msk.scram_secret_arn, module.elasticache.auth_token_secret_arn],
  )
  secret_kms_key_arns = [module.observability.kms_key_arn, module.msk.scram_kms_key_arn]
  region              = var.region
  tags                = local.tags
}

module "budgets" {
  source                        = "../../modules/budgets"
  name                          = local.name
  monthly_limit_usd             = var.monthly_budget_usd
  actual_thresholds_percent     = [80, 100]
  forecast_thresholds_percent   = [100]
  alert_emails                  = var.budget_alert_emails
  cost_filter_tag               = { key = "Deployment", value = local.name }
  activate_cost_allocation_tags = var.activate_cost_allocation_tags
  kms_key_arn                   = module.observability.kms_key_arn
  tags                          = local.tags
}
