//! Copy detection: which parts of a material stand in other documents — colleagues'
//! materials, the author's own earlier years, known online templates — with the
//! matched spans on both sides, a copy ratio raw and net of mandated wording and
//! ubiquitous 套话, and per sentence how many authors' documents contain it.
//!
//! ```
//! use std::sync::Arc;
//! use mingjing_review::copy::{self, CopyOptions, DocKind, Index, MemoryTexts, Querier, SourceDoc};
//! use mingjing_review::input::Source;
//! use mingjing_review::normalize::NormText;
//!
//! let colleague = "一是理论学习不深入，对党的创新理论的学习停留在读原文层面，没有结合窗口服务实际深入思考。";
//! let mut index = Index::default();
//! let mut texts = MemoryTexts::default();
//! let doc = SourceDoc::new(NormText::new(&Source::from_text(colleague).expect("text")));
//! index.add("colleague.txt", Some("李四"), DocKind::Member, &doc.skeleton).expect("added");
//! texts.insert("colleague.txt", Arc::new(doc));
//!
//! let mine = NormText::new(&Source::from_text(
//!     "一是理论学习不深入，对党的创新理论的学习停留在读原文层面，没有结合窗口服务实际深入思考。二是作风不实。",
//! ).expect("text"));
//! let report = copy::check(&index, &texts, &mine, &[], &[], &Querier::default(), &CopyOptions::default());
//! assert_eq!(report.copies[0].source, "colleague.txt");
//! assert!(report.copy_ratio > 0.7);
//! ```

mod detect;
mod fingerprint;
mod index;
mod postings;
mod report;
mod skeleton;
mod store;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

pub use detect::{Match, Tier, candidate_sources};
pub use fingerprint::{Fingerprint, fingerprints, kgram_hashes, winnow};
pub use index::{BuildDoc, DocId, DocKind, DocMeta, Index, IndexError, Params, chars_hashes, document_hashes};
pub use postings::{Postings, Run};
pub use report::{Boilerplate, CopyReport, CopySpan, SectionRatios, TopSource, check};
pub use skeleton::{Skeleton, is_significant, significant_chars};
pub use store::{FORMAT_VERSION, read_index, write_index};

use crate::normalize::NormText;

/// A reference document's text, normalized, as copy detection reads it.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    pub text: NormText,
    pub skeleton: Skeleton,
}

impl SourceDoc {
    pub fn new(text: NormText) -> Self {
        let skeleton = Skeleton::new(&text);
        Self { text, skeleton }
    }
}

/// Where the texts of indexed documents come from: memory, files or a database.
pub trait SourceTexts: Sync {
    fn source(&self, id: &str) -> Option<Arc<SourceDoc>>;
}

/// Texts kept in memory, by document id.
#[derive(Debug, Clone, Default)]
pub struct MemoryTexts {
    docs: HashMap<String, Arc<SourceDoc>>,
}

impl MemoryTexts {
    pub fn insert(&mut self, id: &str, doc: Arc<SourceDoc>) {
        self.docs.insert(id.to_owned(), doc);
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<SourceDoc>> {
        self.docs.remove(id)
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

impl SourceTexts for MemoryTexts {
    fn source(&self, id: &str) -> Option<Arc<SourceDoc>> {
        self.docs.get(id).cloned()
    }
}

/// Who wrote the material under review, so that it is never matched against itself or
/// its own drafts, and its author's earlier years are reported apart.
#[derive(Debug, Clone, Copy, Default)]
pub struct Querier<'a> {
    /// Its id in the index, if it is indexed too.
    pub id: Option<&'a str>,
    pub author: Option<&'a str>,
}

/// Settings of copy detection.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyOptions {
    /// Documents compared char by char, best candidates first.
    pub max_candidates: usize,
    /// Of those, how many are searched for near-duplicate clauses.
    pub near_candidates: usize,
    /// Shortest exact run reported, in significant chars.
    pub min_exact: usize,
    /// Shortest clause compared for near duplicates, in significant chars.
    pub min_clause: usize,
    /// Lowest Dice overlap of char bigrams for a near duplicate.
    pub near_threshold: f32,
    /// A fingerprint in more than this share of documents no longer names candidates
    /// (except templates and the author's own earlier years).
    pub common_share: f64,
    /// A sentence in at least this many authors' documents is 套话…
    pub boilerplate_min_authors: usize,
    /// …or in at least this share of all authors, whichever is more.
    pub boilerplate_share: f64,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            max_candidates: 24,
            near_candidates: 12,
            min_exact: 24,
            min_clause: 8,
            near_threshold: 0.55,
            common_share: 0.01,
            boilerplate_min_authors: 5,
            boilerplate_share: 0.005,
        }
    }
}

impl CopyOptions {
    fn candidate_df(&self, docs: usize) -> usize {
        ((docs as f64 * self.common_share) as usize).max(64)
    }

    fn boilerplate_authors(&self, authors: usize) -> usize {
        ((authors as f64 * self.boilerplate_share).ceil() as usize).max(self.boilerplate_min_authors)
    }
}

/// Clauses of a normalized text as skeleton ranges: cut at every punctuation mark and
/// line break, since copied clauses keep their boundaries even when reordered.
pub fn clauses(text: &NormText, skeleton: &Skeleton) -> Vec<Range<usize>> {
    let chars = text.chars();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '，' | '。' | '；' | '：' | '！' | '？' | '、' | '\n') {
            push_clause(skeleton, start..i, &mut out);
            start = i + 1;
        }
    }
    push_clause(skeleton, start..chars.len(), &mut out);
    out
}

/// Sentences of a normalized text as skeleton ranges.
pub fn sentences(text: &NormText, skeleton: &Skeleton) -> Vec<Range<usize>> {
    let chars = text.chars();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '。' | '；' | '！' | '？' | '\n') {
            push_clause(skeleton, start..i, &mut out);
            start = i + 1;
        }
    }
    push_clause(skeleton, start..chars.len(), &mut out);
    out
}

fn push_clause(skeleton: &Skeleton, norm: Range<usize>, out: &mut Vec<Range<usize>>) {
    let range = skeleton.from_norm(norm);
    if !range.is_empty() {
        out.push(range);
    }
}
