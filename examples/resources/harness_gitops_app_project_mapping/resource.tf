# The Argo CD project "ml" of the agent belongs to the Harness project default/mlplatform.
resource "harness_gitops_app_project_mapping" "ml" {
  agent_id          = "account.mlagent"
  org_id            = "default"
  project_id        = "mlplatform"
  argo_project_name = "ml"
}
