//! Internal repetition: runs of text that a material says twice or more.
//!
//! Only significant chars count (letters, digits, CJK): a sentence repeated with
//! other punctuation or line breaks is still repeated. The search is a greedy
//! left-to-right parse in the manner of LZ77: at each position the longest earlier
//! occurrence of what follows is looked up through hashed windows of `min_chars`
//! chars, so the work stays linear in the text even for pathological input.

use std::ops::Range;

use crate::normalize::normalize_str;
use crate::segment::{Phrases, is_significant};
use crate::structure::Material;

/// A run of text found at two or more places of one material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repetition {
    /// Normalized char ranges of every occurrence, in text order.
    pub occurrences: Vec<Range<usize>>,
}

/// Earlier occurrences tried per position: bounds the work on text made of one
/// repeated char or phrase, where every window has hundreds of twins.
const MAX_CANDIDATES: usize = 32;

/// Multiplier of the polynomial window hash; odd, so no information is shifted out.
const HASH_BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// Runs of at least `min_chars` significant chars (punctuation and whitespace not
/// counted) found twice or more in the bodies of `material`; runs inside headings, and
/// runs that are only `mandated` phrases plus fewer than `min_chars` other chars, are
/// not repetition.
///
/// Occurrences that overlap (a sentence said three times, once with a longer context)
/// are merged into one occurrence, so the same text is never reported twice.
pub fn repetitions(material: &Material, mandated: &[String], min_chars: usize) -> Vec<Repetition> {
    let k = min_chars.max(1);
    let chars = material.text.chars();
    let mut headings = material.headings();
    headings.sort_by_key(|h| h.start);
    let seq = Significant::new(chars, &headings, &markers(material));
    if seq.codes.len() < 2 * k {
        return Vec::new();
    }
    let heading_texts: Vec<Vec<char>> =
        headings.iter().map(|h| chars[h.clone()].iter().copied().filter(|c| is_significant(*c)).collect()).collect();
    let mandated = seq.mandated_mask(mandated);

    let matches: Vec<Match> = longest_previous_matches(&seq.codes, k)
        .into_iter()
        .filter(|m| {
            let free = |start: usize| (start..start + m.len).filter(|&p| !mandated[p]).count();
            free(m.source).min(free(m.target)) >= k
        })
        .filter(|m| {
            let run: Vec<char> =
                seq.codes[m.target..m.target + m.len].iter().filter_map(|c| char::from_u32(*c)).collect();
            !heading_texts.iter().any(|h| contains(h, &run))
        })
        .collect();
    group(&matches)
        .into_iter()
        .map(|runs| Repetition { occurrences: runs.into_iter().map(|r| seq.normalized(r)).collect() })
        .collect()
}

/// Item markers (一是, 1.) are numbering, not wording: "一是理论学习" and "二是理论学习"
/// say the same.
fn markers(material: &Material) -> Vec<Range<usize>> {
    let sections = material.sections.iter().chain(&material.matters_report);
    let items = sections.flat_map(|s| &s.items).chain(&material.causes.items).chain(&material.measures.items);
    items.filter_map(|item| item.marker.clone()).collect()
}

fn contains(haystack: &[char], needle: &[char]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The significant chars of the bodies, markers left out, with a unique separator
/// wherever a heading was cut out so that no run spans a heading.
struct Significant {
    /// A char's scalar value, or a separator above `char::MAX` that equals nothing else.
    codes: Vec<u32>,
    /// Normalized index of each code (a separator's is that of the next char).
    at: Vec<usize>,
}

impl Significant {
    fn new(chars: &[char], headings: &[Range<usize>], markers: &[Range<usize>]) -> Self {
        let mut in_marker = vec![false; chars.len()];
        for m in markers {
            if let Some(flags) = in_marker.get_mut(m.clone()) {
                flags.iter_mut().for_each(|f| *f = true);
            }
        }
        let mut codes = Vec::with_capacity(chars.len());
        let mut at = Vec::with_capacity(chars.len());
        let mut next_separator = u32::from(char::MAX) + 1;
        let mut heading = headings.iter().peekable();
        let mut i = 0;
        while i < chars.len() {
            while heading.next_if(|h| h.end <= i).is_some() {}
            if let Some(h) = heading.peek().filter(|h| h.start <= i) {
                codes.push(next_separator);
                at.push(h.end);
                next_separator = next_separator.saturating_add(1);
                i = h.end;
                continue;
            }
            if is_significant(chars[i]) && !in_marker[i] {
                codes.push(u32::from(chars[i]));
                at.push(i);
            }
            i += 1;
        }
        Self { codes, at }
    }

    /// Which positions belong to an occurrence of a mandated phrase.
    fn mandated_mask(&self, mandated: &[String]) -> Vec<bool> {
        let phrases = Phrases::new(
            mandated
                .iter()
                .map(|phrase| normalize_str(phrase).chars().filter(|c| is_significant(*c)).collect::<String>()),
        );
        // Separators become NUL, which no phrase holds.
        let view: Vec<char> = self.codes.iter().map(|c| char::from_u32(*c).unwrap_or('\0')).collect();
        let mut mask = vec![false; self.codes.len()];
        for (start, phrase) in phrases.find(&view) {
            let end = start + phrases.phrase(phrase).len();
            mask[start..end].iter_mut().for_each(|m| *m = true);
        }
        mask
    }

    /// The normalized range from the first to the last significant char of a run.
    fn normalized(&self, run: Range<usize>) -> Range<usize> {
        self.at[run.start]..self.at[run.end - 1] + 1
    }
}

/// A later run (`target`) that repeats an earlier one (`source`) over `len` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    source: usize,
    target: usize,
    len: usize,
}

/// Greedy parse: at each position, the longest non-overlapping earlier occurrence of at
/// least `k` codes (the earliest among equals); after a match, parsing resumes behind it.
fn longest_previous_matches(codes: &[u32], k: usize) -> Vec<Match> {
    let n = codes.len();
    let windows = n + 1 - k;
    let hashes = window_hashes(codes, k);
    // Chained hash table of the windows seen so far, as in zlib: `head` holds the last
    // position per bucket, `previous` the one before it in the same bucket.
    let bits = (2 * windows).next_power_of_two().trailing_zeros().max(4);
    let bucket = |h: u64| (h.wrapping_mul(HASH_BASE) >> (64 - bits)) as usize;
    let mut head = vec![usize::MAX; 1 << bits];
    let mut previous = vec![usize::MAX; windows];
    let mut inserted = 0;

    let mut matches = Vec::new();
    let mut i = 0;
    while i < windows {
        while inserted < i {
            if let Some(h) = hashes[inserted] {
                previous[inserted] = head[bucket(h)];
                head[bucket(h)] = inserted;
            }
            inserted += 1;
        }
        let Some(h) = hashes[i] else {
            i += 1;
            continue;
        };
        let mut best: Option<Match> = None;
        let mut j = head[bucket(h)];
        let (mut tried, mut steps) = (0, 0);
        while j != usize::MAX && tried < MAX_CANDIDATES && steps < 4 * MAX_CANDIDATES {
            steps += 1;
            if hashes[j] == Some(h) {
                tried += 1;
                // The source must end before the target starts.
                let limit = (i - j).min(n - i);
                let len = codes[j..j + limit].iter().zip(&codes[i..i + limit]).take_while(|(a, b)| a == b).count();
                // The chain runs latest first; among equals the earliest source wins.
                if len >= k && best.is_none_or(|b| len >= b.len) {
                    best = Some(Match { source: j, target: i, len });
                }
            }
            j = previous[j];
        }
        match best {
            Some(m) => {
                matches.push(m);
                i += m.len;
            }
            None => i += 1,
        }
    }
    matches
}

/// Polynomial hash of every window of `k` codes; `None` for windows holding a separator.
fn window_hashes(codes: &[u32], k: usize) -> Vec<Option<u64>> {
    let windows = codes.len() + 1 - k;
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(HASH_BASE));
    let mut hashes = Vec::with_capacity(windows);
    let mut hash = 0u64;
    // Index of the last separator seen, to tell which windows hold one.
    let mut last_separator: Option<usize> = None;
    for (i, &code) in codes.iter().enumerate() {
        if code > u32::from(char::MAX) {
            last_separator = Some(i);
        }
        if i >= k {
            hash = hash.wrapping_sub(u64::from(codes[i - k]).wrapping_mul(top));
        }
        hash = hash.wrapping_mul(HASH_BASE).wrapping_add(u64::from(code));
        if i + 1 >= k {
            let start = i + 1 - k;
            hashes.push(if last_separator.is_some_and(|s| s >= start) { None } else { Some(hash) });
        }
    }
    hashes
}

/// Groups matches into repetitions: every source and target is an occurrence, and
/// occurrences that overlap are merged, together with the groups they belong to.
fn group(matches: &[Match]) -> Vec<Vec<Range<usize>>> {
    let mut runs: Vec<(Range<usize>, usize)> = matches
        .iter()
        .enumerate()
        .flat_map(|(id, m)| [(m.source..m.source + m.len, id), (m.target..m.target + m.len, id)])
        .collect();
    runs.sort_by_key(|(r, _)| (r.start, r.end));

    let mut parent: Vec<usize> = (0..matches.len()).collect();
    let mut clusters: Vec<(Range<usize>, usize)> = Vec::new();
    for (run, id) in runs {
        match clusters.last_mut() {
            Some((merged, owner)) if run.start < merged.end => {
                merged.end = merged.end.max(run.end);
                let (a, b) = (root(&mut parent, *owner), root(&mut parent, id));
                parent[b] = a;
            }
            _ => clusters.push((run, id)),
        }
    }

    let mut groups: Vec<(usize, Vec<Range<usize>>)> = Vec::new();
    for (run, id) in clusters {
        let r = root(&mut parent, id);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, occurrences)) => occurrences.push(run),
            None => groups.push((r, vec![run])),
        }
    }
    // Clusters come in text order, so each group's first occurrence does too; a group
    // whose occurrences all merged into one run is a text that overlaps itself.
    groups.into_iter().map(|(_, occurrences)| occurrences).filter(|o| o.len() >= 2).collect()
}

fn root(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{Audience, Campaign};
    use crate::checks::correspondence::test_material::{Spec, build, example};

    fn texts(material: &Material, found: &[Repetition]) -> Vec<Vec<String>> {
        found.iter().map(|r| r.occurrences.iter().map(|o| material.text.string(o.clone())).collect()).collect()
    }

    #[test]
    fn a_sentence_inside_another_is_found() {
        let m = build(&Spec {
            matters: Some((
                "（六）有关事项报告",
                "本人严格落实个人重大事项报告制度，无隐瞒不报事项的情况和问题。严格执行个人重大事项报告制度，无隐瞒不报事项的情况和问题。没有配备专车。",
            )),
            ..Spec::default()
        });
        let found = repetitions(&m, &[], 12);
        let expected = "个人重大事项报告制度，无隐瞒不报事项的情况和问题";
        assert_eq!(texts(&m, &found), vec![vec![expected, expected]]);
    }

    #[test]
    fn punctuation_and_line_breaks_do_not_hide_a_repeat() {
        let m = build(&Spec {
            sections: &[
                ("（一）学习方面", &["理论学习不深入，对新思想的理解不够透彻。"]),
                ("（二）作风方面", &["调研少。理论学习不深入；对新思想的理解，不够透彻。"]),
            ],
            ..Spec::default()
        });
        let found = repetitions(&m, &[], 12);
        assert_eq!(
            texts(&m, &found),
            vec![vec!["理论学习不深入，对新思想的理解不够透彻", "理论学习不深入；对新思想的理解，不够透彻"]]
        );
    }

    #[test]
    fn three_times_is_one_repetition() {
        let said = "把学习成果转化为推动工作的实际成效";
        let items = [format!("一{said}。"), format!("二{said}。"), format!("三{said}。")];
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        let m = build(&Spec { sections: &[("（一）学习方面", &items)], ..Spec::default() });
        let found = repetitions(&m, &[], 12);
        assert_eq!(texts(&m, &found), vec![vec![said; 3]]);
    }

    #[test]
    fn short_runs_headings_and_mandated_phrases_are_not_repetition() {
        let m = build(&Spec {
            sections: &[
                ("（一）在学懂弄通做实党的创新理论方面", &["对习近平新时代中国特色社会主义思想的学习不够。"]),
                (
                    "（二）其他方面",
                    &["用习近平新时代中国特色社会主义思想的学习成果指导实践。学懂弄通做实党的创新理论方面做得不够。"],
                ),
            ],
            measures: &["学懂弄通做实党的创新理论方面加强。", "学懂弄通做实党的创新理论方面提高。"],
            ..Spec::default()
        });
        let mandated = vec!["习近平新时代中国特色社会主义思想".to_owned()];
        assert_eq!(texts(&m, &repetitions(&m, &mandated, 12)), Vec::<Vec<String>>::new());
        // Without the mandated phrase the theory's name is a repeat like any other.
        assert_eq!(texts(&m, &repetitions(&m, &[], 12)).len(), 1);
    }

    #[test]
    fn a_run_never_spans_a_heading() {
        let m = build(&Spec {
            sections: &[("（一）甲方面", &["一二三四五六七八九十"]), ("（二）乙方面", &["甲乙丙丁戊己庚辛壬癸"])],
            causes: &["一二三四五六七八九十", "甲乙丙丁戊己庚辛壬癸"],
            ..Spec::default()
        });
        assert!(repetitions(&m, &[], 12).is_empty());
    }

    #[test]
    fn one_char_repeated_stays_linear_and_sane() {
        let long = "好".repeat(20_000);
        let m = build(&Spec { opening: Some(&long), ..Spec::default() });
        let found = repetitions(&m, &[], 12);
        assert!(found.iter().all(|r| r.occurrences.len() >= 2));
        for r in &found {
            assert!(r.occurrences.windows(2).all(|w| w[0].end <= w[1].start));
        }
    }

    #[test]
    fn example_repeats_only_the_matters_statement() {
        let m = example();
        let mandated = Campaign::builtin("2021-county").expect("builtin").mandated_phrases(Audience::Member);
        let found = repetitions(&m, &mandated, 12);
        let texts = texts(&m, &found);
        let expected = "个人重大事项报告制度，无隐瞒不报事项的情况和问题";
        assert!(texts.contains(&vec![expected.to_owned(), expected.to_owned()]), "{texts:?}");
        assert_eq!(texts.len(), 1, "{texts:?}");
    }
}
