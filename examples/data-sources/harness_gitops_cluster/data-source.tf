data "harness_gitops_cluster" "gpu" {
  identifier = "ml_gpu"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}

output "gpu_cluster" {
  value = {
    server     = data.harness_gitops_cluster.gpu.server
    connection = data.harness_gitops_cluster.gpu.connection_status
    version    = data.harness_gitops_cluster.gpu.server_version
  }
}
