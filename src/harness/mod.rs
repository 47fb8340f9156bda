//! Harness GitOps REST client (no Terraform types).
