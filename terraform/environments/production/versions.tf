terraform {
  # 1.10: the S3 backend locks the state with a lock file of its own (use_lockfile).
  required_version = ">= 1.10.0"
  # The state lives in S3, versioned and encrypted, locked while a plan or an apply runs. The
  # bucket, key and region come from backend.hcl (`terraform init -backend-config=backend.hcl`)
  # so that each account keeps its own; docs/operations/terraform.md, The pipeline.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    # The services' database and Kafka passwords.
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}
