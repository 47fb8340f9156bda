# An Argo CD project for an ML platform: applications deploy from the team's repositories to
# the GPU namespaces, training jobs never sync at night, and the ML team may sync.
resource "harness_gitops_app_project" "ml" {
  agent_id    = "mlagent"
  org_id      = "default"
  project_id  = "mlplatform"
  name        = "ml"
  description = "ML platform: training and serving on GPU nodes"

  source_repos = ["https://github.com/acme/ml-*"]
  destinations = [
    { server = "https://gpu.example.com", namespace = "gpu-*" },
    { name = "in-cluster", namespace = "ml-serving" },
  ]
  cluster_resource_whitelist = [{ group = "", kind = "Namespace" }]

  roles = [{
    name     = "trainer"
    policies = ["p, proj:ml:trainer, applications, sync, ml/*, allow"]
    groups   = ["ml-team"]
  }]

  sync_windows = [{
    kind       = "deny"
    schedule   = "0 22 * * *"
    duration   = "8h"
    namespaces = ["gpu-*"]
    time_zone  = "UTC"
  }]

  orphaned_resources = { warn = true }
  labels             = { team = "ml" }
}

# Applications name the project. One whose repository or destination the project does not
# permit fails the plan with Argo CD's reason once the project exists (in the run that
# creates or changes the project, Argo CD refuses it at apply with the same reason).
resource "harness_gitops_application" "training" {
  agent_id             = "mlagent"
  org_id               = "default"
  project_id           = "mlplatform"
  name                 = "training"
  argo_project         = harness_gitops_app_project.ml.name
  skip_repo_validation = true
  destination = {
    server    = "https://gpu.example.com"
    namespace = "gpu-training"
  }
  sources = [{
    repo_url        = "https://github.com/acme/ml-training.git"
    path            = "jobs"
    target_revision = "main"
  }]
}
