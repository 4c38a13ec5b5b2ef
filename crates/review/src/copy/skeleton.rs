//! The skeleton of a text: its significant chars only (no punctuation, whitespace or
//! the separator glyphs scraped pages insert), each remembering its normalized index.
//! Copy detection compares skeletons, so punctuation and layout edits change nothing.

use std::ops::Range;

use crate::normalize::NormText;

/// Glyphs that web pages and converters insert between characters as separators or
/// decoration; they are never part of what a member wrote.
const NOISE: &[char] = &['丨', '丶', '丿', '乛', '亅', '乚', '〡', '〢', '〣', '〤', '〥', '〦', '〧', '〨', '〩'];

/// Whether a normalized char takes part in matching.
pub fn is_significant(c: char) -> bool {
    crate::segment::is_significant(c) && !NOISE.contains(&c)
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
    use super::*;

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
