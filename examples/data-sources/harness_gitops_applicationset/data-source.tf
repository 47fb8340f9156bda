data "harness_gitops_applicationset" "training" {
  name       = "ml-training"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}

# The generated applications with their status, by name.
output "training_applications" {
  value = {
    for a in data.harness_gitops_applicationset.training.applications :
    a.name => "${a.sync_status}/${a.health_status}"
  }
}
