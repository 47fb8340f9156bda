data "harness_gitops_application" "training" {
  name       = "ml-training"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}

output "training_status" {
  value = {
    sync     = data.harness_gitops_application.training.sync_status
    health   = data.harness_gitops_application.training.health_status
    revision = data.harness_gitops_application.training.synced_revision
    path     = data.harness_gitops_application.training.sources[0].path
  }
}
