//! Specificity hints: problems stated with no concrete detail (泛泛而谈 candidates).

use crate::checks::correspondence::ProblemRef;
use crate::structure::Material;

/// A problem that may be too general, and why the engine thinks so (Chinese, a hint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VagueProblem {
    pub problem: ProblemRef,
    pub reason: String,
}

pub fn vague_problems(material: &Material) -> Vec<VagueProblem> {
    let _ = material;
    Vec::new()
}
