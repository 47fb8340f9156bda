# A reusable ML pipeline: the repositories it deploys from and one Argo CD application per
# pipeline, synced and waited for. Scope (org, project, agent) comes from the provider's
# defaults, so one module serves any project.

resource "harness_gitops_repository" "this" {
  for_each = var.repositories

  identifier = each.key
  url        = each.value.url
  type       = each.value.type
  name       = each.value.name
}

resource "harness_gitops_application" "this" {
  for_each = var.pipelines

  name         = each.key
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
