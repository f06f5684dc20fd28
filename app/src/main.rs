//! Piazza binary.
fn main() {}
