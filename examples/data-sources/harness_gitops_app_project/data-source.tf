data "harness_gitops_app_project" "ml" {
  name       = "ml"
  agent_id   = "mlagent"
  org_id     = "default"
  project_id = "mlplatform"
}

output "ml_destinations" {
  value = data.harness_gitops_app_project.ml.destinations
}
