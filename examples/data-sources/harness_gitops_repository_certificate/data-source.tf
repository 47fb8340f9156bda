data "harness_gitops_repository_certificate" "github" {
  agent_id      = "account.mlagent"
  server_name   = "github.com"
  cert_type     = "ssh"
  cert_sub_type = "ssh-ed25519"
}

output "github_host_key_fingerprint" {
  value = data.harness_gitops_repository_certificate.github.cert_info
}
