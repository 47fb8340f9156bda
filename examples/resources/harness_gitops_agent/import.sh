# The ID names the scope, then the identifier:
# Account level: identifier
terraform import harness_gitops_agent.ml mlagent
# Org level: org_id/identifier
terraform import harness_gitops_agent.ml default/mlagent
# Project level: org_id/project_id/identifier
terraform import harness_gitops_agent.ml default/mlplatform/mlagent

# An import reads the agent; `install` is the provider's own record of what it applied and is
# not imported: a configuration with `install` applies the manifest on the next apply (with the
# agent's current token, so the running agent is not locked out).
