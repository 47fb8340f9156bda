terraform {
  required_version = ">= 1.3" # optional() object attributes with defaults
  required_providers {
    harness = {
      source  = "harness-gitops/harness"
      version = "~> 0.1"
    }
  }
}
