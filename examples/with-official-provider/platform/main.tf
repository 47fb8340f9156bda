# A module of the official provider's objects. It names that provider `harness`, as its own
# documentation does; the caller decides which provider configuration that is.

terraform {
  required_providers {
    harness = {
      source  = "harness/harness"
      version = ">= 0.30"
    }
  }
}

resource "harness_platform_organization" "ml" {
  identifier  = "ml"
  name        = "Machine learning"
  description = "Teams that train and serve models"
}

resource "harness_platform_project" "platform" {
  identifier = "mlplatform"
  name       = "ML platform"
  org_id     = harness_platform_organization.ml.id
  color      = "#0063F7"
}

output "org_id" {
  description = "The organisation's identifier."
  value       = harness_platform_organization.ml.id
}

output "project_id" {
  description = "The project's identifier."
  value       = harness_platform_project.platform.id
}
