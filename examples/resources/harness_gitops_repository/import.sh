# The ID names the scope, then the agent (with its scope prefix), then the identifier:
# Account level: agent_id/identifier
terraform import harness_gitops_repository.manifests account.mlagent/ml_pipeline_manifests
# Org level: org_id/agent_id/identifier
terraform import harness_gitops_repository.shared default/org.mlagent/ml_shared
# Project level: org_id/project_id/agent_id/identifier
terraform import harness_gitops_repository.training default/mlplatform/mlagent/ml_training_code

# After an import, `terraform plan` shows no change except for secrets (password, SSH and TLS
# keys, GitHub App key): the API returns them masked, so they cannot be imported, and the next
# apply sends the configured value once. `import` blocks with `terraform plan
# -generate-config-out=generated.tf` write a configuration that validates as it is; add the
# secrets (preferably as `*_wo` write-only attributes) before applying if the agent needs them.
