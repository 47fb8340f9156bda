# The ID names the scope, then the agent (with its scope prefix), then the identifier:
# Account level: agent_id/identifier
terraform import harness_gitops_cluster.eks account.mlagent/ml_eks
# Org level: org_id/agent_id/identifier
terraform import harness_gitops_cluster.shared default/org.mlagent/ml_shared
# Project level: org_id/project_id/agent_id/identifier
terraform import harness_gitops_cluster.gpu default/mlplatform/mlagent/ml_gpu

# After an import, `terraform plan` shows no change except for what the API cannot return:
# secrets (bearer token, password, TLS client certificate and key) come back masked, and the
# next apply sends the configured value once. A bootstrapped cluster also shows `bootstrap`
# being added (and `ca_data`, which the bootstrap manages, going away): the next apply adopts
# the existing Kubernetes objects (they carry this cluster's ID in an annotation), makes
# nothing new, and registers their token again.
