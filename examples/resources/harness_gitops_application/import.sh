# Applications are project-scoped: org_id/project_id/agent_id/name.
terraform import harness_gitops_application.training default/mlplatform/mlagent/ml-training

# The plan after an import is empty for a configuration that matches the application.
# Terraform's own settings (`wait`, `sync_on_apply`, `timeouts` and the delete options) are
# not part of the application and cannot be imported: the first apply that adds them records
# them and changes nothing in Harness. `import` blocks with `terraform plan
# -generate-config-out=generated.tf` write a configuration that validates as it is.
