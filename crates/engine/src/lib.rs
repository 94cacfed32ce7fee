//! shoal-engine (being written).
