//! Synthetic corpus generator (being written).
