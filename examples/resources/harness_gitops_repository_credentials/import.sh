# The ID names the scope, then the agent (with its scope prefix), then the identifier:
# Account level: agent_id/identifier
terraform import harness_gitops_repository_credentials.acme_ml account.mlagent/acme_ml_github
# Org level: org_id/agent_id/identifier
terraform import harness_gitops_repository_credentials.shared default/org.mlagent/acme_shared
# Project level: org_id/project_id/agent_id/identifier
terraform import harness_gitops_repository_credentials.team default/mlplatform/mlagent/acme_team

# The API returns secrets masked, so they cannot be imported: after an import, add them to the
# configuration (preferably as `*_wo` write-only attributes) and apply once.
