output "bootstrap_brokers_sasl_scram" {
  description = "Bootstrap servers for KAFKA_BROKERS (SASL/SCRAM over TLS)."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}
