data "harness_gitops_app_project_mapping" "ml" {
  argo_project_name = "ml"
  agent_id          = "account.mlagent"
  org_id            = "default"
  project_id        = "mlplatform"
}

output "ml_mapping" {
  value = data.harness_gitops_app_project_mapping.ml.identifier
}
