output "repositories" {
  description = "Import ID and connection status of each repository."
  value = {
    for k, r in harness_gitops_repository.this : k => {
      id         = r.id
      connection = r.connection_status
    }
  }
}

output "applications" {
  description = "Import ID, sync and health status and deployed revision of each pipeline."
  value = {
    for k, a in harness_gitops_application.this : k => {
      id       = a.id
      sync     = a.sync_status
      health   = a.health_status
      revision = a.synced_revision
    }
  }
}

output "agent_id" {
  description = "The agent the pipelines use (null: the provider's default)."
  value       = local.agent_id
}

output "fleet" {
  description = "The fleet's ApplicationSet (null without `fleet`): its import ID, and each generated application's sync and health status by name."
  value = var.fleet == null ? null : {
    id = harness_gitops_applicationset.fleet[0].id
    applications = {
      for a in harness_gitops_applicationset.fleet[0].applications : a.name => {
        sync   = a.sync_status
        health = a.health_status
      }
    }
  }
}
