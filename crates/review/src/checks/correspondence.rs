//! Problem → measure correspondence: which measures answer which problems.

use crate::structure::Material;

/// Similarity at which a measure counts as answering a problem.
pub const DEFAULT_THRESHOLD: f32 = 0.2;

/// A problem by its section index and its index inside the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProblemRef {
    pub section: usize,
    pub index: usize,
}

/// The measures that answer one problem, best first, with their similarity in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub problem: ProblemRef,
    pub measures: Vec<(usize, f32)>,
}

/// For each problem (in material order), the measures that answer it; a problem with no
/// measure over `threshold` is unanswered.
pub fn correspondence(material: &Material, threshold: f32) -> Vec<Answers> {
    let _ = (material, threshold);
    Vec::new()
}
