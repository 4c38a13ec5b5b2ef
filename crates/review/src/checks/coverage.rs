//! Coverage: which problem section speaks to which required aspect, by how much of the
//! aspect's title and keywords the section's heading (and, more weakly, body) shares.

use rustc_hash::FxHashSet;

use crate::campaign::Aspect;
use crate::normalize::normalize_str;
use crate::segment::is_significant;
use crate::structure::Material;

/// Lowest score at which a section counts as covering an aspect.
pub const THRESHOLD: f64 = 0.3;

/// Which section covers each aspect, and which aspect each section covers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    /// Per aspect (campaign order): the covering section's index.
    pub aspect_sections: Vec<Option<usize>>,
    /// Per section (material order): the aspect it covers.
    pub section_aspects: Vec<Option<usize>>,
}

/// Bigrams that say nothing about which aspect a heading means.
const STOP_BIGRAMS: &[[char; 2]] = &[
    ['方', '面'],
    ['存', '在'],
    ['问', '题'],
    ['情', '况'],
    ['主', '要'],
    ['不', '足'],
    ['差', '距'],
    ['个', '人'],
    ['对', '照'],
];

type Bigrams = FxHashSet<u64>;

fn key(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

fn bigrams(chars: &[char]) -> Bigrams {
    chars
        .windows(2)
        .filter(|w| is_significant(w[0]) && is_significant(w[1]) && !STOP_BIGRAMS.contains(&[w[0], w[1]]))
        .map(|w| key(w[0], w[1]))
        .collect()
}

fn contains(haystack: &[char], needle: &[char]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether every bigram of a keyword is in a text's bigrams: for keywords of two to six
/// chars as good as a substring test, and far cheaper over a long body.
fn has_keyword(text: &Bigrams, keyword: &[char]) -> bool {
    keyword.len() >= 2 && keyword.windows(2).all(|w| text.contains(&key(w[0], w[1])))
}

/// A required aspect prepared for matching.
struct Target {
    title: Vec<char>,
    bigrams: Bigrams,
    keywords: Vec<Vec<char>>,
}

/// A problem section prepared for matching.
struct Candidate<'a> {
    title: &'a [char],
    title_bigrams: Bigrams,
    body_bigrams: Bigrams,
}

impl Target {
    fn new(aspect: &Aspect) -> Self {
        let title: Vec<char> = normalize_str(&aspect.title).chars().collect();
        let bigrams = bigrams(&title);
        let keywords = aspect.keywords.iter().map(|k| normalize_str(k).chars().collect()).collect();
        Self { title, bigrams, keywords }
    }

    /// How strongly a section speaks to the aspect.
    fn score(&self, section: &Candidate<'_>) -> f64 {
        let shared = self.bigrams.intersection(&section.title_bigrams).count() as f64;
        let dice = if self.bigrams.is_empty() || section.title_bigrams.is_empty() {
            0.0
        } else {
            2.0 * shared / (self.bigrams.len() + section.title_bigrams.len()) as f64
        };
        // A short aspect name (政治, 理论学习) written into the heading is the plainest
        // signal there is.
        let named = if self.title.len() <= 6 && contains(section.title, &self.title) { 0.8 } else { 0.0 };
        let keywords = self.keywords.len().max(1) as f64;
        let in_title = self.keywords.iter().filter(|k| contains(section.title, k)).count() as f64 / keywords;
        let in_body = self.keywords.iter().filter(|k| has_keyword(&section.body_bigrams, k)).count() as f64 / keywords;
        dice.max(named) + 0.4 * in_title + 0.2 * in_body
    }
}

/// Maps the material's problem sections to the aspects, one section per aspect, the
/// best pairs first; equal scores go to the section in the aspect's own position.
pub fn coverage(material: &Material, aspects: &[Aspect]) -> Coverage {
    let chars = material.text.chars();
    let targets: Vec<Target> = aspects.iter().map(Target::new).collect();
    let mut pairs = Vec::new();
    for (s, section) in material.sections.iter().enumerate() {
        let title = section.heading.as_ref().map_or(&[][..], |h| &chars[h.title.clone()]);
        let candidate =
            Candidate { title, title_bigrams: bigrams(title), body_bigrams: bigrams(&chars[section.body.clone()]) };
        for (a, target) in targets.iter().enumerate() {
            let in_place = if s == a { 0.05 } else { 0.0 };
            let score = target.score(&candidate) + in_place;
            if score >= THRESHOLD {
                pairs.push((score, s, a));
            }
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut coverage =
        Coverage { aspect_sections: vec![None; aspects.len()], section_aspects: vec![None; material.sections.len()] };
    for (_, s, a) in pairs {
        if coverage.aspect_sections[a].is_none() && coverage.section_aspects[s].is_none() {
            coverage.aspect_sections[a] = Some(s);
            coverage.section_aspects[s] = Some(a);
        }
    }
    coverage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Campaign;
    use crate::input::Source;

    fn parse(text: &str) -> Material {
        Material::parse(&Source::from_text(text).expect("text"))
    }

    fn aspects(id: &str) -> Vec<Aspect> {
        Campaign::builtin(id).expect("builtin").aspects.member
    }

    #[test]
    fn short_aspect_names_map_whatever_the_order() {
        let material = parse(
            "一、存在的主要问题\n（一）学习方面\n一是学得不深。二是学得不实。\n（二）政治方面\n一是立场不稳。\n\
             二、原因分析\n一是放松要求。\n三、整改措施\n一是加强学习。",
        );
        let coverage = coverage(&material, &aspects("2021-annual"));
        assert_eq!(coverage.section_aspects, vec![Some(2), Some(0)]);
        assert_eq!(coverage.aspect_sections.iter().flatten().count(), 2);
    }

    #[test]
    fn a_section_on_nothing_required_is_unmatched() {
        let material = parse(
            "一、存在的主要问题\n（一）天气方面\n一是下雨。\n（二）理论学习方面\n一是学得不深。\n\
             二、原因分析\n一是放松要求。\n三、整改措施\n一是加强学习。",
        );
        let coverage = coverage(&material, &aspects("2022-annual"));
        assert_eq!(coverage.section_aspects, vec![None, Some(2)]);
    }

    #[test]
    fn paraphrased_long_heading_still_maps() {
        let material = parse(
            "一、存在的主要问题\n（一）在落实全面从严治党责任、严守政治纪律和政治规矩方面\n一是责任落实不到位。\n\
             二、原因分析\n一是放松要求。\n三、整改措施\n一是加强学习。",
        );
        let coverage = coverage(&material, &aspects("2021-county"));
        assert_eq!(coverage.section_aspects, vec![Some(4)]);
    }
}
