# A GPU cluster the provider bootstraps itself, as `argocd cluster add` does: a service
# account, a ClusterRole and binding, and a long-lived token Secret in the target cluster,
# then the registration in Harness with that token, the API server and its CA. The host
# usually comes from the resource that creates the cluster (unknown until apply is fine).
resource "harness_gitops_cluster" "gpu" {
  identifier = "ml_gpu"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
  labels     = { team = "ml", accelerator = "gpu" }

  bootstrap = {
    host                   = var.gpu_cluster_endpoint
    cluster_ca_certificate = var.gpu_cluster_ca # PEM, or base64-encoded PEM
    token                  = var.gpu_cluster_admin_token
    # Change it (e.g. to a time_rotating id) to issue and register a new token.
    rotate_token = "2025-q1"
  }
}

# Namespaced access: a Role and RoleBinding in each namespace instead of a ClusterRole,
# through the current context of a kubeconfig.
resource "harness_gitops_cluster" "serving" {
  identifier = "ml_serving"
  agent_id   = "account.mlagent"
  namespaces = ["model-serving", "feature-store"]

  bootstrap = {
    config_path     = pathexpand("~/.kube/config")
    config_context  = "serving-prod"
    service_account = "harness-gitops-serving"
  }
}

# A cluster registered with a token made elsewhere, sent write-only (Terraform >= 1.11).
resource "harness_gitops_cluster" "staging" {
  identifier              = "ml_staging"
  agent_id                = "account.mlagent"
  server                  = "https://staging.k8s.acme-ml.dev"
  ca_data                 = var.staging_ca
  bearer_token_wo         = var.staging_token
  bearer_token_wo_version = 1
}

# EKS through the agent's IAM role: no static credentials are stored or sent.
resource "harness_gitops_cluster" "eks" {
  identifier       = "ml_eks"
  agent_id         = "account.mlagent"
  server           = "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com"
  connection_type  = "IRSA"
  aws_cluster_name = "ml-eks"
  aws_role_arn     = "arn:aws:iam::123456789012:role/argocd-manager"
}

# Credentials the agent resolves from the Harness secret manager: no secret in Terraform.
resource "harness_gitops_cluster" "edge" {
  identifier = "ml_edge"
  agent_id   = "account.mlagent"
  server     = "https://edge.acme-ml.dev:6443"
  secret_expressions = {
    bearer_token = "<+secrets.getValue(\"account.edge_k8s_token\")>"
    ca_data      = "account.edge_k8s_ca"
  }
}

variable "gpu_cluster_endpoint" {
  type = string
}

variable "gpu_cluster_ca" {
  type = string
}

variable "gpu_cluster_admin_token" {
  type      = string
  sensitive = true
}

variable "staging_ca" {
  type = string
}

variable "staging_token" {
  type      = string
  sensitive = true
}
