variable "repositories" {
  description = "Repositories the pipelines deploy from, by Harness identifier."
  type = map(object({
    url  = string
    type = optional(string, "git")
    name = optional(string)
  }))
}

variable "pipelines" {
  description = <<-EOT
    The pipelines, by application name: the repository (a key of `repositories`) and where in
    it the manifests are (`path` in a Git repository, or `chart` in a Helm repository), the
    namespace to deploy to, and how to sync. `automated = false` makes Terraform start each
    sync itself (`sync_on_apply`).
  EOT
  type = map(object({
    repository      = string
    path            = optional(string)
    chart           = optional(string)
    target_revision = optional(string, "HEAD")
    namespace       = string
    helm_values     = optional(string)
    automated       = optional(bool, true)
    wait            = optional(bool, true)
    labels          = optional(map(string), {})
  }))
  default = {}

  validation {
    condition     = alltrue([for p in values(var.pipelines) : (p.path != null) != (p.chart != null)])
    error_message = "Each pipeline sets exactly one of `path` (Git) and `chart` (Helm)."
  }
}

variable "destination_server" {
  description = "API server of the cluster the pipelines deploy to (Argo CD's own by default)."
  type        = string
  default     = "https://kubernetes.default.svc"
}

variable "argo_project" {
  description = "Argo CD project of the applications."
  type        = string
  default     = "default"
}

variable "agent_id" {
  description = "GitOps agent of the pipelines, with its scope prefix (`account.x`, `org.x` or `x`). Unset: the agent `agent` creates, or else the provider's `agent_id`."
  type        = string
  default     = null
}

variable "agent" {
  description = <<-EOT
    Create the pipelines' GitOps agent in this module (instead of taking `agent_id`): its
    identifier, name, type and namespace, and `install` to have the provider install it into
    the cluster (a kubeconfig path and context; unset values use the provider's `kubernetes`
    settings). Unset: no agent is created.
  EOT
  type = object({
    identifier = string
    name       = string
    type       = optional(string, "MANAGED_ARGO_PROVIDER")
    namespace  = optional(string, "gitops-agent")
    install = optional(object({
      config_path    = optional(string)
      config_context = optional(string)
      wait           = optional(bool, true)
    }))
  })
  default = null

}

variable "fleet" {
  description = <<-EOT
    The fleet form: one ApplicationSet named `name` that makes one application per model
    (`<model>-<name>`) from the Git repository `repository` (a key of `repositories`). `models`
    maps each model to its own parameters (strings), which `path`, `namespace` and `labels` may
    use as `{{param}}` beside `{{model}}`. The apply waits until every application is Synced and
    Healthy unless `wait = false`. Unset: no ApplicationSet.
  EOT
  type = object({
    name            = string
    repository      = string
    models          = map(map(string))
    path            = string
    target_revision = optional(string, "HEAD")
    namespace       = optional(string, "ml-{{model}}")
    labels          = optional(map(string), {})
    wait            = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.fleet == null || length(try(var.fleet.models, {})) > 0
    error_message = "A fleet needs at least one model."
  }
}
