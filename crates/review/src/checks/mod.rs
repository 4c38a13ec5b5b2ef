//! The checks run on a parsed material. Each is a separate function with its own tests;
//! [`crate::report::review`] runs them all and assembles the report.

pub mod correspondence;
pub mod coverage;
pub mod proportion;
pub mod recurrence;
pub mod repetition;
pub mod specificity;
