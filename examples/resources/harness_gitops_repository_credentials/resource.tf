# One credential template for every repository of a GitHub organisation, with a write-only
# token (Terraform >= 1.11): the token never reaches plan or state; bump password_wo_version
# to rotate it.
resource "harness_gitops_repository_credentials" "acme_ml" {
  identifier          = "acme_ml_github"
  agent_id            = "account.mlagent"
  url                 = "https://github.com/acme-ml/"
  username            = "ml-bot"
  password_wo         = var.github_token
  password_wo_version = 1
}

# Repositories under the prefix need no credentials of their own: the agent uses the
# template's (their `inherited_creds` is true).
resource "harness_gitops_repository" "training" {
  identifier = "ml_training_code"
  agent_id   = "account.mlagent"
  url        = "${harness_gitops_repository_credentials.acme_ml.url}training.git"
}

# SSH: a template for SSH URLs of the same organisation.
resource "harness_gitops_repository_credentials" "acme_ml_ssh" {
  identifier                 = "acme_ml_ssh"
  agent_id                   = "account.mlagent"
  url                        = "git@github.com:acme-ml/"
  ssh_private_key_wo         = var.deploy_key
  ssh_private_key_wo_version = 1
}

variable "github_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "deploy_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
