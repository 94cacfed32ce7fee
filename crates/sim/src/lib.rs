//! shoal-sim (being written).
