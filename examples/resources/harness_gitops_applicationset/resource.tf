# A fleet of training jobs: one application per model from a list generator. The apply
# waits until every generated application is Synced and Healthy, and fails at once with the
# first failed application's name and Argo CD's message.
resource "harness_gitops_applicationset" "training" {
  name       = "ml-training"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"

  generators = [{
    list = {
      elements = [
        { model = "bert", gpus = "1" },
        { model = "llama", gpus = "4" },
      ]
    }
  }]

  # The application's own attributes (as in harness_gitops_application), with parameters.
  template = {
    name         = "{{model}}-training"
    argo_project = "default"
    labels       = { model = "{{model}}" }
    destination = {
      server    = "https://kubernetes.default.svc"
      namespace = "ml-{{model}}"
    }
    sources = [{
      repo_url        = "https://github.com/acme-ml/pipeline-manifests.git"
      path            = "training/{{model}}"
      target_revision = "main"
      kustomize       = { common_labels = { gpus = "{{gpus}}" } }
    }]
    sync_policy = {
      automated    = { prune = true, self_heal = true }
      sync_options = ["CreateNamespace=true"]
    }
  }

  sync_policy = { preserve_resources_on_deletion = false }

  wait = {} # until every application is Synced and Healthy
  timeouts {
    create = "20m"
    update = "20m"
  }
}

# Serving on every GPU cluster: a matrix of the clusters labelled gpu=true by the models.
resource "harness_gitops_applicationset" "serving" {
  name       = "ml-serving"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"

  generators = [{
    matrix = {
      generators = [
        { clusters = { selector = { match_labels = { gpu = "true" } } } },
        { list = { elements = [{ model = "bert" }, { model = "llama" }] } },
      ]
    }
  }]
  template = {
    name         = "{{model}}-{{name}}"
    argo_project = "default"
    destination  = { server = "{{server}}", namespace = "serving" }
    sources = [{
      repo_url        = "https://charts.acme-ml.dev/serving"
      chart           = "model-server"
      target_revision = "1.4.2"
      helm            = { release_name = "{{model}}", values = "model: {{model}}\n" }
    }]
    sync_policy = { automated = {} }
  }
  # Roll out cluster by cluster: staging first, then production, a quarter at a time.
  strategy = {
    type = "RollingSync"
    rolling_sync = {
      steps = [
        { match_expressions = [{ key = "env", operator = "In", values = ["staging"] }] },
        { match_expressions = [{ key = "env", operator = "In", values = ["prod"] }], max_update = "25%" },
      ]
    }
  }
}

# One application per model directory of a Git repository (Go templates), the experimental
# ones excluded; a merge keeps per-model overrides from a list.
resource "harness_gitops_applicationset" "models" {
  name        = "ml-models"
  org_id      = "default"
  project_id  = "mlplatform"
  agent_id    = "mlagent"
  go_template = true

  go_template_options = ["missingkey=error"]

  generators = [{
    merge = {
      merge_keys = ["path.basename"]
      generators = [
        {
          git = {
            repo_url = "https://github.com/acme-ml/pipeline-manifests.git"
            revision = "HEAD"
            directories = [
              { path = "models/*" },
              { path = "models/experimental", exclude = true },
            ]
          }
        },
        { list = { elements = [{ "path.basename" = "llama", replicas = "4" }] } },
      ]
    }
  }]
  template = {
    name         = "{{.path.basename}}"
    argo_project = "default"
    destination  = { server = "https://kubernetes.default.svc", namespace = "{{.path.basename}}" }
    sources = [{
      repo_url        = "https://github.com/acme-ml/pipeline-manifests.git"
      path            = "{{.path.path}}"
      target_revision = "HEAD"
    }]
    sync_policy = { automated = {} }
  }
  # What attributes cannot say: a replica count only where the merge gave one.
  template_patch = <<-EOT
    {{- if .replicas }}
    spec:
      source:
        kustomize:
          replicas:
            - name: server
              count: "{{ .replicas }}"
    {{- end }}
  EOT

  ignore_application_differences = [{ json_pointers = ["/spec/source/targetRevision"] }]
  preserved_fields               = { annotations = ["notified.argoproj.io"] }
}

# Each JSON file of a config directory is one application (Git files generator).
resource "harness_gitops_applicationset" "pipelines" {
  name       = "ml-pipelines"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"

  generators = [{
    git = {
      repo_url          = "https://github.com/acme-ml/pipeline-manifests.git"
      revision          = "main"
      files             = [{ path = "pipelines/*/config.json" }]
      path_param_prefix = "cfg"
      values            = { team = "ml" }
    }
    selector = { match_labels = { enabled = "true" } }
  }]
  template = {
    name         = "{{pipeline}}"
    argo_project = "default"
    destination  = { server = "https://kubernetes.default.svc", namespace = "{{values.team}}" }
    sources      = [{ repo_url = "https://github.com/acme-ml/pipeline-manifests.git", path = "{{cfg.path}}" }]
  }
}

# Every repository of a GitHub organization that has a deploy directory, and a preview
# environment per pull request with the "preview" label.
resource "harness_gitops_applicationset" "repos" {
  name       = "ml-repos"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"

  generators = [
    {
      scm_provider = {
        github  = { organization = "acme-ml", token_ref = { secret_name = "github-token", key = "token" } }
        filters = [{ repository_match = "^model-", paths_exist = ["deploy"] }]
      }
    },
    {
      pull_request = {
        github = {
          owner     = "acme-ml"
          repo      = "model-server"
          token_ref = { secret_name = "github-token", key = "token" }
          labels    = ["preview"]
        }
        requeue_after_seconds = 300
      }
      # This generator's applications get their own name (an override of `template`).
      template = { name = "preview-{{branch_slug}}-{{number}}" }
    },
  ]
  template = {
    name         = "{{repository}}"
    argo_project = "default"
    destination  = { server = "https://kubernetes.default.svc", namespace = "{{repository}}" }
    sources      = [{ repo_url = "{{url}}", path = "deploy", target_revision = "{{branch}}" }]
  }
}

# Placement decisions of Open Cluster Management, and an external plugin (a model registry).
resource "harness_gitops_applicationset" "placed" {
  name       = "ml-placed"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"

  generators = [
    {
      cluster_decision_resource = {
        config_map_ref = "ocm-placement-generator"
        label_selector = { match_labels = { "cluster.open-cluster-management.io/placement" = "gpu" } }
      }
    },
    {
      plugin = {
        config_map_ref   = "model-registry-plugin"
        input_parameters = jsonencode({ stage = "production", limit = 10 })
      }
    },
  ]
  template = {
    name         = "{{name}}-inference"
    argo_project = "default"
    destination  = { name = "{{clusterName}}", namespace = "inference" }
    sources      = [{ repo_url = "https://github.com/acme-ml/pipeline-manifests.git", path = "inference" }]
  }
}
