//! Proportions: how much of the material is spent on each part.

use crate::structure::Material;

/// Shares of the material's significant chars (no whitespace, punctuation or headings).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Proportions {
    pub opening: f64,
    pub problems: f64,
    pub matters_report: f64,
    pub causes: f64,
    pub measures: f64,
    /// problems + causes: reviewers expect at least about half.
    pub problem_share: f64,
}

pub fn proportions(material: &Material) -> Proportions {
    let _ = material;
    Proportions::default()
}
