# A project-level agent, installed by the provider into the cluster of the kubeconfig: the
# namespace is created, the agent's manifest is fetched with the agent's own token and
# server-side applied, and the apply waits until Harness reports the agent connected and every
# component healthy. Other GitOps resources take its prefixed_identifier as agent_id.
resource "harness_gitops_agent" "ml" {
  identifier  = "mlagent"
  name        = "ml-agent"
  description = "Argo CD for the ML platform"
  org_id      = "default"
  project_id  = "mlplatform"
  type        = "MANAGED_ARGO_PROVIDER"
  namespace   = "gitops-agent"
  tags        = { team = "ml-platform" }

  install = {
    config_path    = "~/.kube/config"
    config_context = "gpu-cluster"
  }

  # Change to issue a new token (the install applies it to the cluster).
  credentials_version = "2026-12"

  timeouts {
    create = "15m"
  }
}

# An agent registered only: install it with your own tools from the
# harness_gitops_agent_deploy_yaml data source.
resource "harness_gitops_agent" "byoa" {
  identifier = "byoa"
  name       = "existing-argocd"
  type       = "CONNECTED_ARGO_PROVIDER"
  namespace  = "argocd"
}

resource "harness_gitops_repository" "manifests" {
  identifier = "ml_pipeline_manifests"
  agent_id   = harness_gitops_agent.ml.prefixed_identifier
  url        = "https://github.com/acme-ml/pipeline-manifests.git"
}
