//! Recognizes the parts of a material: title, opening, the problems part with one
//! section per aspect and the 有关事项报告, the causes and the measures, down to the
//! enumerated items. All ranges here are normalized char ranges (see [`NormText`]).

mod markers;
mod parse;

use std::ops::Range;

use crate::input::Source;
use crate::normalize::NormText;

pub use markers::{Marker, MarkerKind};

/// One enumerated problem, cause or measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The item's text, after its marker (一是, 1., （1）…).
    pub range: Range<usize>,
    /// The marker itself, if the item had one.
    pub marker: Option<Range<usize>>,
    /// The first clause, which usually states the point (理论学习不深入).
    pub headline: Range<usize>,
}

/// A heading with its marker, and the title inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub range: Range<usize>,
    pub title: Range<usize>,
}

/// One sub-section of the problems part, normally one per required aspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: Option<Heading>,
    /// Everything after the heading up to the next section or part.
    pub body: Range<usize>,
    pub items: Vec<Item>,
}

/// A top-level part (the causes, the measures).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    pub heading: Option<Heading>,
    pub body: Range<usize>,
    pub items: Vec<Item>,
}

/// A parsed material.
#[derive(Debug, Clone)]
pub struct Material {
    pub text: NormText,
    pub title: Option<Range<usize>>,
    pub opening: Option<Range<usize>>,
    /// The heading of the problems part (一、存在的主要问题), if there is one.
    pub problems_heading: Option<Heading>,
    pub sections: Vec<Section>,
    pub matters_report: Option<Section>,
    pub causes: Part,
    pub measures: Part,
}

impl Material {
    /// Parses a decoded source.
    pub fn parse(source: &Source) -> Self {
        parse::parse(NormText::new(source))
    }

    /// Every problem with its section index and its index inside the section.
    pub fn problems(&self) -> impl Iterator<Item = (usize, usize, &Item)> {
        self.sections
            .iter()
            .enumerate()
            .flat_map(|(s, section)| section.items.iter().enumerate().map(move |(i, item)| (s, i, item)))
    }

    /// Every heading range in the material, for checks that must ignore headings.
    pub fn headings(&self) -> Vec<Range<usize>> {
        let mut all = Vec::new();
        all.extend(self.title.clone());
        all.extend(self.problems_heading.iter().map(|h| h.range.clone()));
        for section in self.sections.iter().chain(self.matters_report.iter()) {
            all.extend(section.heading.iter().map(|h| h.range.clone()));
        }
        for part in [&self.causes, &self.measures] {
            all.extend(part.heading.iter().map(|h| h.range.clone()));
        }
        all
    }
}
