# Account level: agent_id/identifier
terraform import harness_gitops_repository.manifests account.mlagent/ml_pipeline_manifests
# Org level: org_id/agent_id/identifier
terraform import harness_gitops_repository.shared default/org.mlagent/ml_shared
# Project level: org_id/project_id/agent_id/identifier
terraform import harness_gitops_repository.training default/mlplatform/mlagent/ml_training_code
