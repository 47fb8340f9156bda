data "harness_gitops_agent" "ml" {
  identifier = "mlagent"
  org_id     = "default"
  project_id = "mlplatform"
}

output "agent" {
  value = {
    agent_id   = data.harness_gitops_agent.ml.prefixed_identifier
    connection = data.harness_gitops_agent.ml.connection_status
    version    = data.harness_gitops_agent.ml.version
  }
}
