//! The generated documents and their ground truth, as the CLI serializes them (one JSON
//! object per line for both).

use serde::{Deserialize, Serialize};

/// What a generated document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A member's material for the campaign year.
    Member,
    /// The same author's material of the year before.
    PreviousYear,
    /// A template "downloaded from the web" that members copy from.
    Template,
}

/// One generated material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// `member-000042`, `prev-000042`, `template-0007`.
    pub id: String,
    /// `author-000042`; shared by a member's current and previous-year documents; `None`
    /// for templates.
    pub author: Option<String>,
    pub kind: DocKind,
    /// The campaign year the material is written for (`Config::year`, or one less for a
    /// previous-year document).
    pub year: u16,
    pub text: String,
}

/// How a copied passage was altered on its way into the copying document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edit {
    /// Unchanged: the document's span equals the source span char for char.
    Verbatim,
    /// ASCII letters and digits turned into their fullwidth forms.
    Width,
    /// Chinese punctuation turned into ASCII: ，→, ；→; ：→: （）→() “”→"".
    Punctuation,
    /// Simplified characters turned into traditional ones.
    Traditional,
    /// This many characters (1–3) substituted, inserted or deleted inside the passage.
    CharEdits(u8),
    /// Words swapped for synonyms (不够→不足, 提高→提升 …).
    Synonym,
    /// Clauses of a sentence, or sentences of a run, put in another order.
    Reorder,
    /// Invisible or junk characters (U+200B, '　', '*', '丨', a site's watermark) inserted,
    /// as pages scraped from template sites carry them.
    Noise,
    /// Hard line breaks about every 30 characters, as text copied out of a PDF.
    LineBreaks,
}

/// Where an injected passage comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Another member's earlier document.
    Member,
    /// The author's own previous-year document.
    PreviousYear,
    /// A template document.
    Template,
    /// A stock sentence (套话) from [`crate::boilerplate_pool`].
    Boilerplate,
    /// Wording every material must contain (the theory's name, the notice's title…),
    /// from `Config::mandated`: never copying.
    Mandated,
    /// A structural heading every material has (title, part and section headings with
    /// the campaign's aspect titles, 有关事项报告): never copying.
    Heading,
}

/// One passage of a document whose origin is known: a copy, a stock sentence, a
/// mandated phrase or a heading. Offsets are char offsets, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injection {
    /// The id of the document the passage is in.
    pub doc: String,
    /// The passage in the final text of `doc`, edits included.
    pub start: usize,
    pub end: usize,
    /// The id of the document copied from; `None` for boilerplate, mandated phrases and
    /// headings.
    pub source: Option<String>,
    /// The copied passage in the source's text (for `Reorder`, the whole reordered run);
    /// for pooled text (boilerplate, mandated, heading) the whole pooled string, `0..len`.
    pub source_start: usize,
    pub source_end: usize,
    pub kind: SourceKind,
    pub edit: Edit,
    /// Index into [`crate::boilerplate_pool`] for `Boilerplate`, into `Config::mandated`
    /// for `Mandated`; `None` otherwise.
    pub pool: Option<usize>,
}

/// One document with the ground truth of its own text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    pub document: Document,
    /// Every injection into `document`, in text order.
    pub truth: Vec<Injection>,
}

/// A whole corpus held in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Corpus {
    /// In generation order: templates first, then each member's previous-year document
    /// (if any) right before the member's document. A copy source always comes earlier.
    pub documents: Vec<Document>,
    /// The truth of all documents, in document order.
    pub truth: Vec<Injection>,
}
