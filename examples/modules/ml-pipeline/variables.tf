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
