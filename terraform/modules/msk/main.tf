# Kafka (MSK) for the events: private, TLS in transit, KMS at rest, SASL/SCRAM clients,
# broker logs to CloudWatch.
resource "aws_security_group" "this" {
  name        = "${var.name}-kafka"
  description = "Kafka: reachable from the EKS cluster only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_cluster" {
  security_group_id            = aws_security_group.this.id
  description                  = "Kafka SASL/SCRAM over TLS from the EKS cluster"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 9096
  to_port                      = 9096
}

resource "aws_cloudwatch_log_group" "broker" {
  name              = "/${var.name}/msk"
  retention_in_days = 365
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_msk_configuration" "this" {
  name           = "${var.name}-kafka"
  kafka_versions = [var.kafka_version]
  server_properties = join("\n", [
    "auto.create.topics.enable=false",
    "default.replication.factor=3",
    "min.insync.replicas=2",
    "num.partitions=12",
  ])
}

resource "aws_msk_cluster" "this" {
  cluster_name           = "${var.name}-kafka"
  kafka_version          = var.kafka_version
  number_of_broker_nodes = length(var.subnet_ids)
  broker_node_group_info {
    instance_type   = var.instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.this.id]
    storage_info {
      ebs_storage_info {
        volume_size = var.volume_size_gb
      }
    }
    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }
  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }
  client_authentication {
    sasl {
      scram = true
    }
  }
  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }
  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.broker.name
      }
    }
  }
  tags = var.tags
}

# SASL/SCRAM credentials of the services. MSK reads them only from a Secrets Manager secret
# whose name starts AmazonMSK_ and that a customer-managed key encrypts (the AWS-managed
# Secrets Manager key is refused), so the secret gets a key of its own: decrypting it is
# the same as holding the Kafka password, and nothing else shares that permission.
data "aws_caller_identity" "current" {}

resource "aws_kms_key" "scram" {
  description         = "${var.name}: Kafka SASL/SCRAM credentials"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministration"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_kms_alias" "scram" {
  name          = "alias/${var.name}-kafka-scram"
  target_key_id = aws_kms_key.scram.key_id
}

# Letters and digits only: the password goes into a JAAS line (the topics Job) and a
# librdkafka setting unquoted, and needs no escaping in either.
resource "random_password" "scram" {
  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "scram" {
  name        = "AmazonMSK_${var.name}-${var.scram_username}"
  description = "Kafka SASL/SCRAM user of the orderflow services (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)"
  kms_key_id  = aws_kms_key.scram.arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "scram" {
  secret_id = aws_secretsmanager_secret.scram.id
  secret_string = jsonencode({
    username = var.scram_username
    password = random_password.scram.result
  })
}

resource "aws_msk_scram_secret_association" "this" {
  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = [aws_secretsmanager_secret.scram.arn]
  depends_on      = [aws_secretsmanager_secret_version.scram]
}
