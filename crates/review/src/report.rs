//! The review report: every check run on one material, assembled into one serializable
//! value whose positions are char offsets into the original text. Its JSON form is
//! documented in docs/review-json.md and kept stable.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::campaign::{Audience, Campaign};
use crate::checks::correspondence::{self, ProblemRef};
use crate::checks::proportion::{self, Proportions};
use crate::checks::{coverage, repetition, specificity};
use crate::copy::{self, CopyOptions, CopyReport, Index, Querier, SectionRatios, SourceTexts};
use crate::input::Source;
use crate::normalize::NormText;
use crate::span::Span;
use crate::structure::{Item, Material};

/// Tunable settings of the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Shortest run of significant chars that counts as an internal repetition.
    pub min_repeat_chars: usize,
    /// Lowest similarity at which a measure answers a problem.
    pub answer_threshold: f32,
}

impl Default for Options {
    fn default() -> Self {
        Self { min_repeat_chars: 12, answer_threshold: correspondence::DEFAULT_THRESHOLD }
    }
}

/// A piece of the original text with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSpan {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// One required aspect and the section that covers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AspectReport {
    /// 0-based position in the campaign's list.
    pub index: usize,
    pub title: String,
    pub covered: bool,
    /// 0-based position of the covering section among the material's problem sections.
    pub section: Option<usize>,
    pub section_title: Option<String>,
    pub heading: Option<Span>,
    pub problems: Vec<TextSpan>,
}

/// A problem section that covers no required aspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionReport {
    pub section: usize,
    pub title: Option<String>,
    pub start: usize,
    pub end: usize,
    pub problems: Vec<TextSpan>,
}

/// A text said twice or more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepetitionReport {
    pub text: String,
    pub occurrences: Vec<[usize; 2]>,
}

/// A problem, by aspect (if its section covers one), section and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemPosition {
    pub aspect: Option<usize>,
    pub section: usize,
    pub index: usize,
}

/// The measures (0-based positions) that answer a problem, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerReport {
    #[serde(flatten)]
    pub problem: ProblemPosition,
    pub measures: Vec<usize>,
    pub similarity: Vec<f32>,
}

/// A problem that may be too general, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VagueReport {
    #[serde(flatten)]
    pub problem: ProblemPosition,
    pub reason: String,
}

/// The engine's review of one material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Length of the original text in chars.
    pub chars: usize,
    pub title: Option<TextSpan>,
    pub opening: Option<Span>,
    pub aspects: Vec<AspectReport>,
    pub unmatched_sections: Vec<SectionReport>,
    pub matters_report: Option<Span>,
    pub causes: Vec<TextSpan>,
    pub measures: Vec<TextSpan>,
    pub repetitions: Vec<RepetitionReport>,
    pub answers: Vec<AnswerReport>,
    pub unanswered_problems: Vec<ProblemPosition>,
    pub problem_share: f64,
    pub proportions: Proportions,
    pub vague_problems: Vec<VagueReport>,
    /// Copy detection, when the material was checked against a corpus.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub copy: Option<CopyReport>,
}

/// A problem of a reviewed material with the measure the engine found answering it best.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedProblem {
    pub section: usize,
    pub index: usize,
    /// The aspect's title, or the section's own heading when it covers no aspect.
    pub heading: Option<String>,
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// The text of the best answering measure, if any measure answers it.
    pub measure: Option<String>,
}

impl Review {
    /// Every problem of the material in material order (by section, then item), each with
    /// the measure that answers it best (see [`crate::checks::correspondence`]).
    pub fn listed_problems(&self) -> Vec<ListedProblem> {
        let mut listed = Vec::new();
        for aspect in &self.aspects {
            let Some(section) = aspect.section else { continue };
            for (index, p) in aspect.problems.iter().enumerate() {
                listed.push((section, index, Some(aspect.title.clone()), p));
            }
        }
        for s in &self.unmatched_sections {
            for (index, p) in s.problems.iter().enumerate() {
                listed.push((s.section, index, s.title.clone(), p));
            }
        }
        listed.sort_by_key(|(section, index, _, _)| (*section, *index));
        // Two aspects matched to one section would list its problems twice.
        listed.dedup_by_key(|(section, index, _, _)| (*section, *index));
        listed
            .into_iter()
            .map(|(section, index, heading, p)| {
                let measure = self
                    .answers
                    .iter()
                    .find(|a| a.problem.section == section && a.problem.index == index)
                    .and_then(|a| a.measures.first())
                    .and_then(|m| self.measures.get(*m))
                    .map(|m| m.text.clone());
                ListedProblem { section, index, heading, text: p.text.clone(), start: p.start, end: p.end, measure }
            })
            .collect()
    }

    /// Every problem the material states, in order.
    pub fn problem_count(&self) -> usize {
        self.aspects.iter().map(|a| a.problems.len()).sum::<usize>()
            + self.unmatched_sections.iter().map(|s| s.problems.len()).sum::<usize>()
    }
}

/// Parses `source` and runs every check against the campaign's aspects for `audience`.
pub fn review(source: &Source, campaign: &Campaign, audience: Audience, options: &Options) -> Review {
    let material = Material::parse(source);
    review_material(source, &material, campaign, audience, options)
}

/// The reference documents a material is checked against for copying.
#[derive(Clone, Copy)]
pub struct Corpus<'a> {
    pub index: &'a Index,
    pub texts: &'a dyn SourceTexts,
    pub options: &'a CopyOptions,
}

impl std::fmt::Debug for Corpus<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corpus").field("documents", &self.index.len()).finish_non_exhaustive()
    }
}

/// [`review`], and copy detection against a corpus; `me` says who wrote the material.
pub fn review_against(
    source: &Source,
    campaign: &Campaign,
    audience: Audience,
    options: &Options,
    corpus: &Corpus<'_>,
    me: &Querier<'_>,
) -> Review {
    let material = Material::parse(source);
    let mut review = review_material(source, &material, campaign, audience, options);
    let mandated = campaign.mandated_phrases(audience);
    let headings = material.headings();
    let mut report = copy::check(corpus.index, corpus.texts, &material.text, &headings, &mandated, me, corpus.options);
    let ratios = SectionRatios {
        opening: material.opening.clone().and_then(|r| report.ratio_in(r)),
        sections: material.sections.iter().map(|s| report.ratio_in(s.body.clone())).collect(),
        matters_report: material.matters_report.as_ref().and_then(|m| report.ratio_in(m.body.clone())),
        causes: report.ratio_in(material.causes.body.clone()),
        measures: report.ratio_in(material.measures.body.clone()),
    };
    report.set_section_ratios(ratios);
    review.copy = Some(report);
    review
}

/// Runs every check on an already parsed material.
pub fn review_material(
    source: &Source,
    material: &Material,
    campaign: &Campaign,
    audience: Audience,
    options: &Options,
) -> Review {
    let original = Original::new(source.text(), &material.text);
    let aspects = campaign.aspects_for(audience);
    let coverage = coverage::coverage(material, aspects);
    let position = |p: ProblemRef| ProblemPosition {
        aspect: coverage.section_aspects.get(p.section).copied().flatten(),
        section: p.section,
        index: p.index,
    };
    let problems = |s: usize| material.sections[s].items.iter().map(|i| original.item(i)).collect::<Vec<_>>();

    let aspect_reports = aspects
        .iter()
        .enumerate()
        .map(|(index, aspect)| {
            let section = coverage.aspect_sections[index];
            let heading = section.and_then(|s| material.sections[s].heading.as_ref());
            AspectReport {
                index,
                title: aspect.title.clone(),
                covered: section.is_some(),
                section,
                section_title: heading.map(|h| original.text(h.title.clone())),
                heading: heading.map(|h| original.span(h.range.clone())),
                problems: section.map(problems).unwrap_or_default(),
            }
        })
        .collect();
    let unmatched_sections = coverage
        .section_aspects
        .iter()
        .enumerate()
        .filter(|(_, aspect)| aspect.is_none())
        .map(|(s, _)| {
            let section = &material.sections[s];
            let whole = section.heading.as_ref().map_or(section.body.start, |h| h.range.start)..section.body.end;
            let span = original.span(whole);
            SectionReport {
                section: s,
                title: section.heading.as_ref().map(|h| original.text(h.title.clone())),
                start: span.start,
                end: span.end,
                problems: problems(s),
            }
        })
        .collect();

    let mandated = campaign.mandated_phrases(audience);
    let repetitions = repetition::repetitions(material, &mandated, options.min_repeat_chars)
        .into_iter()
        .filter_map(|r| {
            let first = r.occurrences.first()?.clone();
            let occurrences =
                r.occurrences.iter().map(|o| original.span(o.clone())).map(|s| [s.start, s.end]).collect();
            Some(RepetitionReport { text: original.text(first), occurrences })
        })
        .collect();
    let answers: Vec<AnswerReport> = correspondence::correspondence(material, options.answer_threshold)
        .into_iter()
        .map(|a| AnswerReport {
            problem: position(a.problem),
            measures: a.measures.iter().map(|(m, _)| *m).collect(),
            similarity: a.measures.iter().map(|(_, s)| *s).collect(),
        })
        .collect();
    let unanswered_problems = if material.measures.items.is_empty() && material.measures.heading.is_none() {
        // With no measures part at all every problem is unanswered; say it once per problem.
        material.problems().map(|(s, i, _)| position(ProblemRef { section: s, index: i })).collect()
    } else {
        answers.iter().filter(|a| a.measures.is_empty()).map(|a| a.problem).collect()
    };
    let proportions = proportion::proportions(material);
    let vague_problems = specificity::vague_problems(material)
        .into_iter()
        .map(|v| VagueReport { problem: position(v.problem), reason: v.reason })
        .collect();

    Review {
        chars: material.text.original_len(),
        title: material.title.clone().map(|t| original.text_span(t)),
        opening: material.opening.clone().map(|o| original.span(o)),
        aspects: aspect_reports,
        unmatched_sections,
        matters_report: material.matters_report.as_ref().map(|m| original.span(m.body.clone())),
        causes: material.causes.items.iter().map(|i| original.item(i)).collect(),
        measures: material.measures.items.iter().map(|i| original.item(i)).collect(),
        repetitions,
        answers,
        unanswered_problems,
        problem_share: proportions.problem_share,
        proportions,
        vague_problems,
        copy: None,
    }
}

/// The original text, sliceable by char offsets, with the normalized text's map.
struct Original<'a> {
    text: &'a str,
    /// Byte offset of every char, plus the text's length.
    bytes: Vec<usize>,
    norm: &'a NormText,
}

impl<'a> Original<'a> {
    fn new(text: &'a str, norm: &'a NormText) -> Self {
        let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        bytes.push(text.len());
        Self { text, bytes, norm }
    }

    fn span(&self, range: Range<usize>) -> Span {
        self.norm.to_original(range)
    }

    fn slice(&self, span: Span) -> String {
        let start = self.bytes.get(span.start).copied().unwrap_or(self.text.len());
        let end = self.bytes.get(span.end).copied().unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or_default().to_owned()
    }

    fn text(&self, range: Range<usize>) -> String {
        self.slice(self.span(range))
    }

    fn text_span(&self, range: Range<usize>) -> TextSpan {
        let span = self.span(range);
        TextSpan { text: self.slice(span), start: span.start, end: span.end }
    }

    fn item(&self, item: &Item) -> TextSpan {
        self.text_span(item.range.clone())
    }
}
