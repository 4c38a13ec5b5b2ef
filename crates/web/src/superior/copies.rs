//! The campaign-wide copy statistics from the stored reviews (the copy index's findings as each review kept them):
//! the distribution of net copy ratios in ten buckets, the sources copied from most (templates and other
//! members' materials), and the pairs of materials most alike. Pure, so the counting is tested without a database.

use std::collections::HashMap;

use serde::Deserialize;

/// The buckets of the histogram: 0–10 %, 10–20 %, … 90–100 % (100 % falls in the last).
pub const BUCKETS: usize = 10;

/// What the statistics read of a stored review; the rest of the JSON is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimReview {
    #[serde(default)]
    pub chars: usize,
    #[serde(default)]
    pub copies: Vec<SlimCopy>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SlimCopy {
    pub start: usize,
    pub end: usize,
    pub source: String,
}

/// The bucket label, e.g. `10%–20%`.
pub fn bucket_label(i: usize) -> String {
    format!("{}%–{}%", i * 10, (i + 1) * 10)
}

/// How many ratios fall in each bucket; ratios outside 0–1 (never written by the engine) are clamped.
pub fn histogram(ratios: impl IntoIterator<Item = f64>) -> [usize; BUCKETS] {
    let mut buckets = [0; BUCKETS];
    for ratio in ratios {
        let ratio = if ratio.is_finite() { ratio.clamp(0.0, 1.0) } else { 0.0 };
        // Floating point: 0.3 is 0.299999…; a hair of slack keeps a round percentage in its own bucket.
        let i = ((ratio * BUCKETS as f64) + 1e-9).floor() as usize;
        buckets[i.min(BUCKETS - 1)] += 1;
    }
    buckets
}

/// One source as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTally {
    pub source: String,
    /// Materials that copied from it.
    pub materials: usize,
    /// Chars copied from it, over all of them.
    pub chars: usize,
}

/// The sources copied from most, by the number of materials, then by chars; at most `n`.
pub fn top_sources(reviews: &[(String, SlimReview)], n: usize) -> Vec<SourceTally> {
    let mut by_source: HashMap<&str, SourceTally> = HashMap::new();
    for (_, review) in reviews {
        for (source, chars) in per_source(review) {
            let tally = by_source.entry(source).or_insert_with(|| SourceTally {
                source: source.to_owned(),
                materials: 0,
                chars: 0,
            });
            tally.materials += 1;
            tally.chars += chars;
        }
    }
    let mut tallies: Vec<SourceTally> = by_source.into_values().collect();
    tallies.sort_by(|a, b| {
        b.materials.cmp(&a.materials).then(b.chars.cmp(&a.chars)).then_with(|| a.source.cmp(&b.source))
    });
    tallies.truncate(n);
    tallies
}

/// Chars copied from each source by one material.
fn per_source(review: &SlimReview) -> HashMap<&str, usize> {
    let mut chars: HashMap<&str, usize> = HashMap::new();
    for c in &review.copies {
        *chars.entry(c.source.as_str()).or_default() += c.end.saturating_sub(c.start);
    }
    chars
}

/// Two materials and how alike they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// The larger of the two shares: chars of one copied from the other, over its chars.
    pub share: f64,
}

/// The pairs of reviewed materials most alike, both among `reviews` (sources outside them, and templates, are not
/// pairs); at most `n`, most alike first.
pub fn alike_pairs(reviews: &[(String, SlimReview)], n: usize) -> Vec<Pair> {
    let known: std::collections::HashSet<&str> = reviews.iter().map(|(id, _)| id.as_str()).collect();
    let mut best: HashMap<(String, String), f64> = HashMap::new();
    for (id, review) in reviews {
        let total = review.chars.max(1) as f64;
        for (source, chars) in per_source(review) {
            if source == id || !known.contains(source) {
                continue;
            }
            let key =
                if id.as_str() < source { (id.clone(), source.to_owned()) } else { (source.to_owned(), id.clone()) };
            let share = (chars as f64 / total).min(1.0);
            let entry = best.entry(key).or_insert(0.0);
            *entry = entry.max(share);
        }
    }
    let mut pairs: Vec<Pair> = best.into_iter().map(|((a, b), share)| Pair { a, b, share }).collect();
    pairs.sort_by(|x, y| y.share.total_cmp(&x.share).then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b))));
    pairs.truncate(n);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(chars: usize, copies: &[(usize, usize, &str)]) -> SlimReview {
        SlimReview {
            chars,
            copies: copies.iter().map(|&(start, end, s)| SlimCopy { start, end, source: s.to_owned() }).collect(),
        }
    }

    #[test]
    fn ratios_fall_in_tenths_with_the_whole_in_the_last() {
        let h = histogram([0.0, 0.05, 0.1, 0.3, 0.299, 0.95, 1.0, f64::NAN, 1.7]);
        assert_eq!(h, [3, 1, 1, 1, 0, 0, 0, 0, 0, 3]);
        assert_eq!(bucket_label(0), "0%–10%");
        assert_eq!(bucket_label(9), "90%–100%");
    }

    #[test]
    fn sources_count_materials_then_chars_and_pairs_take_the_larger_share() {
        let reviews = vec![
            ("m1".to_owned(), review(100, &[(0, 40, "template:t"), (50, 60, "m2")])),
            ("m2".to_owned(), review(200, &[(0, 20, "template:t"), (30, 60, "m1"), (70, 80, "m1")])),
            ("m3".to_owned(), review(100, &[(0, 90, "elsewhere")])),
        ];
        let top = top_sources(&reviews, 10);
        assert_eq!(top[0], SourceTally { source: "template:t".into(), materials: 2, chars: 60 });
        assert_eq!(top[1].source, "elsewhere", "one material, 90 chars, before m1's 40");
        assert_eq!(top.len(), 4);
        assert_eq!(top_sources(&reviews, 1).len(), 1);
        let pairs = alike_pairs(&reviews, 10);
        assert_eq!(pairs.len(), 1, "a source outside the reviews and a template make no pair: {pairs:?}");
        assert_eq!((pairs[0].a.as_str(), pairs[0].b.as_str()), ("m1", "m2"));
        assert!((pairs[0].share - 0.2).abs() < 1e-9, "m2 copied 40 of its 200 chars, m1 10 of 100: {pairs:?}");
    }
}
