//! The skeleton of a text: its significant chars only (no punctuation, whitespace or
//! the separator glyphs scraped pages insert), each remembering its normalized index.
//! Copy detection compares skeletons, so punctuation and layout edits change nothing.

use std::ops::Range;
use std::sync::OnceLock;

use crate::normalize::{self, NormText};

/// Glyphs that web pages and converters insert between characters as separators or
/// decoration; they are never part of what a member wrote.
const NOISE: &[char] = &['丨', '丶', '丿', '乛', '亅', '乚', '〡', '〢', '〣', '〤', '〥', '〦', '〧', '〨', '〩'];

/// Whether a normalized char takes part in matching.
pub fn is_significant(c: char) -> bool {
    crate::segment::is_significant(c) && !NOISE.contains(&c)
}

/// The significant chars of a text, exactly as `Skeleton::new(&NormText::new(source)).chars` has them, in one
/// pass of table lookups without building the normalized text: all that fingerprints need, so the index build and
/// candidate retrieval skip the normalizer's line, paragraph and origin bookkeeping. This holds because that
/// bookkeeping only removes or rewrites whitespace, markup and punctuation, none of them significant.
pub fn significant_chars(text: &str) -> Vec<char> {
    let table = table();
    let mut out = Vec::with_capacity(text.len() / 3 + 1);
    // fast2s converts a char by the chars on either side of it ('0' beyond the ends), so this one does too.
    let mut chars = text.chars().peekable();
    let mut prev = '0';
    while let Some(c) = chars.next() {
        let mapped = match table.get(c as usize) {
            Some(&CONVERT) => convert(prev, c, chars.peek().copied().unwrap_or('0')),
            Some(&mapped) => mapped,
            None => skeleton_char(c).unwrap_or(NOTHING),
        };
        if mapped != NOTHING {
            out.push(mapped);
        }
        prev = c;
    }
    out
}

/// A char that fast2s may change, converted between its neighbours as fast2s converts it inside a text (rare:
/// materials are written in simplified script).
fn convert(prev: char, c: char, next: char) -> char {
    let converted = normalize::simplified(&String::from_iter([prev, c, next]));
    converted.get(1).copied().and_then(skeleton_char).unwrap_or(NOTHING)
}

/// Table entries: no significant char, and a char to be converted to simplified script first.
const NOTHING: char = '\0';
const CONVERT: char = '\u{1}';

/// What the skeleton has for a char of simplified text, if anything.
fn skeleton_char(c: char) -> Option<char> {
    normalize::canonical(c).filter(|&k| is_significant(k))
}

/// For every char of the Basic Multilingual Plane, what the skeleton has for it (`NOTHING`, `CONVERT` or a char).
fn table() -> &'static [char] {
    static TABLE: OnceLock<Box<[char]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..0x10000u32)
            .map(|code| match char::from_u32(code) {
                None => NOTHING,
                Some(c) if normalize::may_convert(c) => CONVERT,
                Some(c) => skeleton_char(c).unwrap_or(NOTHING),
            })
            .collect()
    })
}

/// Whether the line break at `at` ends a passage: after a full stop, or before a
/// heading or an enumerator. A break inside a sentence (text pasted from a PDF) does not.
fn structural_break(chars: &[char], at: usize) -> bool {
    let before = chars[..at].iter().rev().find(|c| !c.is_whitespace());
    let after = chars[at + 1..].iter().find(|c| !c.is_whitespace());
    let ends = before.is_none_or(|c| matches!(c, '。' | '！' | '？' | '；' | '：' | '"' | '）'));
    let opens = after.is_none_or(|c| {
        matches!(
            c,
            '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '（' | '第' | '首' | '其' | '最'
        ) || c.is_ascii_digit()
            || ('①'..='⑳').contains(c)
    });
    ends || opens
}

/// Significant chars and their normalized positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skeleton {
    pub chars: Vec<char>,
    /// `norm[i]` is the normalized index of `chars[i]`.
    pub norm: Vec<u32>,
    /// `para[i]` is the paragraph `chars[i]` stands in.
    pub para: Vec<u32>,
}

impl Skeleton {
    pub fn new(text: &NormText) -> Self {
        Self::from_chars(text.chars())
    }

    pub fn from_chars(chars: &[char]) -> Self {
        let mut skeleton = Self {
            chars: Vec::with_capacity(chars.len()),
            norm: Vec::with_capacity(chars.len()),
            para: Vec::with_capacity(chars.len()),
        };
        let mut para = 0;
        for (i, &c) in chars.iter().enumerate() {
            if c == '\n' {
                para += u32::from(structural_break(chars, i));
            } else if is_significant(c) {
                skeleton.chars.push(c);
                skeleton.norm.push(i as u32);
                skeleton.para.push(para);
            }
        }
        skeleton
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The normalized range from the first to the last char of a skeleton range.
    pub fn to_norm(&self, range: Range<usize>) -> Range<usize> {
        if range.is_empty() {
            let at = self.norm.get(range.start).map_or(0, |&n| n as usize);
            return at..at;
        }
        self.norm[range.start] as usize..self.norm[range.end - 1] as usize + 1
    }

    /// The skeleton range whose chars lie inside a normalized range.
    pub fn from_norm(&self, range: Range<usize>) -> Range<usize> {
        let start = self.norm.partition_point(|&n| (n as usize) < range.start);
        let end = self.norm.partition_point(|&n| (n as usize) < range.end);
        start..end.max(start)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::input::Source;

    fn full_path(text: &str) -> Vec<char> {
        Source::from_text(text).map(|s| Skeleton::new(&NormText::new(&s)).chars).unwrap_or_default()
    }

    #[test]
    fn the_example_material_has_the_same_significant_chars_both_ways() {
        let text = include_str!("../../../../examples/material-2021-county.txt");
        assert_eq!(significant_chars(text), full_path(text));
        assert!(significant_chars(text).len() > 1000);
    }

    #[test]
    fn traditional_script_and_context_conversions_take_the_normalizer_s_path() {
        for text in ["學習貫徹黨的創新理論", "看著苧麻，藉口", "ＡＢ１學", "著", "慰藉", "顯著", "乾隆的乾兒子", "藉"]
        {
            assert_eq!(significant_chars(text), full_path(text), "{text}");
        }
        assert_eq!(significant_chars("學習").iter().collect::<String>(), "学习");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Whatever the text, the one-pass chars are the normalizer's skeleton: markdown, wrapped lines, widths,
        /// noise glyphs, format chars, traditional script and any char at all.
        #[test]
        fn one_pass_chars_equal_the_skeleton_of_the_normalized_text(pieces in proptest::collection::vec(prop_oneof![
            Just("\n".to_owned()), Just("\r\n".to_owned()), Just("\r".to_owned()), Just("# ".to_owned()),
            Just("**".to_owned()), Just("__".to_owned()), Just("- ".to_owned()), Just("• ".to_owned()),
            Just("一、".to_owned()), Just("（一）".to_owned()), Just("1.".to_owned()), Just("。".to_owned()),
            Just(".".to_owned()), Just("\u{3000}".to_owned()), Just("\u{200b}".to_owned()), Just("丨".to_owned()),
            Just("ＡＢ１ａ".to_owned()), Just("〇々".to_owned()), Just("\u{e0041}".to_owned()),
            "[a-zA-Z0-9 ]{1,4}", "[\u{4e00}-\u{9fff}]{1,20}", "[學習黨貫徹們這著藉苧麻]{1,3}",
            // fast2s's conversions that depend on a neighbour.
            "[慰狼藉口憑乾隆坤卦兒寬覆答批回甚夥瞭望幺麽樊於]{1,4}",
            any::<char>().prop_map(String::from),
        ], 0..60)) {
            let text = pieces.concat();
            if Source::from_text(text.as_str()).is_ok() {
                prop_assert_eq!(significant_chars(&text), full_path(&text));
            }
        }
    }

    #[test]
    fn punctuation_space_and_noise_are_not_significant() {
        let chars: Vec<char> = "学习，不够丨深入。 A1".chars().collect();
        let skeleton = Skeleton::from_chars(&chars);
        assert_eq!(skeleton.chars.iter().collect::<String>(), "学习不够深入A1");
        assert_eq!(skeleton.to_norm(2..4), 3..5);
        assert_eq!(skeleton.to_norm(3..5), 4..7);
        assert_eq!(skeleton.from_norm(3..7), 2..5);
    }
}
