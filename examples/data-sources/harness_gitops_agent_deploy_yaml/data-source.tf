# The agent's manifest for installing it with your own tools. It embeds the agent's token:
# the outputs are sensitive and, as data source results, stored in state. Prefer the agent's
# `install` (the token never reaches state) where you can.
data "harness_gitops_agent_deploy_yaml" "byoa" {
  identifier = "byoa"
  namespace  = "argocd"
  skip_crds  = true
}

# e.g. with the kubectl provider, one manifest per document:
# data "kubectl_file_documents" "agent" { content = data.harness_gitops_agent_deploy_yaml.byoa.yaml }
# resource "kubectl_manifest" "agent" {
#   for_each  = data.kubectl_file_documents.agent.manifests
#   yaml_body = each.value
# }
