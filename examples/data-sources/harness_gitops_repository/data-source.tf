data "harness_gitops_repository" "manifests" {
  identifier = "ml_pipeline_manifests"
  agent_id   = "account.mlagent"
}

output "manifests_connection" {
  value = data.harness_gitops_repository.manifests.connection_status
}
