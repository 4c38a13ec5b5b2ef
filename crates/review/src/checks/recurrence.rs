//! 年年有: problems that repeat last year's. A member's problem this year is compared with
//! the problems of their previous campaign (their ledger items and their material) by the
//! Dice coefficient of char bigrams over the significant chars (CJK, letters, digits), so
//! that punctuation, numbering and spacing do not count and a reworded sentence with the
//! same substance still scores high.

use std::collections::HashMap;

/// Similarity at which a problem counts as a repeat of last year's.
///
/// The same vague problem reworded ("理论学习不够深入" against "理论学习不深不透，学用结合不够")
/// scores 0.45–0.6; two different problems of the same aspect (学习 against 联系群众)
/// stay under 0.2.
pub const DEFAULT_THRESHOLD: f32 = 0.4;

/// A problem of this year that repeats one of last year's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recurrence {
    /// Index into this year's problems.
    pub current: usize,
    /// Index into last year's problems: the most similar one.
    pub previous: usize,
    pub similarity: f32,
}

/// The chars that carry meaning: CJK ideographs, letters and digits.
fn significant(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The char bigrams of a text's significant chars, with their counts.
fn bigrams(text: &str) -> HashMap<(char, char), usize> {
    let chars = significant(text);
    let mut grams = HashMap::new();
    for pair in chars.windows(2) {
        *grams.entry((pair[0], pair[1])).or_insert(0) += 1;
    }
    grams
}

/// Dice coefficient of two texts' char bigram multisets, in [0, 1]; 0 when either has
/// fewer than two significant chars.
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (bigrams(a), bigrams(b));
    let total: usize = a.values().sum::<usize>() + b.values().sum::<usize>();
    if total == 0 {
        return 0.0;
    }
    let shared: usize = a.iter().map(|(gram, n)| (*n).min(b.get(gram).copied().unwrap_or(0))).sum();
    (2 * shared) as f32 / total as f32
}

/// For each of this year's problems the most similar of last year's, when at least
/// `threshold` similar; in this year's order.
pub fn recurrences(current: &[&str], previous: &[&str], threshold: f32) -> Vec<Recurrence> {
    current
        .iter()
        .enumerate()
        .filter_map(|(c, text)| {
            let best = previous
                .iter()
                .enumerate()
                .map(|(p, old)| (p, similarity(text, old)))
                .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))?;
            (best.1 >= threshold).then_some(Recurrence { current: c, previous: best.0, similarity: best.1 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_sentence_is_one_and_unrelated_ones_are_near_zero() {
        assert!((similarity("理论学习不够深入", "理论学习不够深入。") - 1.0).abs() < 1e-6, "punctuation is ignored");
        assert!(similarity("理论学习不够深入", "联系服务群众不够经常") < 0.2);
        assert_eq!(similarity("", "理论学习"), 0.0);
        assert_eq!(similarity("学", "学"), 0.0, "one char has no bigram");
    }

    #[test]
    fn a_reworded_vague_problem_is_a_repeat_and_another_topic_is_not() {
        let last_year = ["一是理论学习不深不透，学用结合不够紧密。", "二是联系服务群众不够经常，下基层调研少。"];
        let this_year = [
            "理论学习不够深入，学用结合不够。",
            "落实意识形态工作责任制还有差距，对网络舆情研判不够。",
            "联系服务群众不够经常",
        ];
        let found = recurrences(&this_year, &last_year, DEFAULT_THRESHOLD);
        let pairs: Vec<(usize, usize)> = found.iter().map(|r| (r.current, r.previous)).collect();
        assert_eq!(pairs, vec![(0, 0), (2, 1)], "{found:?}");
        assert!(found.iter().all(|r| r.similarity >= DEFAULT_THRESHOLD && r.similarity <= 1.0));
    }

    #[test]
    fn nothing_repeats_without_last_year() {
        assert!(recurrences(&["理论学习不够深入"], &[], DEFAULT_THRESHOLD).is_empty());
    }

    #[test]
    fn repeated_bigrams_count_as_often_as_both_have_them() {
        // "学习学习" has 学习 twice and 习学 once; "学习" has 学习 once: 2·1 / (3 + 1).
        assert!((similarity("学习学习", "学习") - 0.5).abs() < 1e-6);
    }
}
