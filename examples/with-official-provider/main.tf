# The official Harness provider (harness/harness) and this one (harness-gitops/harness) in one
# configuration. Both providers' resource types begin with `harness_`, so both would claim the
# local name `harness`. Here the root module gives each a local name of its own, and each module
# receives its provider under the name its resources expect, `harness`:
#
#   root: harnessplatform = harness/harness   ->  module "platform": harness
#         harnessgitops   = harness-gitops/harness  ->  module "gitops": harness
#
# Terraform (1.11) checks what a module's `harness` receives against the root's requirement of
# the same local name: the root must not declare `harness` as the official provider while it
# passes this one to a module's `harness` ("Provider type mismatch"), hence the two names.

terraform {
  required_version = ">= 1.11"
  required_providers {
    harnessplatform = {
      source  = "harness/harness"
      version = ">= 0.30"
    }
    harnessgitops = {
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}

variable "account_id" {
  description = "Harness account identifier."
  type        = string
}

variable "api_key" {
  description = "Harness API key, for both providers."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The official provider: organisations, projects, connectors, secrets.
provider "harnessplatform" {
  endpoint         = "https://app.harness.io/gateway"
  account_id       = var.account_id
  platform_api_key = var.api_key
}

# This provider.
provider "harnessgitops" {
  account_id = var.account_id
  api_key    = var.api_key
  agent_id   = "account.mlagent"
}

# The organisation and project, with the official provider.
module "platform" {
  source = "./platform"
  providers = {
    harness = harnessplatform
  }
}

# GitOps objects of that project, in a module written with the usual local name `harness`.
module "gitops" {
  source = "./gitops"
  providers = {
    harness = harnessgitops
  }

  org_id     = module.platform.org_id
  project_id = module.platform.project_id
}

# Or one resource at a time, in the root module: the `provider` meta-argument names it.
resource "harness_gitops_repository" "shared_charts" {
  provider = harnessgitops

  identifier = "shared_charts"
  url        = "https://charts.example.com/ml"
  type       = "helm"
}

output "pipeline" {
  description = "The pipeline application's import ID and status."
  value       = module.gitops.application
}
