# A public key whose signatures Argo CD accepts on commits (projects' signature keys), on an
# account-level agent. Export it with `gpg --armor --export <key id>`; re-wrapping or
# re-indenting the armored text later is no change.
variable "release_signer_public_key" {
  type        = string
  description = "ASCII-armored public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)."
}

resource "harness_gitops_gnupg_key" "release_signer" {
  agent_id = "account.mlagent"
  key_data = var.release_signer_public_key
}

output "release_signer_key_id" {
  value = harness_gitops_gnupg_key.release_signer.key_id
}
