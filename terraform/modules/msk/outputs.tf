output "bootstrap_brokers_sasl_scram" {
  description = "Bootstrap servers for KAFKA_BROKERS (SASL/SCRAM over TLS)."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "scram_secret_arn" {
  description = "Secrets Manager secret (AmazonMSK_...) with the SASL/SCRAM username and password."
  value       = aws_secretsmanager_secret.scram.arn
}

output "scram_kms_key_arn" {
  description = "KMS key that encrypts the SASL/SCRAM secret; reading the secret needs kms:Decrypt on it."
  value       = aws_kms_key.scram.arn
}
