# The ID names the scope, then the agent (with its scope prefix), then the key ID
# (16 hex digits, as `gpg --list-keys --keyid-format long` shows it):
# Account level: agent_id/key_id
terraform import harness_gitops_gnupg_key.release_signer account.mlagent/C524E8E8F92D08BC
# Org level: org_id/agent_id/key_id
terraform import harness_gitops_gnupg_key.shared default/org.mlagent/C524E8E8F92D08BC
# Project level: org_id/project_id/agent_id/key_id
terraform import harness_gitops_gnupg_key.team default/mlplatform/mlagent/C524E8E8F92D08BC

# After an import the state holds the key text as Harness returns it; a configuration with
# the same key in another wrapping plans no change.
