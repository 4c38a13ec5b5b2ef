//! The copy report of one material: copied spans mapped back to both original texts,
//! raw and net copy ratios, ratios per part, the largest source and 套话 counts.

use std::ops::Range;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::detect::{self, Found, Match, Tier};
use super::fingerprint::fingerprints;
use super::index::{Index, short};
use super::skeleton::{Skeleton, is_significant};
use super::{CopyOptions, Querier, SourceTexts, clauses, sentences};
use crate::normalize::{NormText, normalize_str};

/// A copied span: where it stands in the material and in its source (char offsets into
/// each original text, end exclusive).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopySpan {
    pub start: usize,
    pub end: usize,
    pub source: String,
    pub source_start: usize,
    pub source_end: usize,
    pub tier: Tier,
    /// 1 for exact copies; the clause overlap for near copies.
    pub similarity: f32,
}

/// The source from which most of the material is copied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopSource {
    pub source: String,
    /// Share of the material's significant chars copied from it.
    pub share: f64,
}

/// A sentence and how many other authors' documents in the index contain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Boilerplate {
    pub start: usize,
    pub end: usize,
    pub documents: usize,
}

/// Copy ratios per part of the material; null where the part is absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SectionRatios {
    pub opening: Option<f64>,
    /// Per problem section, in material order.
    pub sections: Vec<Option<f64>>,
    pub matters_report: Option<f64>,
    pub causes: Option<f64>,
    pub measures: Option<f64>,
}

/// Everything copy detection says about one material.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyReport {
    pub copies: Vec<CopySpan>,
    /// Copied significant chars over all significant chars (总文字复制比).
    pub copy_ratio: f64,
    /// The same, not counting mandated wording, headings and 套话 sentences.
    pub net_copy_ratio: f64,
    pub section_copy_ratios: SectionRatios,
    pub top_source: Option<TopSource>,
    pub boilerplate: Vec<Boilerplate>,
    /// Text repeated from the same author's earlier years (年年提、年年有), apart.
    pub previous_year_copies: Vec<CopySpan>,
    pub previous_year_ratio: f64,
    #[serde(skip)]
    skeleton: Skeleton,
    #[serde(skip)]
    copied: Vec<bool>,
}

impl CopyReport {
    /// Copy ratio of the significant chars inside a normalized range; None if it has none.
    pub fn ratio_in(&self, range: Range<usize>) -> Option<f64> {
        let positions = self.skeleton.from_norm(range);
        (!positions.is_empty())
            .then(|| self.copied[positions.clone()].iter().filter(|c| **c).count() as f64 / positions.len() as f64)
    }

    pub(crate) fn set_section_ratios(&mut self, ratios: SectionRatios) {
        self.section_copy_ratios = ratios;
    }
}

/// Checks a normalized material against the index. `headings` (normalized ranges) and
/// `mandated` phrases are not counted in the net ratio.
pub fn check(
    index: &Index,
    texts: &dyn SourceTexts,
    text: &NormText,
    headings: &[Range<usize>],
    mandated: &[String],
    me: &Querier<'_>,
    options: &CopyOptions,
) -> CopyReport {
    let skeleton = Skeleton::new(text);
    let clauses = clauses(text, &skeleton);
    let found = detect::find(index, texts, &skeleton, &clauses, me, options);
    let total = skeleton.len().max(1) as f64;

    let copied = mask(skeleton.len(), &found.copies);
    let boilerplate = boilerplate(index, text, &skeleton, me);
    let mut excluded = vec![false; skeleton.len()];
    let common = options.boilerplate_authors(index.authors.len());
    for b in boilerplate.iter().filter(|b| b.1 >= common) {
        excluded[b.0.clone()].iter_mut().for_each(|e| *e = true);
    }
    for heading in headings {
        excluded[skeleton.from_norm(heading.clone())].iter_mut().for_each(|e| *e = true);
    }
    for phrase in mandated {
        mark_phrase(&skeleton.chars, phrase, &mut excluded);
    }
    let copied_count = copied.iter().filter(|c| **c).count();
    let net_count = copied.iter().zip(&excluded).filter(|(c, e)| **c && !**e).count();

    let mut per_source: FxHashMap<u32, usize> = FxHashMap::default();
    for m in &found.copies {
        *per_source.entry(m.source).or_default() += m.query.len();
    }
    let top_source = per_source
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(doc, n)| TopSource { source: index.doc(*doc).id.clone(), share: *n as f64 / total });
    let previous_count = mask(skeleton.len(), &found.previous_year).iter().filter(|c| **c).count();

    CopyReport {
        copies: spans(index, text, &skeleton, &found, &found.copies),
        copy_ratio: copied_count as f64 / total,
        net_copy_ratio: net_count as f64 / total,
        section_copy_ratios: SectionRatios::default(),
        top_source,
        boilerplate: boilerplate
            .iter()
            .filter(|b| b.1 >= 2)
            .map(|(range, documents)| {
                let span = text.to_original(skeleton.to_norm(range.clone()));
                Boilerplate { start: span.start, end: span.end, documents: *documents }
            })
            .collect(),
        previous_year_copies: spans(index, text, &skeleton, &found, &found.previous_year),
        previous_year_ratio: previous_count as f64 / total,
        skeleton,
        copied,
    }
}

fn mask(len: usize, matches: &[Match]) -> Vec<bool> {
    let mut mask = vec![false; len];
    for m in matches {
        mask[m.query.clone()].iter_mut().for_each(|c| *c = true);
    }
    mask
}

fn spans(index: &Index, text: &NormText, skeleton: &Skeleton, found: &Found, matches: &[Match]) -> Vec<CopySpan> {
    matches
        .iter()
        .filter_map(|m| {
            let source = found.sources.get(&m.source)?;
            let here = text.to_original(skeleton.to_norm(m.query.clone()));
            let there = source.text.to_original(source.skeleton.to_norm(m.source_range.clone()));
            Some(CopySpan {
                start: here.start,
                end: here.end,
                source: index.doc(m.source).id.clone(),
                source_start: there.start,
                source_end: there.end,
                tier: m.tier,
                similarity: m.similarity,
            })
        })
        .collect()
}

/// Per sentence (skeleton range), how many other authors' documents contain all of its
/// fingerprints, estimated by its rarest fingerprint.
fn boilerplate(index: &Index, text: &NormText, skeleton: &Skeleton, me: &Querier<'_>) -> Vec<(Range<usize>, usize)> {
    let params = index.params();
    let fps = fingerprints(&skeleton.chars, params.k, params.w);
    let own = usize::from(me.id.is_some_and(|id| index.doc_id(id).is_some()));
    let mut out = Vec::new();
    let mut next = 0;
    for sentence in sentences(text, skeleton) {
        while next < fps.len() && (fps[next].pos as usize) < sentence.start {
            next += 1;
        }
        let inside = fps[next..]
            .iter()
            .take_while(|f| f.pos as usize + params.k <= sentence.end)
            .filter(|f| f.pos as usize >= sentence.start);
        let documents = inside.map(|f| index.authors_with(short(f.hash))).min();
        if let Some(documents) = documents {
            out.push((sentence, documents.saturating_sub(own)));
        }
    }
    out
}

/// Marks every occurrence of a phrase's significant chars.
fn mark_phrase(chars: &[char], phrase: &str, marks: &mut [bool]) {
    let needle: Vec<char> = normalize_str(phrase).chars().filter(|c| is_significant(*c)).collect();
    if needle.len() < 2 || needle.len() > chars.len() {
        return;
    }
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        if chars[i] == needle[0] && chars[i..i + needle.len()] == needle[..] {
            marks[i..i + needle.len()].iter_mut().for_each(|m| *m = true);
            i += needle.len();
        } else {
            i += 1;
        }
    }
}
