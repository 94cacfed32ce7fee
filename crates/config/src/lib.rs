//! shoal-config (being written).
