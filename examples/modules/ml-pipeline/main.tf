# A reusable ML pipeline: the repositories it deploys from and one Argo CD application per
# pipeline, synced and waited for; or, in its fleet form, one ApplicationSet that makes an
# application per model. Scope (org, project) comes from the provider's defaults, so
# one module serves any project; the agent is `agent_id`, or one the module creates and
# installs (`agent`), or the provider's default.

resource "harness_gitops_agent" "this" {
  count = var.agent == null ? 0 : 1

  identifier = var.agent.identifier
  name       = var.agent.name
  type       = var.agent.type
  namespace  = var.agent.namespace
  install    = var.agent.install

  lifecycle {
    precondition {
      condition     = var.agent_id == null
      error_message = "Set `agent` (create the agent here) or `agent_id` (use an existing one), not both."
    }
  }
}

locals {
  # null: the provider's agent_id.
  agent_id = var.agent == null ? var.agent_id : harness_gitops_agent.this[0].prefixed_identifier
}

resource "harness_gitops_repository" "this" {
  for_each = var.repositories

  identifier = each.key
  agent_id   = local.agent_id
  url        = each.value.url
  type       = each.value.type
  name       = each.value.name
}

resource "harness_gitops_application" "this" {
  for_each = var.pipelines

  name         = each.key
  agent_id     = local.agent_id
  argo_project = var.argo_project
  repo_id      = harness_gitops_repository.this[each.value.repository].identifier
  labels       = merge({ "app.kubernetes.io/part-of" = "ml-pipeline" }, each.value.labels)

  destination = {
    server    = var.destination_server
    namespace = each.value.namespace
  }
  sources = [{
    repo_url        = harness_gitops_repository.this[each.value.repository].url
    path            = each.value.path
    chart           = each.value.chart
    target_revision = each.value.target_revision
    helm            = each.value.helm_values == null ? null : { values = each.value.helm_values }
  }]
  sync_policy = each.value.automated ? {
    automated    = { prune = true, self_heal = true }
    sync_options = ["CreateNamespace=true"]
  } : null
  sync_on_apply = !each.value.automated
  wait          = each.value.wait ? {} : null
}

# The fleet form: one ApplicationSet over the models, an application per model, rendered from
# one template (`{{model}}` and each model's parameters are the list generator's). Adding a
# model adds one application and touches no other.
resource "harness_gitops_applicationset" "fleet" {
  count = var.fleet == null ? 0 : 1

  name     = var.fleet.name
  agent_id = local.agent_id

  generators = [{
    list = {
      elements = [for model, params in var.fleet.models : merge(params, { model = model })]
    }
  }]
  template = {
    name         = "{{model}}-${var.fleet.name}"
    argo_project = var.argo_project
    labels = merge(
      { "app.kubernetes.io/part-of" = "ml-pipeline", "ml-pipeline/model" = "{{model}}" },
      var.fleet.labels,
    )
    destination = {
      server    = var.destination_server
      namespace = var.fleet.namespace
    }
    sources = [{
      repo_url        = harness_gitops_repository.this[var.fleet.repository].url
      path            = var.fleet.path
      target_revision = var.fleet.target_revision
    }]
    sync_policy = {
      automated    = { prune = true, self_heal = true }
      sync_options = ["CreateNamespace=true"]
    }
  }
  wait = var.fleet.wait ? {} : null
}
