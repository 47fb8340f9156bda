# The training job of an ML pipeline: one Git source, synced automatically. The apply waits
# until Argo CD reports the application Synced and Healthy, and fails at once with Argo CD's
# message if the sync fails.
resource "harness_gitops_application" "training" {
  name         = "ml-training"
  org_id       = "default"
  project_id   = "mlplatform"
  agent_id     = "mlagent"
  argo_project = "default" # mandatory since Argo CD 2.12
  repo_id      = "ml_pipeline_manifests"

  destination = {
    server    = "https://kubernetes.default.svc"
    namespace = "ml-training"
  }
  sources = [{
    repo_url        = "https://github.com/acme-ml/pipeline-manifests.git"
    path            = "training/overlays/prod"
    target_revision = "main"
    kustomize = {
      images = ["trainer=ghcr.io/acme-ml/trainer:v2"]
    }
  }]
  sync_policy = {
    automated    = { prune = true, self_heal = true }
    sync_options = ["CreateNamespace=true"]
    retry = {
      limit   = 3
      backoff = { duration = "10s", factor = 2, max_duration = "3m" }
    }
  }

  wait = {} # until Synced and Healthy
  timeouts {
    create = "15m"
    update = "15m"
  }
}

# The model server: a Helm chart whose values file lives in the Git repository (a
# multi-source application; `ref` names the Git source for `$values/...`).
resource "harness_gitops_application" "serving" {
  name         = "ml-serving"
  org_id       = "default"
  project_id   = "mlplatform"
  agent_id     = "mlagent"
  argo_project = "default"
  repo_ids     = ["ml_serving_charts", "ml_pipeline_manifests"]

  destination = {
    name      = "in-cluster"
    namespace = "ml-serving"
  }
  sources = [
    {
      repo_url        = "https://charts.acme-ml.dev/serving"
      chart           = "model-server"
      target_revision = "1.4.2"
      helm = {
        release_name = "model-server"
        value_files  = ["$values/serving/values-prod.yaml"]
        values_object = yamlencode({
          replicas  = 2
          resources = { limits = { "nvidia.com/gpu" = 1 } }
        })
      }
    },
    {
      repo_url        = "https://github.com/acme-ml/pipeline-manifests.git"
      target_revision = "main"
      ref             = "values"
    },
  ]

  # A manual sync policy: Terraform starts the sync itself after each change.
  sync_on_apply = true
  wait          = { health = false } # until Synced
}
