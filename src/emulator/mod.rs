//! The Harness GitOps emulator.
