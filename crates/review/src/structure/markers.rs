//! Recognizers for the numbering and enumeration markers materials use: 一、 （一） 1.
//! 1、 （1） ① 一是 第一 首先/其次/再次/最后. Text is normalized, so one form per mark.

use std::ops::Range;

/// The style of a marker. The parser groups markers by kind to find a level's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// 一、
    ChineseComma,
    /// （一）
    ParenChinese,
    /// 1.
    ArabicDot,
    /// 1、
    ArabicComma,
    /// （1）
    ParenArabic,
    /// ①
    Circled,
    /// 一是
    Shi,
    /// 第一， / 第一部分
    Di,
    /// 首先 / 其次 / 再次 / 最后
    Sequence,
    /// `.docx` automatic numbering at a level; the number is not in the text.
    List(u8),
}

impl MarkerKind {
    /// Kinds that only count at the start of a paragraph; the others also inside one.
    pub fn paragraph_only(self) -> bool {
        matches!(self, Self::ChineseComma | Self::ParenChinese | Self::List(_))
    }
}

/// A marker found in the text: its kind, its number and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub kind: MarkerKind,
    /// 1-based; 最后 is [`LAST`].
    pub value: u32,
    /// The marker with its trailing punctuation (一、 / 1. / 第一，).
    pub range: Range<usize>,
}

/// The value of 最后: it closes any sequence.
pub const LAST: u32 = u32::MAX;

/// Parses a Chinese numeral of one or two digits (一 … 九十九) at the start of `chars`:
/// its value and length.
pub fn chinese_number(chars: &[char]) -> Option<(u32, usize)> {
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c).map(|v| v as u32);
    match chars {
        ['十', rest @ ..] => match rest.first().copied().and_then(digit) {
            Some(units) if units > 0 => Some((10 + units, 2)),
            _ => Some((10, 1)),
        },
        [first, '十', rest @ ..] => {
            let tens = digit(*first).filter(|t| *t > 1)?;
            match rest.first().copied().and_then(digit) {
                Some(units) if units > 0 => Some((tens * 10 + units, 3)),
                _ => Some((tens * 10, 2)),
            }
        }
        [first, ..] => digit(*first).filter(|v| *v > 0).map(|v| (v, 1)),
        [] => None,
    }
}

/// Parses one or two ASCII digits (not part of a longer number): value and length.
fn arabic_number(chars: &[char]) -> Option<(u32, usize)> {
    let len = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    if len == 0 || len > 2 {
        return None;
    }
    let value = chars[..len].iter().fold(0, |acc, c| acc * 10 + c.to_digit(10).unwrap_or(0));
    (value > 0).then_some((value, len))
}

fn circled_number(c: char) -> Option<u32> {
    match c {
        '①'..='⑳' => Some(c as u32 - '①' as u32 + 1),
        '㉑'..='㉟' => Some(c as u32 - '㉑' as u32 + 21),
        _ => None,
    }
}

/// The marker starting exactly at `at`, if any. `chars` is the whole normalized text.
pub fn marker_at(chars: &[char], at: usize) -> Option<Marker> {
    let rest = chars.get(at..)?;
    let make = |kind, value, len: usize| Some(Marker { kind, value, range: at..at + len });
    let first = *rest.first()?;
    if let Some(value) = circled_number(first) {
        let len = 1 + usize::from(matches!(rest.get(1), Some('、' | '.' | '，')));
        return make(MarkerKind::Circled, value, len);
    }
    if first == '（' {
        let inner = &rest[1..];
        if let Some((value, len)) = chinese_number(inner).filter(|(_, len)| inner.get(*len) == Some(&'）')) {
            return make(MarkerKind::ParenChinese, value, len + 2);
        }
        if let Some((value, len)) = arabic_number(inner).filter(|(_, len)| inner.get(*len) == Some(&'）')) {
            return make(MarkerKind::ParenArabic, value, len + 2);
        }
        return None;
    }
    if let Some((value, len)) = arabic_number(rest) {
        return match rest.get(len) {
            Some('.') if !rest.get(len + 1).is_some_and(char::is_ascii_digit) => {
                make(MarkerKind::ArabicDot, value, len + 1 + usize::from(rest.get(len + 1) == Some(&' ')))
            }
            Some('、') => make(MarkerKind::ArabicComma, value, len + 1),
            _ => None,
        };
    }
    if first == '第' {
        let (value, len) = chinese_number(&rest[1..])?;
        let after = &rest[1 + len..];
        return match after {
            ['部', '分', '：' | '、' | '，', ..] => make(MarkerKind::Di, value, len + 4),
            ['部', '分', ..] => make(MarkerKind::Di, value, len + 3),
            ['，' | '、' | '：', ..] => make(MarkerKind::Di, value, len + 2),
            ['是', ..] => make(MarkerKind::Di, value, len + 2),
            _ => None,
        };
    }
    if let Some(value) = sequence_word(rest) {
        let len = 2 + usize::from(matches!(rest.get(2), Some('，' | '：' | '、')));
        return make(MarkerKind::Sequence, value, len);
    }
    let (value, len) = chinese_number(rest)?;
    match rest.get(len) {
        Some('、') => make(MarkerKind::ChineseComma, value, len + 1),
        Some('是') => {
            make(MarkerKind::Shi, value, len + 1 + usize::from(matches!(rest.get(len + 1), Some('：' | '，'))))
        }
        _ => None,
    }
}

/// 首先 / 其次 / 再次 / 最后 used as enumerators: followed by a comma.
fn sequence_word(rest: &[char]) -> Option<u32> {
    let value = match rest {
        ['首', '先', ..] => 1,
        ['其', '次', ..] => 2,
        ['再', '次', ..] => 3,
        ['最', '后', ..] => LAST,
        _ => return None,
    };
    matches!(rest.get(2), Some('，' | '：')).then_some(value)
}

/// Positions in `range` where a sentence starts: the range's start and the first char
/// after each 。！？；： (skipping closing quotes).
pub fn sentence_starts(chars: &[char], range: Range<usize>) -> Vec<usize> {
    let mut starts = vec![range.start];
    let mut i = range.start;
    while i < range.end {
        if matches!(chars[i], '。' | '！' | '？' | '；' | '：') {
            let mut next = i + 1;
            while next < range.end && matches!(chars[next], '"' | '\'' | '）' | ' ') {
                next += 1;
            }
            if next < range.end {
                starts.push(next);
            }
            i = next;
        } else {
            i += 1;
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<(MarkerKind, u32, usize)> {
        let chars: Vec<char> = text.chars().collect();
        marker_at(&chars, 0).map(|m| (m.kind, m.value, m.range.len()))
    }

    #[test]
    fn chinese_numbers() {
        let parse = |s: &str| chinese_number(&s.chars().collect::<Vec<_>>());
        assert_eq!(parse("一是"), Some((1, 1)));
        assert_eq!(parse("十、"), Some((10, 1)));
        assert_eq!(parse("十二"), Some((12, 2)));
        assert_eq!(parse("二十"), Some((20, 2)));
        assert_eq!(parse("二十三"), Some((23, 3)));
        assert_eq!(parse("〇"), None);
        assert_eq!(parse("是"), None);
    }

    #[test]
    fn every_style_the_materials_use() {
        use MarkerKind::*;
        assert_eq!(at("一、存在的主要问题"), Some((ChineseComma, 1, 2)));
        assert_eq!(at("（三）在履职尽责"), Some((ParenChinese, 3, 3)));
        assert_eq!(at("12.理论学习"), Some((ArabicDot, 12, 3)));
        assert_eq!(at("2、作风"), Some((ArabicComma, 2, 2)));
        assert_eq!(at("（4）学习"), Some((ParenArabic, 4, 3)));
        assert_eq!(at("③学习"), Some((Circled, 3, 1)));
        assert_eq!(at("二是理论"), Some((Shi, 2, 2)));
        assert_eq!(at("十一是理论"), Some((Shi, 11, 3)));
        assert_eq!(at("第二，理论"), Some((Di, 2, 3)));
        assert_eq!(at("第三部分 原因"), Some((Di, 3, 4)));
        assert_eq!(at("其次，理论"), Some((Sequence, 2, 3)));
        assert_eq!(at("最后，理论"), Some((Sequence, LAST, 3)));
    }

    #[test]
    fn words_that_only_look_like_markers() {
        assert_eq!(at("2035年远景目标"), None);
        assert_eq!(at("3.5个百分点"), None);
        assert_eq!(at("第一责任人"), None);
        assert_eq!(at("首先要"), None);
        assert_eq!(at("一定程度上"), None);
        assert_eq!(at("（六稳）"), None);
        assert_eq!(at("十分重要"), None);
    }

    #[test]
    fn sentences_start_after_terminal_punctuation() {
        let chars: Vec<char> = "甲。乙：丙；\"丁。\"".chars().collect();
        assert_eq!(sentence_starts(&chars, 0..chars.len()), vec![0, 2, 4, 7]);
    }
}
