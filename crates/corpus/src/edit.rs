//! The alterations a copier makes, or that copying itself leaves (PDF line breaks,
//! scraped-page noise), applied to a copied passage before it goes into a document.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::config::EditWeights;
use crate::lexicon::{synonyms::SYNONYMS, traditional};
use crate::model::Edit;
use crate::rng::Rng;

/// Every edit kind, `CharEdits` standing for all its counts.
const KINDS: [Edit; 9] = [
    Edit::Verbatim,
    Edit::Width,
    Edit::Punctuation,
    Edit::Traditional,
    Edit::CharEdits(1),
    Edit::Synonym,
    Edit::Reorder,
    Edit::Noise,
    Edit::LineBreaks,
];

/// Draws an edit that can change `text` and applies it. Falls back to `Verbatim` when
/// no weighted edit applies.
pub(crate) fn edit(text: &str, weights: &EditWeights, rng: &mut Rng) -> (Edit, String) {
    let w: Vec<f64> = KINDS.iter().map(|k| if applies(*k, text) { weights.weight(*k) } else { 0.0 }).collect();
    let kind = rng.weighted(&w).and_then(|i| KINDS.get(i).copied()).unwrap_or(Edit::Verbatim);
    let kind = match kind {
        Edit::CharEdits(_) => Edit::CharEdits(rng.range(1, 3) as u8),
        other => other,
    };
    let out = apply(kind, text, rng);
    // The applicability checks make this rare; the truth must never claim an edit
    // that left the passage as it was.
    if out == text { (Edit::Verbatim, out) } else { (kind, out) }
}

fn applies(kind: Edit, text: &str) -> bool {
    match kind {
        Edit::Verbatim => true,
        Edit::Width => text.chars().any(|c| c.is_ascii_alphanumeric()),
        Edit::Punctuation => text.chars().any(|c| ascii_punct(c).is_some()),
        Edit::Traditional => text.chars().any(|c| table().contains_key(&c)),
        Edit::CharEdits(_) => text.chars().filter(|c| editable(*c)).count() >= 8,
        Edit::Synonym => !synonym_matches(text).is_empty(),
        Edit::Reorder => sentences(text).len() >= 2 || clauses(text).len() >= 2,
        Edit::Noise => text.chars().count() >= 3,
        Edit::LineBreaks => text.chars().count() >= 40,
    }
}

pub(crate) fn apply(kind: Edit, text: &str, rng: &mut Rng) -> String {
    match kind {
        Edit::Verbatim => text.to_owned(),
        Edit::Width => text.chars().map(fullwidth).collect(),
        Edit::Punctuation => text.chars().map(|c| ascii_punct(c).unwrap_or(c)).collect(),
        Edit::Traditional => {
            let table = table();
            text.chars().map(|c| table.get(&c).copied().unwrap_or(c)).collect()
        }
        Edit::CharEdits(n) => char_edits(text, n, rng),
        Edit::Synonym => synonyms(text, rng),
        Edit::Reorder => reorder(text, rng),
        Edit::Noise => noise(text, rng),
        Edit::LineBreaks => line_breaks(text, rng),
    }
}

fn fullwidth(c: char) -> char {
    if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c }
}

fn ascii_punct(c: char) -> Option<char> {
    Some(match c {
        '，' => ',',
        '；' => ';',
        '：' => ':',
        '（' => '(',
        '）' => ')',
        '“' | '”' => '"',
        _ => return None,
    })
}

fn table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let chars: Vec<char> = traditional::PAIRS.chars().collect();
        chars.chunks_exact(2).map(|p| (p[0], p[1])).collect()
    })
}

/// A character a `CharEdits` edit may replace or delete: a CJK ideograph.
fn editable(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Characters a careless retyping adds or swaps in. No numerals and no 是, so an edit
/// never makes a new enumeration marker such as 二是.
const FILLERS: &[char] = &[
    '的', '了', '在', '和', '有', '也', '就', '都', '而', '及', '与', '其', '之', '对', '把', '被', '将', '这', '那',
    '些', '很', '更', '还', '又', '再', '才', '已', '所', '要', '能', '会', '可', '从', '向', '给', '让', '地', '得',
    '着', '过',
];

fn char_edits(text: &str, n: u8, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..n {
        // Interior ideographs only, so the passage keeps its first and last character.
        let candidates: Vec<usize> =
            (1..chars.len().saturating_sub(1)).filter(|&i| chars.get(i).is_some_and(|c| editable(*c))).collect();
        let Some(&at) = rng.pick(&candidates) else { break };
        let filler = FILLERS.get(rng.below(FILLERS.len())).copied().unwrap_or('的');
        match rng.below(3) {
            0 => {
                let replacement = if chars[at] == filler { '之' } else { filler };
                chars[at] = if chars[at] == replacement { '其' } else { replacement };
            }
            1 => chars.insert(at, filler),
            _ => {
                chars.remove(at);
            }
        }
    }
    chars.into_iter().collect()
}

/// Non-overlapping synonym matches, left to right, longest word first: (byte start,
/// byte end, replacement).
fn synonym_matches(text: &str) -> Vec<(usize, usize, &'static str)> {
    static WORDS: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        let mut w: Vec<(&str, &str)> = SYNONYMS.iter().flat_map(|(a, b)| [(*a, *b), (*b, *a)]).collect();
        w.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        w
    });
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        if let Some((from, to)) = words.iter().find(|(from, _)| rest.starts_with(from)) {
            found.push((at, at + from.len(), *to));
            at += from.len();
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

fn synonyms(text: &str, rng: &mut Rng) -> String {
    let mut matches = synonym_matches(text);
    let keep = rng.range(1, 3).min(matches.len());
    // A random subset of `keep` matches, back in text order.
    while matches.len() > keep {
        matches.remove(rng.below(matches.len()));
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for (start, end, to) in matches {
        out.push_str(&text[last..start]);
        out.push_str(to);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The sentences of a passage, each with its closing 。！？.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '。' | '！' | '？') {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The comma-separated clauses of a single sentence, without its closing stop.
fn clauses(text: &str) -> Vec<&str> {
    let body = text.trim_end_matches(['。', '！', '？']);
    body.split('，').filter(|c| !c.is_empty()).collect()
}

fn reorder(text: &str, rng: &mut Rng) -> String {
    let sents = sentences(text);
    if sents.len() >= 2 {
        let mut order: Vec<&str> = sents.clone();
        let i = rng.below(order.len());
        let mut j = rng.below(order.len() - 1);
        if j >= i {
            j += 1;
        }
        order.swap(i, j);
        let out: String = order.concat();
        if out != text {
            return out;
        }
        // Two equal sentences swapped: rotate instead.
        order.rotate_left(1);
        return order.concat();
    }
    let parts = clauses(text);
    if parts.len() < 2 {
        return text.to_owned();
    }
    let mut parts = parts;
    let i = rng.below(parts.len() - 1);
    parts.swap(i, i + 1);
    let stop: String = text.chars().rev().take_while(|c| matches!(c, '。' | '！' | '？')).collect();
    let mut out = parts.join("，");
    out.push_str(&stop);
    out
}

/// What scraped template sites leave in their text.
const NOISE: &[&str] = &["\u{200B}", "\u{200B}", "\u{200B}", "　", "*", "丨", "\u{200B}\u{200B}"];
const WATERMARKS: &[&str] =
    &["【范文之家】", "www.fanwen-wang.cn", "（本文由文秘帮整理）", "原创文档禁止转载", "更多范文请搜索"];

fn noise(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<String> = text.chars().map(String::from).collect();
    let count = rng.range(1, 4);
    let mut watermark = false;
    for _ in 0..count {
        let at = rng.range(1, chars.len().saturating_sub(1).max(1));
        let token = if !watermark && rng.chance(0.15) {
            watermark = true;
            rng.pick(WATERMARKS).copied().unwrap_or("*")
        } else {
            rng.pick(NOISE).copied().unwrap_or("*")
        };
        chars.insert(at.min(chars.len()), token.to_owned());
    }
    chars.concat()
}

fn is_stop(c: char) -> bool {
    matches!(c, '。' | '，' | '；' | '：' | '！' | '？' | '、' | '“' | '”' | '（' | '）' | '\n') || c.is_whitespace()
}

fn line_breaks(text: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut next = rng.range(25, 35);
    for (i, &c) in chars.iter().enumerate() {
        // Break only between two ordinary characters, never right after a stop: a
        // break after 。 would start a new paragraph rather than wrap a line.
        let before_ok = i > 0 && !is_stop(chars[i - 1]);
        if i >= next && i + 1 < chars.len() && before_ok && !is_stop(c) {
            out.push('\n');
            next = i + rng.range(25, 35);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    const TEXT: &str = "对党的创新理论学习不够深入，2024年只读了3本书，笔记也不够系统。遇到具体问题时，习惯翻以往的文件找答案，很少从理论高度思考。";

    fn rng() -> Rng {
        Rng::new(9, Stream::Member, 0)
    }

    #[test]
    fn every_edit_changes_the_text() {
        let mut rng = rng();
        for kind in KINDS.iter().skip(1) {
            for _ in 0..20 {
                let kind = match kind {
                    Edit::CharEdits(_) => Edit::CharEdits(rng.range(1, 3) as u8),
                    k => *k,
                };
                assert!(applies(kind, TEXT), "{kind:?}");
                let out = apply(kind, TEXT, &mut rng);
                assert_ne!(out, TEXT, "{kind:?}");
            }
        }
    }

    #[test]
    fn width_and_punctuation() {
        let mut rng = rng();
        assert_eq!(apply(Edit::Width, "第3季度A", &mut rng), "第３季度Ａ");
        assert_eq!(apply(Edit::Punctuation, "甲，乙；丙：（丁）“戊”。", &mut rng), "甲,乙;丙:(丁)\"戊\"。");
    }

    #[test]
    fn char_edits_keep_the_ends() {
        let mut rng = rng();
        for _ in 0..200 {
            let out = apply(Edit::CharEdits(3), TEXT, &mut rng);
            assert!(out.starts_with('对') && out.ends_with('。'), "{out}");
            let diff = TEXT.chars().count().abs_diff(out.chars().count());
            assert!(diff <= 3);
        }
    }

    #[test]
    fn reorder_keeps_the_characters() {
        let mut rng = rng();
        let sort = |s: &str| {
            let mut v: Vec<char> = s.chars().collect();
            v.sort_unstable();
            v
        };
        for _ in 0..50 {
            let out = apply(Edit::Reorder, TEXT, &mut rng);
            assert_eq!(sort(&out), sort(TEXT));
            let one = "学习不够深入，笔记不够系统，心得写得少。";
            let out = apply(Edit::Reorder, one, &mut rng);
            assert_eq!(sort(&out), sort(one));
            assert_ne!(out, one);
            assert!(out.ends_with('。'));
        }
    }

    #[test]
    fn line_breaks_wrap_inside_sentences() {
        let mut rng = rng();
        let out = apply(Edit::LineBreaks, TEXT, &mut rng);
        assert!(out.contains('\n'));
        assert_eq!(out.replace('\n', ""), TEXT);
        for (i, _) in out.match_indices('\n') {
            let before = out[..i].chars().last();
            assert!(before.is_some_and(|c| !is_stop(c)), "{out}");
        }
    }

    #[test]
    fn synonyms_swap_whole_words() {
        let mut rng = rng();
        let out = apply(Edit::Synonym, "学习不够深入。", &mut rng);
        assert!(["学习不足深入。", "学习不够深刻。", "学习不足深刻。"].contains(&out.as_str()), "{out}");
    }

    #[test]
    fn the_traditional_table_round_trips_through_a_converter() {
        let chars: Vec<char> = traditional::PAIRS.chars().collect();
        assert_eq!(chars.len() % 2, 0);
        assert!(chars.len() / 2 >= 300, "{} pairs", chars.len() / 2);
        let mut bad = Vec::new();
        for pair in chars.chunks_exact(2) {
            let (simplified, traditional) = (pair[0], pair[1]);
            assert_ne!(simplified, traditional);
            if fast2s::convert(&traditional.to_string()) != simplified.to_string() {
                bad.push(format!("{simplified}{traditional}"));
            }
        }
        assert!(bad.is_empty(), "not converted back: {bad:?}");
        let keys: std::collections::HashSet<char> = chars.chunks_exact(2).map(|p| p[0]).collect();
        assert_eq!(keys.len(), chars.len() / 2, "a simplified character is listed twice");
    }
}
