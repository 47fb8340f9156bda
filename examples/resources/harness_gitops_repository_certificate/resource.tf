# The SSH host key of a Git server, as one known-hosts line `host type key` splits:
# server_name = host, cert_sub_type = type, cert_data = key (`ssh-keyscan git.acme-ml.dev`).
resource "harness_gitops_repository_certificate" "git_ssh" {
  agent_id      = "account.mlagent"
  server_name   = "git.acme-ml.dev"
  cert_type     = "ssh"
  cert_sub_type = "ssh-ed25519"
  cert_data     = "AAAAC3NzaC1lZDI1NTE5AAAAIFPWokuucOGrAvW4+uobKDA8hAADhJVIh1cnBuJGv2uC"
}

# The TLS certificate (PEM) of a Git server with a private CA.
variable "git_server_certificate_pem" {
  type = string
}

resource "harness_gitops_repository_certificate" "git_https" {
  agent_id    = "account.mlagent"
  server_name = "git.acme-ml.dev"
  cert_type   = "https"
  cert_data   = var.git_server_certificate_pem
}

output "git_ssh_fingerprint" {
  value = harness_gitops_repository_certificate.git_ssh.cert_info
}
