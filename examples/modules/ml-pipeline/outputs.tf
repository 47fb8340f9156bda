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
