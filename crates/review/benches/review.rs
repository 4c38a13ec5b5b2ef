//! Benchmarks: parse + all checks on one material.
fn main() {}
