# The agent's token, handed to another provider without being stored in plan or state
# (Terraform 1.10+; write-only arguments need 1.11).
resource "harness_gitops_agent" "ml" {
  identifier = "mlagent"
  name       = "ml-agent"
  type       = "MANAGED_ARGO_PROVIDER"
  namespace  = "gitops-agent"
}

# `id` is known once the agent exists, so the token is read after the create.
ephemeral "harness_gitops_agent_credentials" "ml" {
  id = harness_gitops_agent.ml.id
}

# e.g. the agent installed with the Helm provider from Harness's chart:
# resource "helm_release" "agent" {
#   name       = "gitops-agent"
#   repository = "https://harness.github.io/gitops-helm/"
#   chart      = "gitops-helm"
#   namespace  = "gitops-agent"
#   set_wo = [{
#     name  = "harness.secrets.agentSecret"
#     value = ephemeral.harness_gitops_agent_credentials.ml.token
#   }]
#   set_wo_revision = 1
# }
