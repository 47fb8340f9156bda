# A public Git repository at account level, through an account-level agent.
resource "harness_gitops_repository" "manifests" {
  identifier = "ml_pipeline_manifests"
  agent_id   = "account.mlagent"
  url        = "https://github.com/acme-ml/pipeline-manifests.git"
}

# A private repository in a project, with a write-only token (Terraform >= 1.11):
# the token never reaches plan or state; bump password_wo_version to rotate it.
resource "harness_gitops_repository" "training" {
  identifier          = "ml_training_code"
  org_id              = "default"
  project_id          = "mlplatform"
  agent_id            = "mlagent"
  argo_project        = "ml"
  url                 = "https://github.com/acme-ml/training.git"
  username            = "git"
  password_wo         = var.git_token
  password_wo_version = 1
}

# A Helm chart repository (HTTPS).
resource "harness_gitops_repository" "charts" {
  identifier = "ml_serving_charts"
  agent_id   = "account.mlagent"
  type       = "helm"
  name       = "ml-serving"
  url        = "https://charts.acme-ml.dev/serving"
}

# Helm charts in ECR: the agent gets a registry token and refreshes it every hour.
resource "harness_gitops_repository" "ecr_charts" {
  identifier       = "ml_ecr_charts"
  agent_id         = "account.mlagent"
  type             = "oci"
  name             = "ml-ecr"
  url              = "oci://123456789012.dkr.ecr.us-east-1.amazonaws.com"
  gen_type         = "AWS_ECR"
  refresh_interval = "1h"
  ecr_gen = {
    region = "us-east-1"
    role   = "arn:aws:iam::123456789012:role/argocd-ecr"
  }
}

variable "git_token" {
  type      = string
  sensitive = true
}
