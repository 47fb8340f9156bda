# The ID names the scope, then the agent (with its scope prefix), then the Argo CD project name:
# Account level: agent_id/name
terraform import harness_gitops_app_project.ml account.mlagent/ml
# Org level: org_id/agent_id/name
terraform import harness_gitops_app_project.ml default/org.mlagent/ml
# Project level: org_id/project_id/agent_id/name
terraform import harness_gitops_app_project.ml default/mlplatform/mlagent/ml
