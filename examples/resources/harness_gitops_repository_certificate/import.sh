# The ID names the scope, then the agent (with its scope prefix), then the certificate:
# `ssh:<key type>:<server name>` for an SSH known-hosts key, `https:<server name>` for a TLS
# certificate.
# Account level: agent_id/certificate
terraform import harness_gitops_repository_certificate.git_ssh account.mlagent/ssh:ssh-ed25519:git.acme-ml.dev
terraform import harness_gitops_repository_certificate.git_https account.mlagent/https:git.acme-ml.dev
# Org level: org_id/agent_id/certificate
terraform import harness_gitops_repository_certificate.shared default/org.mlagent/https:git.acme-ml.dev
# Project level: org_id/project_id/agent_id/certificate
terraform import harness_gitops_repository_certificate.team default/mlplatform/mlagent/ssh:ssh-ed25519:git.acme-ml.dev
