# The remote state of this environment: `terraform init -backend-config=backend.hcl`. The
# bucket is made once, before the first init, with versioning and default encryption on
# (docs/operations/terraform.md, The pipeline); replace its name with your account's.
bucket = "orderflow-terraform-state-production"
key    = "orderflow/production/terraform.tfstate"
region = "eu-west-1"
