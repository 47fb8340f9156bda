# The ML platform's pipelines, deployed with the `ml-pipeline` module: each entry of
# `pipelines` becomes an Argo CD application, synced and waited for. `endpoint`, `account_id`
# and `api_key` come from HARNESS_ENDPOINT, HARNESS_ACCOUNT_ID and HARNESS_PLATFORM_API_KEY.

terraform {
  required_version = ">= 1.11"
  required_providers {
    harness = {
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}

provider "harness" {
  org_id     = var.org_id
  project_id = var.project_id
  agent_id   = var.agent_id
}

variable "org_id" {
  type    = string
  default = "default"
}

variable "project_id" {
  type    = string
  default = "mlplatform"
}

variable "agent_id" {
  type    = string
  default = "mlagent"
}

module "ml_pipeline" {
  source = "../modules/ml-pipeline"

  repositories = {
    ml_pipeline_manifests = { url = "https://github.com/acme-ml/pipeline-manifests.git" }
    ml_serving_charts     = { url = "https://charts.acme-ml.dev/serving", type = "helm", name = "ml-serving" }
  }

  pipelines = {
    "feature-pipeline" = {
      repository      = "ml_pipeline_manifests"
      path            = "features"
      target_revision = "main"
      namespace       = "ml-features"
    }
    "training" = {
      repository      = "ml_pipeline_manifests"
      path            = "training/overlays/prod"
      target_revision = "main"
      namespace       = "ml-training"
      labels          = { stage = "train" }
    }
    "model-serving" = {
      repository      = "ml_serving_charts"
      chart           = "model-server"
      target_revision = "1.4.2"
      namespace       = "ml-serving"
      helm_values     = "replicas: 2\n"
      automated       = false
    }
  }
}

output "pipelines" {
  value = module.ml_pipeline.applications
}
