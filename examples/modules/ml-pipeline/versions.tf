terraform {
  required_version = ">= 1.11"
  required_providers {
    harness = {
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}
