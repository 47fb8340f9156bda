//! API mapping.
