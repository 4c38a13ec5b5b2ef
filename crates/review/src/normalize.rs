//! The normalized view of a material that every check matches on: one width, one set of
//! punctuation, simplified script, no stray whitespace or markdown, hard line breaks
//! inside sentences joined. Each normalized char remembers the original char it came
//! from, so results map back to exact spans of the original text.

use std::ops::Range;

use crate::input::Source;
use crate::span::Span;

/// Normalizes a short phrase (an aspect title, a keyword) the way material text is
/// normalized, whitespace dropped.
pub fn normalize_str(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// One paragraph of the normalized text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// Normalized char range, without the separating `'\n'`.
    pub range: Range<usize>,
    /// Bold throughout (`**…**` in markdown, bold runs in `.docx`).
    pub emphasized: bool,
    /// A heading by markup: markdown `#` count or `.docx` outline level.
    pub heading_level: Option<u8>,
    /// `.docx` automatic numbering level.
    pub list_level: Option<u8>,
}

/// Normalized text with a map back to the original.
#[derive(Debug, Clone)]
pub struct NormText {
    chars: Vec<char>,
    /// `origin[i]` is the original char index of `chars[i]`.
    origin: Vec<usize>,
    original_len: usize,
    paragraphs: Vec<Paragraph>,
}

impl NormText {
    pub fn new(source: &Source) -> Self {
        let _ = source;
        todo!("NormText::new")
    }

    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Paragraphs in order; joined by `'\n'` they are the whole normalized text.
    pub fn paragraphs(&self) -> &[Paragraph] {
        &self.paragraphs
    }

    /// The normalized chars of `range` as a string.
    pub fn string(&self, range: Range<usize>) -> String {
        self.chars[range].iter().collect()
    }

    /// Maps a non-empty normalized range to the smallest original span covering it.
    pub fn to_original(&self, range: Range<usize>) -> Span {
        if range.is_empty() {
            let at = self.origin.get(range.start).copied().unwrap_or(self.original_len);
            return Span::new(at, at);
        }
        Span::new(self.origin[range.start], self.origin[range.end - 1] + 1)
    }

    /// Length of the original text in chars.
    pub fn original_len(&self) -> usize {
        self.original_len
    }
}
