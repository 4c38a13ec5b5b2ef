//! The normalized view of a material that every check matches on: one width, one set of
//! punctuation, simplified script, no stray whitespace or markdown, hard line breaks
//! inside sentences joined. Each normalized char remembers the original char it came
//! from, so results map back to exact spans of the original text.
//!
//! Traditional script is converted char by char (with `fast2s`, which looks at the
//! neighbouring chars only to settle a few ambiguous chars): 學習 → 学习. Regional
//! vocabulary is not converted (軟體 stays 软体, not 软件; 網路 stays 网路): a known gap,
//! acceptable because materials are written in mainland usage.
//!
//! Hard line breaks are joined only where the layout says the text was wrapped at a
//! fixed width (copied from a PDF or a web page); a file with one paragraph per line is
//! left alone, and `.docx` paragraphs are always paragraphs.

use std::ops::Range;
use std::sync::OnceLock;

use crate::input::{Format, Source};
use crate::span::Span;

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
    /// `origin[i]` is the original char index of `chars[i]`. A `u32` is enough (a text is at most
    /// [`crate::input::MAX_TEXT_BYTES`]) and halves the map, which a server keeping many texts feels.
    origin: Vec<u32>,
    original_len: usize,
    paragraphs: Vec<Paragraph>,
}

impl NormText {
    pub fn new(source: &Source) -> Self {
        let original = simplified(source.text());
        let original_len = original.len();
        let lines = scan_lines(&original);
        let layout = if source.format() == Format::Docx || !source.hints().is_empty() {
            Layout::fixed()
        } else {
            Layout::estimate(&lines.lines)
        };
        let mut text = assemble(&lines, &layout);
        text.original_len = original_len;
        apply_hints(&mut text, source);
        text
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
            let at = self.origin.get(range.start).map_or(self.original_len, |&o| o as usize);
            return Span::new(at, at);
        }
        Span::new(self.origin[range.start] as usize, self.origin[range.end - 1] as usize + 1)
    }

    /// The normalized range of the chars that come from inside an original span.
    pub fn from_original(&self, span: Span) -> Range<usize> {
        let start = self.origin.partition_point(|&o| (o as usize) < span.start);
        let end = self.origin.partition_point(|&o| (o as usize) < span.end);
        start..end.max(start)
    }

    /// Length of the original text in chars.
    pub fn original_len(&self) -> usize {
        self.original_len
    }
}

/// Normalizes one char out of context: `None` for noise that is dropped (zero-width and
/// other format chars, controls), `' '` for any whitespace or line break (whose fate
/// depends on its neighbours), else the canonical char.
pub fn normalize_char(c: char) -> Option<char> {
    let simple = if traditional().may_convert(c) {
        let mut buf = [0u8; 4];
        fast2s::convert(c.encode_utf8(&mut buf)).chars().next().unwrap_or(c)
    } else {
        c
    };
    match classify(simple) {
        Class::Keep(c) => Some(c),
        Class::Space | Class::Break => Some(' '),
        Class::Drop => None,
    }
}

/// Normalizes a phrase (an aspect title, a campaign keyword) the way the text is
/// normalized, so the two compare equal: same char mapping, whitespace removed except a
/// single space between two ASCII letters or digits.
pub fn normalize_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last: Option<char> = None;
    let mut pending_space = false;
    let chars = simplified(s);
    for (i, &c) in chars.iter().enumerate() {
        match classify(c) {
            Class::Keep(c) => {
                let c = full_stop(c, last, chars.get(i + 1).copied());
                if pending_space && last.is_some_and(|l| l.is_ascii_alphanumeric()) && c.is_ascii_alphanumeric() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                last = Some(c);
            }
            Class::Space | Class::Break => pending_space = true,
            Class::Drop => {}
        }
    }
    out
}

/// The original chars in simplified script, one for one.
pub(crate) fn simplified(text: &str) -> Vec<char> {
    let chars: Vec<char> = text.chars().collect();
    let table = traditional();
    if !chars.iter().any(|&c| table.may_convert(c)) {
        // The common case, text already simplified: skips fast2s' three hash lookups
        // per char, which would be most of the cost of normalizing.
        return chars;
    }
    let converted: Vec<char> = fast2s::convert(text).chars().collect();
    if converted.len() == chars.len() {
        return converted;
    }
    // fast2s maps char to char today; should a version ever change the count, offsets
    // must still line up, so fall back to converting each char alone.
    let mut buf = [0u8; 4];
    text.chars().map(|c| fast2s::convert(c.encode_utf8(&mut buf)).chars().next().unwrap_or(c)).collect()
}

/// Chars that fast2s may change: those it converts alone, plus the few it converts only
/// next to a particular neighbour (看著, 苧麻). fast2s only touches 3-byte UTF-8
/// chars, so the BMP is enough.
#[derive(Debug)]
struct Traditional {
    bits: Box<[u64]>,
}

/// Chars fast2s leaves alone unless a neighbour makes them convert (its special table).
const CONTEXT_ONLY: [char; 3] = ['藉', '著', '苧'];

impl Traditional {
    fn build() -> Self {
        // One conversion of every 3-byte char, each between '0's: exactly the context
        // fast2s assumes at the ends of a string, so each char converts as if alone.
        let candidates = || (0x800u32..=0xffff).filter_map(char::from_u32);
        let probe: String = candidates().flat_map(|c| ['0', c]).collect();
        let converted = fast2s::convert(&probe);
        let mut bits = vec![0u64; 0x10000 / 64].into_boxed_slice();
        let mut mark = |c: char| {
            let i = u32::from(c) as usize;
            bits[i / 64] |= 1 << (i % 64);
        };
        for (c, to) in candidates().zip(converted.chars().skip(1).step_by(2)) {
            if c != to {
                mark(c);
            }
        }
        CONTEXT_ONLY.into_iter().for_each(&mut mark);
        Self { bits }
    }

    fn may_convert(&self, c: char) -> bool {
        let i = u32::from(c) as usize;
        self.bits.get(i / 64).is_some_and(|word| word & (1 << (i % 64)) != 0)
    }
}

/// Whether fast2s may change a char, alone or beside a neighbour: a text without such chars is simplified already.
pub(crate) fn may_convert(c: char) -> bool {
    traditional().may_convert(c)
}

/// What an already simplified char becomes in the normalized text, if it stays as a char of its own: whitespace
/// and noise do not. Markdown markup and the full stop's context are the normalizer's business; they only ever
/// concern punctuation.
pub(crate) fn canonical(c: char) -> Option<char> {
    match classify(c) {
        Class::Keep(c) => Some(c),
        Class::Space | Class::Break | Class::Drop => None,
    }
}

fn traditional() -> &'static Traditional {
    static TABLE: OnceLock<Traditional> = OnceLock::new();
    TABLE.get_or_init(Traditional::build)
}

/// What one (already simplified) char becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Keep(char),
    /// Horizontal whitespace.
    Space,
    /// A line break other than `'\n'`/`'\r'`, which the line splitter handles.
    Break,
    /// Noise: removed without a trace.
    Drop,
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Unicode format chars (category Cf) and variation selectors: invisible, and inserted
/// by some template sites precisely to defeat copy detection.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
            | '\u{e0100}'..='\u{e01ef}'
    )
}

fn classify(c: char) -> Class {
    if c.is_ascii_alphanumeric() || ('\u{4e00}'..='\u{9fff}').contains(&c) {
        return Class::Keep(c);
    }
    if is_line_break(c) {
        return Class::Break;
    }
    if c.is_whitespace() {
        return Class::Space;
    }
    if c.is_control() || is_format(c) {
        return Class::Drop;
    }
    // Fullwidth ASCII (！ … ～) to ASCII first, then ASCII punctuation to its one form.
    let c = match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
        _ => c,
    };
    Class::Keep(match c {
        ',' => '，',
        ';' => '；',
        ':' => '：',
        '?' => '？',
        '!' => '！',
        '(' => '（',
        ')' => '）',
        '“' | '”' | '「' | '」' | '『' | '』' | '\u{ff62}' | '\u{ff63}' => '"',
        '‘' | '’' => '\'',
        '[' | '〔' | '〖' => '【',
        ']' | '〕' | '〗' => '】',
        '–' | '―' | '─' => '—',
        '〜' => '~',
        '⋯' => '…',
        '\u{ff61}' => '。',
        '\u{ff64}' => '、',
        other => other,
    })
}

/// Chinese text typed with half-width punctuation ends its sentences with '.': after
/// Chinese text it is a full stop, while "1." and "3.5" keep their dot (so does "...").
fn full_stop(c: char, prev: Option<char>, next: Option<char>) -> char {
    let after_chinese = prev.is_some_and(|p| is_cjk(p) || matches!(p, '"' | '\'' | '）' | '】' | '》'));
    let ends = next.is_none_or(|n| !(n.is_ascii_alphanumeric() || matches!(n, '.' | '．')));
    if c == '.' && after_chinese && ends { '。' } else { c }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{20000}'..='\u{2ffff}')
}

/// How a line starts, for deciding whether a line break before it ends a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lead {
    Plain,
    /// 一是 首先: open an enumeration, which also occurs inside a paragraph.
    Opening,
    /// 二是 … 十是 其次 再次 最后: continue one.
    Soft,
    /// 一、 （一） （1） 1. 1、 1） ① 第一、: they start a paragraph.
    Strong,
}

/// One line of the original after normalization, before paragraphs are formed.
#[derive(Debug, Clone, Copy)]
struct Line {
    /// Range in `Lines::chars`.
    start: usize,
    end: usize,
    /// Original index of the line break that ends the line, if any.
    brk: Option<usize>,
    /// Markdown `#` count.
    heading: Option<u8>,
    /// The whole line was wrapped in `**` or `__`.
    emphasized: bool,
    /// Starts with markdown that always opens a block: bullet or bold.
    block_start: bool,
    lead: Lead,
    terminal: bool,
}

impl Line {
    fn len(&self) -> usize {
        self.end - self.start
    }

    fn is_blank(&self) -> bool {
        self.start == self.end
    }
}

/// All lines' normalized chars back to back, with their origins.
#[derive(Debug, Default)]
struct Lines {
    chars: Vec<char>,
    origin: Vec<u32>,
    lines: Vec<Line>,
}

fn scan_lines(original: &[char]) -> Lines {
    let mut out = Lines {
        chars: Vec::with_capacity(original.len()),
        origin: Vec::with_capacity(original.len()),
        lines: Vec::with_capacity(original.len() / 16 + 1),
    };
    let mut tokens = Vec::new();
    let mut start = 0;
    loop {
        let end = original[start..].iter().position(|&c| is_line_break(c)).map_or(original.len(), |p| start + p);
        let brk = (end < original.len()).then_some(end);
        let line = scan_line(original, start..end, brk, &mut out, &mut tokens);
        out.lines.push(line);
        let Some(brk) = brk else { break };
        start = if original[brk] == '\r' && original.get(brk + 1) == Some(&'\n') { brk + 2 } else { brk + 1 };
    }
    out
}

/// A run of exactly two `c` at `at` is a markdown emphasis token; longer runs such as
/// `____` are fill-in blanks, not markup.
fn token_at(chars: &[char], at: usize, c: char) -> bool {
    chars.get(at) == Some(&c)
        && chars.get(at + 1) == Some(&c)
        && chars.get(at + 2) != Some(&c)
        && (at == 0 || chars[at - 1] != c)
}

fn is_blank_char(c: char) -> bool {
    matches!(classify(c), Class::Space | Class::Drop)
}

/// Normalizes one line `range` of `original` into `out`, stripping markdown.
fn scan_line(
    original: &[char],
    range: Range<usize>,
    brk: Option<usize>,
    out: &mut Lines,
    tokens: &mut Vec<usize>,
) -> Line {
    let line = &original[range.clone()];
    let offset = range.start;
    let mut p = line.iter().position(|&c| !is_blank_char(c)).unwrap_or(line.len());
    let content_end = line.iter().rposition(|&c| !is_blank_char(c)).map_or(p, |i| i + 1);

    let hashes = line[p..].iter().take_while(|&&c| c == '#').count();
    let mut heading = None;
    if (1..=6).contains(&hashes) && line.get(p + hashes).is_none_or(|&c| classify(c) == Class::Space) {
        heading = u8::try_from(hashes).ok();
        p += hashes;
        p += line[p..].iter().take_while(|&&c| is_blank_char(c)).count();
    }
    let mut bullet = false;
    if let Some(&c) = line.get(p) {
        let spaced = line.get(p + 1).is_some_and(|&n| classify(n) == Class::Space);
        if matches!(c, '•' | '●' | '▪') || (matches!(c, '-' | '*') && spaced) {
            bullet = true;
            p += 1;
            p += line[p..].iter().take_while(|&&c| is_blank_char(c)).count();
        }
    }

    // A line of markup only ("# ") has its content end before the markup end.
    let content_end = content_end.max(p);

    // Emphasis tokens pair up in order; an odd last one is literal text.
    tokens.clear();
    let mut counts = [0usize; 2];
    for (i, mark) in [(0, '*'), (1, '_')] {
        if !line[p..content_end].contains(&mark) {
            continue;
        }
        let before = tokens.len();
        let mut k = p;
        while k < content_end {
            if token_at(&line[..content_end], k, mark) {
                tokens.push(k);
                k += 2;
            } else {
                k += 1;
            }
        }
        if (tokens.len() - before) % 2 == 1 {
            tokens.pop();
        }
        counts[i] = tokens.len() - before;
    }
    tokens.sort_unstable();
    let emphasized = tokens.len() == 2
        && counts.contains(&2)
        && tokens[0] == p
        && tokens[1] + 2 == content_end
        && content_end > p + 4;
    let block_start = bullet || tokens.first() == Some(&p);

    let start = out.chars.len();
    let mut pending_space: Option<usize> = None;
    let mut next_token = tokens.iter().copied().peekable();
    let mut k = p;
    while k < content_end {
        if next_token.peek() == Some(&k) {
            next_token.next();
            k += 2;
            continue;
        }
        match classify(line[k]) {
            Class::Keep(c) => {
                let prev = out.chars[start..].last().copied();
                let c = full_stop(c, prev, line.get(k + 1).copied());
                if let Some(space) = pending_space.take() {
                    let joins_words = out.chars.len() > start
                        && out.chars.last().is_some_and(char::is_ascii_alphanumeric)
                        && c.is_ascii_alphanumeric();
                    if joins_words {
                        out.chars.push(' ');
                        out.origin.push((offset + space) as u32);
                    }
                }
                out.chars.push(c);
                out.origin.push((offset + k) as u32);
            }
            Class::Space | Class::Break => {
                pending_space.get_or_insert(k);
            }
            Class::Drop => {}
        }
        k += 1;
    }
    let end = out.chars.len();
    let chars = &out.chars[start..end];
    Line { start, end, brk, heading, emphasized, block_start, lead: lead(chars), terminal: terminal(chars) }
}

fn is_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '：' | '…')
}

/// Ends a sentence: terminal punctuation, possibly inside a closing quote.
fn terminal(chars: &[char]) -> bool {
    match chars {
        [.., p, '"' | '\''] => is_terminal(*p),
        [.., last] => is_terminal(*last),
        [] => false,
    }
}

fn is_chinese_digit(c: char) -> bool {
    matches!(c, '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十')
}

fn lead(chars: &[char]) -> Lead {
    let first = match chars.first() {
        Some(&c) => c,
        None => return Lead::Plain,
    };
    if matches!(first, '\u{2460}'..='\u{249b}' | '\u{2776}'..='\u{2793}') {
        return Lead::Strong;
    }
    let numerals = chars.iter().take_while(|&&c| is_chinese_digit(c)).count();
    if (1..=3).contains(&numerals) {
        return match chars.get(numerals) {
            Some('、') => Lead::Strong,
            Some('是') if chars[0] == '一' && numerals == 1 => Lead::Opening,
            Some('是') => Lead::Soft,
            _ => Lead::Plain,
        };
    }
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=2).contains(&digits) {
        return match (chars.get(digits), chars.get(digits + 1)) {
            (Some('.'), next) if !next.is_some_and(char::is_ascii_digit) => Lead::Strong,
            (Some('、' | '）'), _) => Lead::Strong,
            _ => Lead::Plain,
        };
    }
    if first == '（' {
        let inner = &chars[1..];
        let n = inner.iter().take_while(|&&c| is_chinese_digit(c) || c.is_ascii_digit()).count();
        if (1..=3).contains(&n) && inner.get(n) == Some(&'）') {
            return Lead::Strong;
        }
    }
    if first == '第' {
        let n = chars[1..].iter().take_while(|&&c| is_chinese_digit(c)).count();
        if (1..=3).contains(&n) && matches!(chars.get(n + 1), Some('、' | '，' | '：')) {
            return Lead::Strong;
        }
    }
    if matches!(chars, ['首', '先', ..]) {
        return Lead::Opening;
    }
    if matches!(chars, ['其' | '再', '次', ..] | ['最', '后', ..]) {
        return Lead::Soft;
    }
    Lead::Plain
}

/// The wrap width of a hard-wrapped text, if the text looks wrapped at all.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// `None`: line breaks are paragraph breaks.
    width: Option<usize>,
    /// Most lines are within `tolerance` of `width`: a line that long was broken by
    /// the wrap, whatever it ends with.
    regular: bool,
    tolerance: usize,
}

/// With fewer lines, a wrap cannot be told from two paragraphs without punctuation.
const MIN_LINES: usize = 3;
/// Below this, lines are too short to tell a wrap from a list of short lines.
const MIN_WRAP: usize = 10;
/// At or above this, lines are paragraphs (nobody wraps Chinese text this wide).
const MAX_WRAP: usize = 100;

impl Layout {
    fn fixed() -> Self {
        Self { width: None, regular: false, tolerance: 0 }
    }

    /// The wrap width is the 80th percentile of non-blank line lengths: in wrapped
    /// text most lines are full, paragraph ends and headings are the shorter rest.
    fn estimate(lines: &[Line]) -> Self {
        let mut lengths: Vec<usize> = lines.iter().filter(|l| !l.is_blank()).map(Line::len).collect();
        if lengths.len() < MIN_LINES {
            return Self::fixed();
        }
        lengths.sort_unstable();
        let width = lengths[(lengths.len() - 1) * 4 / 5];
        if !(MIN_WRAP..MAX_WRAP).contains(&width) {
            return Self::fixed();
        }
        let tolerance = (width / 20).max(1);
        let at_width = lengths.iter().filter(|&&l| l.abs_diff(width) <= tolerance).count();
        Self { width: Some(width), regular: at_width * 2 >= lengths.len(), tolerance }
    }

    /// Whether the line break between `prev` and `next` is a wrap inside a paragraph.
    fn joins(&self, prev: &Line, next: &Line) -> bool {
        let Some(width) = self.width else {
            return false;
        };
        let markup = prev.heading.is_some() || prev.emphasized || next.heading.is_some() || next.block_start;
        if markup || next.lead == Lead::Strong || prev.len() * 10 < width * 7 {
            return false;
        }
        if self.regular && prev.len() + self.tolerance >= width {
            // A full line: a sentence that happens to end at the margin is still
            // followed by the rest of its paragraph, far more often than not; but a
            // sentence and then 一是 is how a paragraph of items begins.
            return !(prev.terminal && next.lead == Lead::Opening);
        }
        !prev.terminal && next.lead == Lead::Plain
    }
}

/// Forms paragraphs from the lines: joins wrapped lines, one `'\n'` between paragraphs.
fn assemble(lines: &Lines, layout: &Layout) -> NormText {
    let capacity = lines.chars.len() + lines.lines.len();
    let mut chars = Vec::with_capacity(capacity);
    let mut origin = Vec::with_capacity(capacity);
    let mut paragraphs: Vec<Paragraph> = Vec::new();
    let mut prev: Option<&Line> = None;
    let mut gap = false;
    for line in &lines.lines {
        if line.is_blank() {
            gap = true;
            continue;
        }
        let body = &lines.chars[line.start..line.end];
        match prev {
            Some(p) if !gap && layout.joins(p, line) => {
                let words = chars.last().is_some_and(char::is_ascii_alphanumeric)
                    && body.first().is_some_and(char::is_ascii_alphanumeric);
                if words {
                    chars.push(' ');
                    origin.push(p.brk.map_or(lines.origin[line.start], |b| b as u32));
                }
            }
            _ => {
                if let Some(last) = paragraphs.last_mut() {
                    last.range.end = chars.len();
                }
                if let Some(p) = prev {
                    chars.push('\n');
                    origin.push(p.brk.map_or(lines.origin[line.start], |b| b as u32));
                }
                paragraphs.push(Paragraph {
                    range: chars.len()..chars.len(),
                    emphasized: line.emphasized,
                    heading_level: line.heading,
                    list_level: None,
                });
            }
        }
        chars.extend_from_slice(body);
        origin.extend_from_slice(&lines.origin[line.start..line.end]);
        prev = Some(line);
        gap = false;
    }
    if let Some(last) = paragraphs.last_mut() {
        last.range.end = chars.len();
    }
    NormText { chars, origin, original_len: 0, paragraphs }
}

/// Carries `.docx` paragraph hints (original offsets) over to the normalized paragraphs
/// they overlap.
fn apply_hints(text: &mut NormText, source: &Source) {
    let hints = source.hints();
    if hints.is_empty() {
        return;
    }
    let mut h = 0;
    for para in &mut text.paragraphs {
        if para.range.is_empty() {
            continue;
        }
        let start = text.origin[para.range.start] as usize;
        let end = text.origin[para.range.end - 1] as usize + 1;
        while hints.get(h).is_some_and(|hint| hint.span.end <= start) {
            h += 1;
        }
        for hint in hints[h..].iter().take_while(|hint| hint.span.start < end) {
            if hint.span.end <= start {
                continue;
            }
            para.heading_level = para.heading_level.or(hint.heading_level);
            para.list_level = para.list_level.or(hint.list_level);
            para.emphasized |= hint.bold;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::input::ParagraphHint;

    /// Paragraphs of `examples/material-2021-county.txt` (shared with the domain notes).
    const EXAMPLE: [&str; 7] = [
        "# 2021年度组织生活会个人对照检查材料",
        "根据县委组织部《关于召开2021年度基层党组织组织生活会和开展民主评议党员工作的通知》要求，会前本人深入学习了规定篇目，进一步加深了对习近平新时代中国特色社会主义思想的认识理解，坚定了政治立场、锤炼了党性修养，为开好这次组织生活会奠定了坚实的思想基础。同时，紧密结合工作实际，深入开展谈心谈话、广泛征求意见建议、深刻剖析问题根源，明确了整改措施和今后的努力方向。现将个人对照检查情况汇报如下：",
        "**一、存在的主要问题**",
        "（一）在学懂弄通做实习近平新时代中国特色社会主义思想，把握正确政治方向，提高政治能力，增强\"四个意识\"、坚定\"四个自信\"、做到\"两个维护\"方面。",
        "一是理论学习不深入。存在着现用现学、急用急学、不用缓学的思想，主观认为自己工作时间久，工作经历和工作经验也比较丰富，在思想上产生了松劲心态，导致出现理论学习不深不透，对习近平新时代中国特色社会主义思想的内涵外延理解得还不够透彻，没有完全做到真学真懂、活学活用。二是理论指导实践还有欠缺。政治理论学习与工作融合上还不紧密，只停留在通读了解的层面，缺乏整体性、系统性、连贯性，对部分理论文章和政策文件只是泛读，没有系统学习，在对学习成果如何指导具体工作上，思路不清，办法不多。三是主观认识不到位。抓意识形态工作力度不强，第一责任人表率作用没有充分发挥，对领导班子成员和其他党员干部约束不够严格，特别是对极个别服务意识不强、工作纪律松散的干部批评不够严厉、管理不够到位，与上级要求和当前工作形势需要相比还有一定差距。",
        "（二）在坚持和加强党的全面领导，充分发挥各级党组织的政治功能，团结带领人民群众不折不扣贯彻落实党中央决策部署方面。",
        "一是发挥党组织的政治功能不充分。在融合推进支部党建与中心工作上方法不多，\"三会一课\"、主题党日等规定动作组织开展的成效不明显，个别党员干部不重视自身政治修养提升，党员意识、政治责任有所弱化，理想信念出现偏差，致使中心党支部凝聚群众、宣传群众、组织群众的政治功能不能充分发挥。二是贯彻落实决策部署不全面。在贯彻落实上级各项决策部署和目标任务上，对政策学习不深入、领会精神不透彻。对单位利益考虑多、对自身困难强调多，导致在任务落实上研究不够、站位不高、看的不远，部分工作落实还不到位。三是服务群众的能力还不够强。平常忙于中心工作，忽视了基层调研，习惯于听汇报、看数据，日常调研针对性、主动性不强，在准确把握新时代政务服务工作的职责定位和形势要求上还有差距，不能完全结合政务服务工作特点，细化实化更多满足广大办事群众的便利措施，立足实际，服务群众的能力有待于进一步提升。",
    ];

    fn norm(text: &str) -> NormText {
        NormText::new(&Source::with_hints(text.to_owned(), Format::Utf8, Vec::new()))
    }

    fn all(text: &NormText) -> String {
        text.string(0..text.len())
    }

    fn paragraph_texts(text: &NormText) -> Vec<String> {
        text.paragraphs().iter().map(|p| text.string(p.range.clone())).collect()
    }

    fn wrap(paragraph: &str, width: usize) -> String {
        let chars: Vec<char> = paragraph.chars().collect();
        chars.chunks(width).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn width_and_punctuation_have_one_form() {
        let text =
            norm("ＡＢＣ１２３ａｂｃ,，;；:：?？!！(（)）．.“引”「号」『双』＂x＂‘单’'y'〔1〕[2]【3】［4］—–―─…～~");
        assert_eq!(
            all(&text),
            "ABC123abc，，；；：：？？！！（（））..\"引\"\"号\"\"双\"\"x\"'单''y'【1】【2】【3】【4】————…~~"
        );
    }

    #[test]
    fn traditional_script_is_simplified() {
        assert_eq!(all(&norm("學習貫徹黨的創新理論，堅定「四個自信」。")), "学习贯彻党的创新理论，坚定\"四个自信\"。");
        assert_eq!(normalize_str("學習 貫徹"), "学习贯彻");
        assert_eq!(normalize_char('學'), Some('学'));
    }

    #[test]
    fn traditional_chars_are_all_known() {
        let table = traditional();
        for c in "學習貫徹黨創論堅藉著苧乾".chars() {
            assert!(table.may_convert(c), "{c}");
        }
        for c in "学习贯彻党的创新理论坚定，a".chars() {
            assert!(!table.may_convert(c), "{c}");
        }
        // Context-only conversions: the fast path must not skip them.
        for text in ["看著", "苧麻"] {
            let expected: Vec<char> = fast2s::convert(text).chars().collect();
            assert_ne!(expected, text.chars().collect::<Vec<_>>(), "{text}");
            assert_eq!(simplified(text), expected);
        }
    }

    #[test]
    fn noise_is_dropped_and_origins_skip_it() {
        let text = norm("理\u{200b}论\u{feff}学\u{ad}习\u{2060}不\u{7}够\u{202e}。");
        assert_eq!(all(&text), "理论学习不够。");
        assert_eq!(text.to_original(1..2), Span::new(2, 3));
        assert_eq!(text.original_len(), 13);
        assert_eq!(normalize_char('\u{200b}'), None);
    }

    #[test]
    fn whitespace_is_dropped_except_between_ascii_words() {
        let text = norm("　　学习 贯彻\u{a0}Microsoft  Word\t2019 版本 ,\u{3000}好 ");
        assert_eq!(all(&text), "学习贯彻Microsoft Word 2019版本，好");
        assert_eq!(normalize_str(" 政治 信仰\t"), "政治信仰");
        assert_eq!(normalize_str("Word  2019"), "Word 2019");
    }

    #[test]
    fn line_endings_are_paragraph_breaks_in_unwrapped_text() {
        let text = norm("\r\n第一段。\r\n\r\n\r\n第二段\r第三段\n\n");
        assert_eq!(all(&text), "第一段。\n第二段\n第三段");
        assert_eq!(paragraph_texts(&text), ["第一段。", "第二段", "第三段"]);
        assert_eq!(text.to_original(4..5), Span::new(6, 7), "a break maps to the original break");
    }

    #[test]
    fn markdown_is_stripped_with_hints() {
        let text = norm(
            "# 标题\n\n**一、存在的主要问题**\n\n## （一）政治方面\n- 一是**学习**不够。\n* 二是__落实__不够。\n____年__月\n•三是 a*b",
        );
        assert_eq!(
            paragraph_texts(&text),
            [
                "标题",
                "一、存在的主要问题",
                "（一）政治方面",
                "一是学习不够。",
                "二是落实不够。",
                "____年__月",
                "三是a*b"
            ]
        );
        let flags: Vec<(Option<u8>, bool)> =
            text.paragraphs().iter().map(|p| (p.heading_level, p.emphasized)).collect();
        assert_eq!(
            flags,
            [
                (Some(1), false),
                (None, true),
                (Some(2), false),
                (None, false),
                (None, false),
                (None, false),
                (None, false)
            ]
        );
        let title = &text.paragraphs()[1];
        assert_eq!(text.to_original(title.range.clone()), Span::new(8, 17), "the markup is not part of the title");
    }

    #[test]
    fn hard_wrapped_example_reads_as_unwrapped() {
        let unwrapped = norm(&EXAMPLE.join("\n\n"));
        assert_eq!(unwrapped.paragraphs().len(), EXAMPLE.len());
        // Wrapping cannot be undone where a paragraph ends exactly at the margin and the
        // next one starts without a marker: such widths are left out.
        // (within the tolerance for lines a char short, as justified text has them).
        let ambiguous = |width: usize| {
            EXAMPLE.windows(2).any(|w| {
                let (len, rest) = (w[0].chars().count(), w[0].chars().count() % width);
                let full = rest == 0 || rest + (width / 20).max(1) >= width;
                len > width && full && !w[1].starts_with(['（', '*', '#']) && !w[1].starts_with("一是")
            })
        };
        let mut tested = 0;
        for width in 20..=60 {
            if ambiguous(width) {
                continue;
            }
            for separator in ["\n", "\n\n"] {
                // A markdown heading cannot be wrapped: its continuation would not be one.
                let wrapped: Vec<String> =
                    EXAMPLE.iter().map(|p| if p.starts_with('#') { (*p).to_owned() } else { wrap(p, width) }).collect();
                let wrapped = norm(&wrapped.join(separator));
                assert_eq!(all(&wrapped), all(&unwrapped), "width {width}, separator {separator:?}");
                tested += 1;
            }
        }
        assert!(tested > 70);
    }

    #[test]
    fn one_paragraph_per_line_is_not_joined() {
        let text = norm(&EXAMPLE.join("\n"));
        assert_eq!(paragraph_texts(&text).len(), EXAMPLE.len());
        let lines =
            norm("第一行没有标点但是很长很长很长很长很长很长很长\n第二行也没有标点但是很长很长很长很长很长很长");
        assert_eq!(lines.paragraphs().len(), 2, "too few lines to tell a wrap");
    }

    #[test]
    fn headings_and_markers_are_not_joined() {
        let filler = "对照检查自身存在的问题深刻剖析产生问题的根源并提出";
        let text = format!(
            "{filler}\n{filler}\n{filler}\n（一）政治方面存在的问题\n{filler}\n1.加强理论学习\n{filler}\n## 措施\n{filler}\n{filler}"
        );
        let text = norm(&text);
        let paragraphs = paragraph_texts(&text);
        assert_eq!(paragraphs.len(), 7, "{paragraphs:?}");
        assert_eq!(paragraphs[0], filler.repeat(3));
        assert_eq!(paragraphs[1], "（一）政治方面存在的问题");
        assert_eq!(paragraphs[2], filler);
        assert_eq!(paragraphs[3], "1.加强理论学习");
        assert_eq!(paragraphs[5], "措施");
        assert_eq!(text.paragraphs()[5].heading_level, Some(2));
        assert_eq!(paragraphs[6], filler.repeat(2));
    }

    #[test]
    fn english_words_split_by_a_wrap_keep_their_space() {
        let line = "Word运用办公软件和政务服务平台开展日常工作处理Office";
        let text = norm(&format!("{line}\n{line}\n{line}。"));
        assert_eq!(all(&text), format!("{line} {line} {line}。"));
        assert_eq!(text.to_original(33..34), Span::new(33, 34), "the space stands for the line break");
    }

    #[test]
    fn docx_hints_reach_the_paragraphs() {
        let raw = "一、问题\n  理论学习不够\n\u{200b}\n加强学习";
        let hints = vec![
            ParagraphHint { span: Span::new(0, 4), heading_level: Some(1), bold: true, list_level: None },
            ParagraphHint { span: Span::new(5, 13), heading_level: None, bold: false, list_level: Some(0) },
            ParagraphHint { span: Span::new(14, 15), heading_level: Some(3), bold: true, list_level: None },
            ParagraphHint { span: Span::new(16, 20), heading_level: None, bold: true, list_level: Some(1) },
        ];
        let text = NormText::new(&Source::with_hints(raw.to_owned(), Format::Docx, hints));
        let got: Vec<(String, Option<u8>, bool, Option<u8>)> = text
            .paragraphs()
            .iter()
            .map(|p| (text.string(p.range.clone()), p.heading_level, p.emphasized, p.list_level))
            .collect();
        assert_eq!(
            got,
            [
                ("一、问题".to_owned(), Some(1), true, None),
                ("理论学习不够".to_owned(), None, false, Some(0)),
                ("加强学习".to_owned(), None, true, Some(1)),
            ]
        );
    }

    #[test]
    fn empty_and_blank_texts_have_no_paragraphs() {
        for raw in ["", "\n\n", " \u{3000}\r\n\u{200b}", "**"] {
            let text = norm(raw);
            assert!(text.is_empty() || raw == "**", "{raw:?}");
            assert_eq!(text.original_len(), raw.chars().count());
        }
        assert_eq!(text_of_stars(), "**");
    }

    fn text_of_stars() -> String {
        all(&norm("**"))
    }

    fn material_strategy() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\r".to_owned()),
            Just("\n\n".to_owned()),
            Just("# ".to_owned()),
            Just("**".to_owned()),
            Just("__".to_owned()),
            Just("- ".to_owned()),
            Just("一、".to_owned()),
            Just("（一）".to_owned()),
            Just("一是".to_owned()),
            Just("。".to_owned()),
            Just("\u{3000}".to_owned()),
            Just("\u{200b}".to_owned()),
            Just("ＡＢ１".to_owned()),
            Just(" ".to_owned()),
            "[a-zA-Z0-9 ]{1,4}",
            "[\u{4e00}-\u{9fff}]{1,40}",
            "[學習黨貫徹們這]{1,3}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
    }

    fn check_invariants(text: &NormText, original_len: usize) {
        assert_eq!(text.original_len(), original_len);
        assert_eq!(text.chars.len(), text.origin.len());
        assert!(text.origin.windows(2).all(|w| w[0] <= w[1]), "origin not monotonic");
        assert!(text.origin.iter().all(|&o| (o as usize) < original_len));
        let joined: Vec<String> = text.paragraphs().iter().map(|p| text.string(p.range.clone())).collect();
        assert_eq!(joined.join("\n"), all(text));
        assert!(text.paragraphs().iter().all(|p| !p.range.is_empty()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn normalization_keeps_its_invariants(raw in material_strategy(), start in 0usize..400, len in 1usize..400) {
            let text = norm(&raw);
            let original_len = raw.chars().count();
            check_invariants(&text, original_len);
            if !text.is_empty() {
                let start = start % text.len();
                let end = (start + len).min(text.len());
                let span = text.to_original(start..end);
                prop_assert!(span.start < span.end && span.end <= original_len);
            }
        }

        #[test]
        fn arbitrary_hints_never_panic(raw in material_strategy(), spans in prop::collection::vec((0usize..200, 0usize..200, any::<bool>()), 0..8)) {
            let hints = spans
                .into_iter()
                .map(|(a, b, bold)| ParagraphHint {
                    span: Span::new(a.min(b), a.max(b)),
                    heading_level: bold.then_some(1),
                    bold,
                    list_level: None,
                })
                .collect();
            let text = NormText::new(&Source::with_hints(raw.clone(), Format::Docx, hints));
            check_invariants(&text, raw.chars().count());
        }

        #[test]
        fn the_fast_path_converts_exactly_as_fast2s(raw in "[學習黨們這藉口看著苧麻乾隆坤覆答夥甚計畫闔家鍾書的是a1 ]{0,30}") {
            let expected: Vec<char> = fast2s::convert(&raw).chars().collect();
            prop_assert_eq!(simplified(&raw), expected);
        }

        #[test]
        fn normalize_str_is_idempotent(raw in material_strategy()) {
            let once = normalize_str(&raw);
            prop_assert_eq!(normalize_str(&once), once.clone());
        }
    }
}
