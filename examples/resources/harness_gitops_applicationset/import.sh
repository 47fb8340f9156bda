# ApplicationSets are project-scoped: org_id/project_id/agent_id/name (Harness's identifier,
# a UUID, works in place of the name too).
terraform import harness_gitops_applicationset.training default/mlplatform/mlagent/ml-training

# `wait` and `timeouts` are Terraform's own settings, not the ApplicationSet's: the first
# apply after an import records them and changes nothing in Harness.
