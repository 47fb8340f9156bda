# A module of GitOps objects. It names this provider `harness`, as any module of it would; the
# caller decides which provider configuration that is.

terraform {
  required_providers {
    harness = {
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}

variable "org_id" {
  description = "Organization of the GitOps objects (from the official provider's organization)."
  type        = string
}

variable "project_id" {
  description = "Project of the GitOps objects (from the official provider's project)."
  type        = string
}

resource "harness_gitops_repository" "manifests" {
  org_id     = var.org_id
  project_id = var.project_id
  identifier = "ml_manifests"
  url        = "https://github.com/acme/ml-manifests.git"
}

resource "harness_gitops_application" "trainer" {
  org_id       = var.org_id
  project_id   = var.project_id
  name         = "trainer"
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier

  destination = {
    server    = "https://kubernetes.default.svc"
    namespace = "ml-training"
  }
  sources = [{
    repo_url = harness_gitops_repository.manifests.url
    path     = "trainer"
  }]
  sync_policy = {
    automated = { prune = true, self_heal = true }
  }
}

output "application" {
  description = "Import ID, sync and health status of the application."
  value = {
    id     = harness_gitops_application.trainer.id
    sync   = harness_gitops_application.trainer.sync_status
    health = harness_gitops_application.trainer.health_status
  }
}
