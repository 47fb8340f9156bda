# Quickstart: the Git and Helm repositories an ML pipeline deploys from, registered with a
# Harness GitOps agent, and the Kubernetes cluster it deploys to. `scripts/quickstart.sh` runs it
# against a local harness-gitops-emulator and kube-api-emulator; the same configuration works
# against a real Harness account and a real cluster (see README.md).

terraform {
  required_version = ">= 1.11"
  required_providers {
    harness = {
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}

# endpoint, account_id and api_key come from HARNESS_ENDPOINT, HARNESS_ACCOUNT_ID and
# HARNESS_PLATFORM_API_KEY; the Kubernetes connection from KUBECONFIG. Scope defaults are set
# once here and inherited by every resource; the agent below is made by this configuration,
# and every GitOps object names it through its `prefixed_identifier`.
provider "harness" {
  org_id     = var.org_id
  project_id = var.project_id
}

variable "org_id" {
  description = "Harness organization of the ML platform project."
  type        = string
  default     = "default"
}

variable "project_id" {
  description = "Harness project that owns the pipeline."
  type        = string
  default     = "mlplatform"
}

variable "agent_id" {
  description = "Identifier of the project's GitOps agent, created and installed by this configuration."
  type        = string
  default     = "mlagent"
}

# --- Agent (harness_gitops_agent) ----------------------------------------------------------------
# The GitOps agent, from nothing: registered in Harness, then installed by the provider into the
# cluster (namespace created, the agent's manifest fetched with its own token and server-side
# applied), and waited for until Harness reports it connected and every component healthy. Its
# token never reaches plan or state. Destroy removes what the install applied, then the agent.
resource "harness_gitops_agent" "ml" {
  identifier  = var.agent_id
  name        = "ml-agent"
  description = "Argo CD for the ML platform"
  type        = "MANAGED_ARGO_PROVIDER"
  namespace   = "gitops-agent"
  install     = {}
}

output "agent" {
  description = "The agent: what other resources take as agent_id, its connection and what the install applied."
  value = {
    agent_id   = harness_gitops_agent.ml.prefixed_identifier
    connection = harness_gitops_agent.ml.connection_status
    version    = harness_gitops_agent.ml.version
    health     = { for k, c in harness_gitops_agent.ml.health : k => c.status }
    objects    = length(harness_gitops_agent.ml.install.objects)
  }
}
# --- end agent ------------------------------------------------------------------------------------

variable "git_token" {
  description = "Token for the private training-code repository. Sent write-only: never stored in state."
  type        = string
  sensitive   = true
  default     = "quickstart-token-not-a-secret"
}

# Kubernetes manifests of the pipeline (public, anonymous HTTPS).
resource "harness_gitops_repository" "manifests" {
  agent_id   = harness_gitops_agent.ml.prefixed_identifier
  identifier = "ml_pipeline_manifests"
  name       = "ml-pipeline-manifests"
  url        = "https://github.com/acme-ml/pipeline-manifests.git"
}

# Helm charts of the model-serving stack.
resource "harness_gitops_repository" "serving_charts" {
  agent_id   = harness_gitops_agent.ml.prefixed_identifier
  identifier = "ml_serving_charts"
  name       = "ml-serving"
  type       = "helm"
  url        = "https://charts.acme-ml.dev/serving"
}

# Private training code, authenticated with a token that never reaches plan or state.
# Bump password_wo_version to rotate the token.
resource "harness_gitops_repository" "training" {
  agent_id            = harness_gitops_agent.ml.prefixed_identifier
  identifier          = "ml_training_code"
  name                = "ml-training"
  url                 = "https://github.com/acme-ml/training.git"
  username            = "git"
  password_wo         = var.git_token
  password_wo_version = 1
}

# --- Cluster (harness_gitops_cluster) ----------------------------------------------------------
# The Kubernetes cluster the pipeline deploys to. The provider bootstraps it the way
# `argocd cluster add` does (a service account, a ClusterRole and binding, a long-lived token
# Secret), through the kubeconfig in KUBECONFIG (the quickstart's emulated cluster), then
# registers it in Harness with that token, the API server and its CA: no hand-made token.
resource "harness_gitops_cluster" "ml" {
  agent_id   = harness_gitops_agent.ml.prefixed_identifier
  identifier = "ml_cluster"
  name       = "ml-cluster"
  bootstrap  = {}
}

output "cluster" {
  description = "The registered cluster: import ID, API server, connection status, and the Kubernetes objects the bootstrap manages."
  value = {
    id         = harness_gitops_cluster.ml.id
    server     = harness_gitops_cluster.ml.server
    connection = harness_gitops_cluster.ml.connection_status
    objects    = [for o in harness_gitops_cluster.ml.bootstrap.objects : "${o.kind} ${o.namespace}/${o.name}"]
  }
}
# --- end cluster --------------------------------------------------------------------------------

output "repositories" {
  description = "Import IDs and connection status of every repository."
  value = {
    for r in [
      harness_gitops_repository.manifests,
      harness_gitops_repository.serving_charts,
      harness_gitops_repository.training,
    ] : r.identifier => { id = r.id, url = r.url, connection = r.connection_status }
  }
}

# ---- harness_gitops_application: the ML pipeline itself ------------------------------------
# The training pipeline, deployed by Argo CD from the manifests repository to the cluster the
# provider bootstrapped above. The apply waits until Argo CD reports it Synced and Healthy (or
# fails at once with Argo CD's message).

resource "harness_gitops_application" "ml_pipeline" {
  agent_id     = harness_gitops_agent.ml.prefixed_identifier
  name         = "ml-pipeline"
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  cluster_id   = harness_gitops_cluster.ml.identifier

  destination = {
    server    = harness_gitops_cluster.ml.server
    namespace = "ml-pipeline"
  }
  sources = [{
    repo_url        = harness_gitops_repository.manifests.url
    path            = "pipelines/training"
    target_revision = "main"
  }]
  sync_policy = {
    automated    = { prune = true, self_heal = true }
    sync_options = ["CreateNamespace=true"]
  }

  wait = {}
  timeouts {
    create = "5m"
    update = "5m"
  }
}

output "ml_pipeline" {
  description = "The ML pipeline application as Argo CD reports it."
  value = {
    id              = harness_gitops_application.ml_pipeline.id
    sync_status     = harness_gitops_application.ml_pipeline.sync_status
    health_status   = harness_gitops_application.ml_pipeline.health_status
    synced_revision = harness_gitops_application.ml_pipeline.synced_revision
    reconciled_at   = harness_gitops_application.ml_pipeline.reconciled_at
  }
}
# ---- end of harness_gitops_application -------------------------------------------------------
