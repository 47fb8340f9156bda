terraform {
  required_providers {
    harness = {
      # Terraform installs it from registry.terraform.io, OpenTofu from registry.opentofu.org.
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}

provider "harness" {
  # Or set HARNESS_ENDPOINT, HARNESS_ACCOUNT_ID and HARNESS_PLATFORM_API_KEY.
  endpoint   = "https://app.harness.io/gateway"
  account_id = var.harness_account_id
  api_key    = var.harness_api_key

  # Scope defaults inherited by every resource that does not set its own.
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}

variable "harness_account_id" {
  type = string
}

variable "harness_api_key" {
  type      = string
  sensitive = true
}
