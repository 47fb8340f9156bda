data "harness_gitops_repository_credentials" "acme_ml" {
  identifier = "acme_ml_github"
  agent_id   = "account.mlagent"
}

output "acme_ml_prefix" {
  value = data.harness_gitops_repository_credentials.acme_ml.url
}
