data "harness_gitops_gnupg_key" "release_signer" {
  key_id   = "C524E8E8F92D08BC"
  agent_id = "account.mlagent"
}

output "release_signer_fingerprint" {
  value = data.harness_gitops_gnupg_key.release_signer.fingerprint
}
