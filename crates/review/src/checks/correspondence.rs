//! Problem → measure correspondence: which measures answer which problems.
//!
//! Reviewers want measures that answer the problems one by one; a material with three
//! generic measures for fourteen problems answers most of them with nothing. A measure
//! answers a problem when it speaks of the same things: the problem's content words
//! (see [`crate::segment`]) found in the measure, weighted by how telling each word is.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::ops::Range;

use crate::segment::{self, Fnv};
use crate::structure::{Item, Material};

/// Similarity at which a measure counts as answering a problem.
///
/// On the example a measure that takes up a problem's headline topic (理论学习, 服务群众,
/// 监督管理) scores 0.36–0.55, and one that shares only stray words with the problem's
/// body stays under 0.13; 0.2 sits in the gap.
pub const DEFAULT_THRESHOLD: f32 = 0.2;

/// Part of the score that comes from the problem's headline: it states the problem;
/// the body only illustrates it.
const HEADLINE_SHARE: f32 = 0.5;

/// Credit for a word the measure has only in its body: its headline states what it
/// promises, its body wanders (工作责任 in a measure on study).
const BODY_CREDIT: f32 = 0.7;

/// Credit for a word found only in pieces (理论学习 against 学习理论, 纪律 inside
/// 严守纪律): the same topic, less surely.
const PARTIAL_CREDIT: f32 = 0.5;

/// A problem by its section index and its index inside the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProblemRef {
    pub section: usize,
    pub index: usize,
}

/// The measures that answer one problem, best first, with their similarity in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub problem: ProblemRef,
    pub measures: Vec<(usize, f32)>,
}

/// For each problem (in material order), the measures that answer it; a problem with no
/// measure over `threshold` is unanswered.
pub fn correspondence(material: &Material, threshold: f32) -> Vec<Answers> {
    let problem_items: Vec<(ProblemRef, &Item)> =
        material.problems().map(|(section, index, item)| (ProblemRef { section, index }, item)).collect();
    let items = problem_items.iter().map(|(_, item)| *item).chain(&material.measures.items);
    // Every text is segmented once; the words borrow from these strings.
    let texts: Vec<(String, Range<usize>)> = items
        .map(|item| {
            let text = material.text.string(item.range.clone());
            let headline = headline_bytes(&text, &item.range, &item.headline);
            (text, headline)
        })
        .collect();
    let mut vocabulary = Vocabulary::default();
    let docs: Vec<Doc> = texts.iter().map(|(text, headline)| vocabulary.doc(text, headline)).collect();
    let idf = vocabulary.inverse_frequencies(docs.len());
    let (problems, measures) = docs.split_at(problem_items.len());
    let measures: Vec<Answer<'_>> = measures.iter().map(|doc| Answer::new(doc, &vocabulary)).collect();

    problem_items
        .iter()
        .zip(problems)
        .map(|((problem, _), doc)| {
            let mut answered: Vec<(usize, f32)> = measures
                .iter()
                .enumerate()
                .map(|(m, measure)| (m, similarity(doc, measure, &idf)))
                .filter(|(_, score)| *score >= threshold)
                .collect();
            answered.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            Answers { problem: *problem, measures: answered }
        })
        .collect()
}

/// The opinions (征求意见) a material does not respond to, by index: an opinion is
/// answered when some problem, cause or measure of the material speaks of the same
/// things, by the same measure as a measure answering a problem ([`DEFAULT_THRESHOLD`]).
/// A part the parser found no items in counts as one passage, so a material numbered in
/// an unusual way still answers what it takes up.
pub fn unanswered(opinions: &[&str], material: &Material) -> Vec<usize> {
    let passages = responding_passages(material);
    let texts: Vec<(String, Range<usize>)> = passages
        .iter()
        .map(|(range, headline)| {
            let text = material.text.string(range.clone());
            let headline = headline_bytes(&text, range, headline);
            (text, headline)
        })
        .collect();
    let mut vocabulary = Vocabulary::default();
    let asked: Vec<Doc> = opinions.iter().map(|text| vocabulary.doc(text, &first_clause(text))).collect();
    let said: Vec<Doc> = texts.iter().map(|(text, headline)| vocabulary.doc(text, headline)).collect();
    let idf = vocabulary.inverse_frequencies(asked.len() + said.len());
    let answers: Vec<Answer<'_>> = said.iter().map(|doc| Answer::new(doc, &vocabulary)).collect();
    asked
        .iter()
        .enumerate()
        .filter(|(_, opinion)| {
            // An opinion with no content word (“无”, “很好”) asks nothing to answer.
            !opinion.words.is_empty() && answers.iter().all(|a| similarity(opinion, a, &idf) < DEFAULT_THRESHOLD)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Every problem, cause and measure item, with its headline; a section or part without
/// items as a whole.
fn responding_passages(material: &Material) -> Vec<(Range<usize>, Range<usize>)> {
    let mut passages = Vec::new();
    let bodies = material.sections.iter().map(|s| (&s.body, &s.items));
    let parts = [&material.causes, &material.measures].into_iter().map(|p| (&p.body, &p.items));
    for (body, items) in bodies.chain(parts) {
        if items.is_empty() {
            if !body.is_empty() {
                passages.push((body.clone(), body.start..body.start));
            }
        } else {
            passages.extend(items.iter().map(|item| (item.range.clone(), item.headline.clone())));
        }
    }
    passages
}

/// The byte range of a text's first clause, which usually states the point.
fn first_clause(text: &str) -> Range<usize> {
    0..text.find(['。', '，', '；', '！', '？', '\n']).unwrap_or(text.len())
}

/// The content words of all items, numbered, with how many items use each.
#[derive(Default)]
struct Vocabulary<'a> {
    ids: HashMap<&'a str, usize, BuildHasherDefault<Fnv>>,
    words: Vec<&'a str>,
    /// Items using each word.
    df: Vec<usize>,
}

/// The content words of one item, each once: (word id, whether it is in the headline).
struct Doc {
    words: Vec<(usize, bool)>,
}

impl<'a> Vocabulary<'a> {
    fn doc(&mut self, text: &'a str, headline: &Range<usize>) -> Doc {
        let mut words: Vec<(usize, bool)> = Vec::new();
        for (range, word) in segment::content_tokens(text) {
            let in_headline = range.start >= headline.start && range.end <= headline.end;
            let next = self.words.len();
            let id = *self.ids.entry(word).or_insert(next);
            if id == next {
                self.words.push(word);
                self.df.push(0);
            }
            match words.iter_mut().find(|(w, _)| *w == id) {
                Some((_, seen_in_headline)) => *seen_in_headline |= in_headline,
                None => {
                    words.push((id, in_headline));
                    self.df[id] += 1;
                }
            }
        }
        Doc { words }
    }

    /// Inverse document frequency within this material: a word every problem and
    /// measure uses (政治, 干部) tells less than one only two of them share. Smoothed so
    /// that no word weighs zero.
    fn inverse_frequencies(&self, docs: usize) -> Vec<f32> {
        self.df.iter().map(|&df| (1.0 + docs as f32 / df.max(1) as f32).ln()).collect()
    }
}

/// The headline's byte range inside the item's text (empty if it lies outside).
fn headline_bytes(text: &str, item: &Range<usize>, headline: &Range<usize>) -> Range<usize> {
    let start = headline.start.max(item.start).saturating_sub(item.start);
    let end = headline.end.min(item.end).saturating_sub(item.start);
    let byte = |chars: usize| text.char_indices().nth(chars).map_or(text.len(), |(b, _)| b);
    let (start, end) = (byte(start), byte(end));
    start..end.max(start)
}

/// A measure prepared for lookups: per word id, whether the measure has the word in
/// its headline, in its body, or not at all; and the char pairs inside its words for
/// partial matches.
struct Answer<'v> {
    has: Vec<Presence>,
    bigrams: Vec<[char; 2]>,
    vocabulary: &'v Vocabulary<'v>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Absent,
    Body,
    Headline,
}

impl<'v> Answer<'v> {
    fn new(doc: &Doc, vocabulary: &'v Vocabulary<'v>) -> Self {
        let mut has = vec![Presence::Absent; vocabulary.words.len()];
        let mut bigrams = Vec::new();
        for &(id, in_headline) in &doc.words {
            has[id] = if in_headline { Presence::Headline } else { Presence::Body };
            let chars: Vec<char> = vocabulary.words[id].chars().collect();
            bigrams.extend(chars.windows(2).map(|w| [w[0], w[1]]));
        }
        bigrams.sort_unstable();
        bigrams.dedup();
        Self { has, bigrams, vocabulary }
    }

    /// 1 for the word itself in the measure's headline, less in its body; for a word
    /// found only in pieces, the share of its char pairs found inside the measure's
    /// words, discounted.
    fn credit(&self, id: usize) -> f32 {
        match self.has[id] {
            Presence::Headline => return 1.0,
            Presence::Body => return BODY_CREDIT,
            Presence::Absent => {}
        }
        let (mut pairs, mut found) = (0usize, 0usize);
        let mut chars = self.vocabulary.words[id].chars();
        let Some(mut previous) = chars.next() else {
            return 0.0;
        };
        for c in chars {
            pairs += 1;
            found += usize::from(self.bigrams.binary_search(&[previous, c]).is_ok());
            previous = c;
        }
        if pairs == 0 { 0.0 } else { PARTIAL_CREDIT * found as f32 / pairs as f32 }
    }
}

/// How much of the problem the measure speaks to: the weighted share of the problem's
/// words the measure contains, the headline's share and the whole item's share mixed.
/// Not a cosine: a measure may rightly cover several problems, so its own length and
/// other topics must not count against it. The headline gets its own share rather
/// than a word weight because a problem's body runs to thirty content words that
/// would drown a two-word headline (理论学习不深入) however it was weighted.
fn similarity(problem: &Doc, measure: &Answer<'_>, idf: &[f32]) -> f32 {
    let (mut headline_total, mut headline_shared, mut total, mut shared) = (0.0, 0.0, 0.0, 0.0);
    for &(id, in_headline) in &problem.words {
        let weight = idf[id];
        let credit = weight * measure.credit(id);
        total += weight;
        shared += credit;
        if in_headline {
            headline_total += weight;
            headline_shared += credit;
        }
    }
    let whole = if total > 0.0 { shared / total } else { 0.0 };
    if headline_total > 0.0 {
        HEADLINE_SHARE * headline_shared / headline_total + (1.0 - HEADLINE_SHARE) * whole
    } else {
        // A headline of pure boilerplate (贯彻落实决策部署不全面) names nothing to answer.
        whole
    }
}

#[cfg(test)]
pub(crate) mod test_material {
    use std::ops::Range;

    use crate::input::{self, Source};
    use crate::normalize::NormText;
    use crate::structure::{Heading, Item, Material, Part, Section};

    /// The parts of a material; items are written without their 一是 marker.
    #[derive(Debug, Default)]
    pub(crate) struct Spec<'a> {
        pub title: Option<&'a str>,
        pub opening: Option<&'a str>,
        /// Heading (with its （一） marker) and items.
        pub sections: &'a [(&'a str, &'a [&'a str])],
        /// Heading and body of the 有关事项报告.
        pub matters: Option<(&'a str, &'a str)>,
        pub causes: &'a [&'a str],
        pub measures: &'a [&'a str],
    }

    /// Lays the spec out as a material (one paragraph per heading, items inline as
    /// 一是…二是… like the example), normalizes it and records every range.
    pub(crate) fn build(spec: &Spec<'_>) -> Material {
        let mut w = Writer::default();
        let title = spec.title.map(|t| w.para(t));
        let opening = spec.opening.map(|o| w.para(o));
        let problems_heading = (!spec.sections.is_empty()).then(|| w.heading("一、存在的主要问题", 2));
        let sections: Vec<Section> = spec
            .sections
            .iter()
            .map(|(heading, items)| {
                let heading = w.heading(heading, 3);
                let (body, items) = w.items(items);
                Section { heading: Some(heading), body, items }
            })
            .collect();
        let matters_report = spec.matters.map(|(heading, body)| {
            let heading = w.heading(heading, 3);
            let body = w.para(body);
            Section { heading: Some(heading), body, items: Vec::new() }
        });
        let causes = w.part("二、原因分析", spec.causes);
        let measures = w.part("三、整改措施", spec.measures);
        let raw = w.text;
        let text = NormText::new(&Source::from_text(raw.clone()).expect("test text"));
        let origins = origins(&text);
        // The first normalized char at or after a raw char index.
        let to_norm = |raw: usize| origins.partition_point(|&o| o < raw);
        let map = |r: Range<usize>| to_norm(r.start)..to_norm(r.end);
        let map_heading = |h: Heading| Heading { range: map(h.range), title: map(h.title) };
        let map_items = |items: Vec<Item>| {
            items
                .into_iter()
                .map(|i| Item { range: map(i.range), marker: i.marker.map(map), headline: map(i.headline) })
                .collect()
        };
        let map_section =
            |s: Section| Section { heading: s.heading.map(map_heading), body: map(s.body), items: map_items(s.items) };
        let map_part =
            |p: Part| Part { heading: p.heading.map(map_heading), body: map(p.body), items: map_items(p.items) };
        Material {
            title: title.map(map),
            opening: opening.map(map),
            problems_heading: problems_heading.map(map_heading),
            sections: sections.into_iter().map(map_section).collect(),
            matters_report: matters_report.map(map_section),
            causes: map_part(causes),
            measures: map_part(measures),
            text,
        }
    }

    /// The real example, parsed.
    pub(crate) fn example() -> Material {
        let bytes = include_bytes!("../../../../examples/material-2021-county.txt");
        Material::parse(&input::read("material-2021-county.txt", bytes).expect("example reads"))
    }

    /// The original char index of every normalized char.
    fn origins(text: &NormText) -> Vec<usize> {
        (0..text.len()).map(|i| text.to_original(i..i + 1).start).collect()
    }

    #[derive(Default)]
    struct Writer {
        text: String,
        len: usize,
    }

    impl Writer {
        fn push(&mut self, s: &str) -> Range<usize> {
            let start = self.len;
            self.text.push_str(s);
            self.len += s.chars().count();
            start..self.len
        }

        fn para(&mut self, s: &str) -> Range<usize> {
            let range = self.push(s);
            self.push("\n");
            range
        }

        fn heading(&mut self, s: &str, marker_len: usize) -> Heading {
            let range = self.para(s);
            let title_end = if s.ends_with('。') { range.end - 1 } else { range.end };
            Heading { title: range.start + marker_len.min(range.len())..title_end, range }
        }

        fn items(&mut self, items: &[&str]) -> (Range<usize>, Vec<Item>) {
            let start = self.len;
            let items = items
                .iter()
                .enumerate()
                .map(|(n, text)| {
                    let marker = self.push(&format!("{}是", "一二三四五六七八九".chars().nth(n).unwrap_or('十')));
                    let range = self.push(text);
                    let clause = text.chars().position(|c| matches!(c, '。' | '，' | '；')).unwrap_or(range.len());
                    Item { headline: range.start..range.start + clause, range, marker: Some(marker) }
                })
                .collect();
            let end = self.len;
            self.push("\n");
            (start..end, items)
        }

        fn part(&mut self, heading: &str, items: &[&str]) -> Part {
            if items.is_empty() {
                return Part::default();
            }
            let heading = self.heading(heading, 2);
            let (body, items) = self.items(items);
            Part { heading: Some(heading), body, items }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_material::{Spec, build, example};
    use super::*;

    fn answered(answers: &[Answers]) -> Vec<Vec<usize>> {
        answers.iter().map(|a| a.measures.iter().map(|(m, _)| *m).collect()).collect()
    }

    #[test]
    fn the_helper_builds_what_it_says() {
        let m = build(&Spec {
            title: Some("对照检查材料"),
            sections: &[("（一）学习方面", &["理论学习不深入。学得不够。", "调研不够。"])],
            measures: &["加强理论学习。"],
            ..Spec::default()
        });
        let t = &m.text;
        assert_eq!(m.sections[0].heading.as_ref().map(|h| t.string(h.title.clone())).as_deref(), Some("学习方面"));
        assert_eq!(t.string(m.sections[0].items[0].headline.clone()), "理论学习不深入");
        assert_eq!(t.string(m.sections[0].items[1].range.clone()), "调研不够。");
        assert_eq!(t.string(m.measures.items[0].range.clone()), "加强理论学习。");
        assert_eq!(t.string(m.headings()[0].clone()), "对照检查材料");
    }

    #[test]
    fn each_problem_finds_its_own_measure() {
        let m = build(&Spec {
            sections: &[
                (
                    "（一）学习方面",
                    &["理论学习不深入，读原著少，学用脱节。", "调查研究不够，下基层少，不了解群众诉求。"],
                ),
                ("（二）纪律方面", &["廉洁自律有所放松，对身边人员监督管理不严。"]),
            ],
            measures: &[
                "加强理论学习，坚持读原著、学原文，学用结合。",
                "深入调查研究，每月下基层，倾听群众诉求。",
                "严守廉洁自律底线，加强对身边人员的监督管理。",
            ],
            ..Spec::default()
        });
        let answers = correspondence(&m, DEFAULT_THRESHOLD);
        assert_eq!(answered(&answers), vec![vec![0], vec![1], vec![2]]);
        assert_eq!(answers[2].problem, ProblemRef { section: 1, index: 0 });
        assert!(answers.iter().all(|a| a.measures.iter().all(|(_, s)| (0.0..=1.0).contains(s))));
    }

    #[test]
    fn boilerplate_alone_answers_nothing() {
        let m = build(&Spec {
            sections: &[("（一）作风方面", &["驻村帮扶走过场，对脱贫户情况掌握不清。"])],
            measures: &["切实加强学习，进一步提高认识，坚决做到落实到位。"],
            ..Spec::default()
        });
        assert_eq!(answered(&correspondence(&m, DEFAULT_THRESHOLD)), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn reordered_topic_gets_partial_credit() {
        let m = build(&Spec {
            sections: &[("（一）学习方面", &["纪律意识淡薄。"])],
            measures: &["严守纪律规矩。", "热爱劳动。"],
            ..Spec::default()
        });
        let answers = correspondence(&m, 0.01);
        assert_eq!(answered(&answers), vec![vec![0]]);
    }

    #[test]
    fn no_measures_means_no_answers() {
        let m =
            build(&Spec { sections: &[("（一）学习方面", &["理论学习不深入。"])], ..Spec::default() });
        let answers = correspondence(&m, DEFAULT_THRESHOLD);
        assert_eq!(answers.len(), 1);
        assert!(answers[0].measures.is_empty());
    }

    #[test]
    fn opinions_the_material_takes_up_are_answered_and_others_are_listed() {
        let m = build(&Spec {
            sections: &[
                ("（一）学习方面", &["理论学习不深入，读原著少，学用脱节。"]),
                ("（二）作风方面", &["调查研究不够，下基层少，不了解群众诉求。"]),
            ],
            causes: &["宗旨意识有所淡化。"],
            measures: &["加强理论学习，坚持读原著。", "每月下基层调研，倾听群众诉求。"],
            ..Spec::default()
        });
        let opinions = [
            "希望多下基层，多听听群众的诉求。",
            "办公室车辆管理混乱，公车私用的情况时有发生。",
            "理论学习流于形式，很少读原著。",
            "无",
            "窗口服务态度生硬，群众办事排长队。",
        ];
        assert_eq!(unanswered(&opinions, &m), vec![1, 4]);
        assert!(unanswered(&[], &m).is_empty());
    }

    #[test]
    fn an_empty_material_answers_nothing_and_the_example_answers_its_topics() {
        let m = build(&Spec { sections: &[("（一）作风方面", &[])], ..Spec::default() });
        assert!(m.sections[0].items.is_empty());
        let opinions = ["公车私用的情况时有发生。"];
        assert_eq!(unanswered(&opinions, &m), vec![0], "an empty material answers nothing");
        let opinions = ["理论学习不深入，学用脱节。", "食堂饭菜价格偏高。"];
        assert_eq!(unanswered(&opinions, &example()), vec![1]);
    }

    #[test]
    fn example_generic_measures_answer_few_problems() {
        let m = example();
        let answers = correspondence(&m, DEFAULT_THRESHOLD);
        assert_eq!(answers.len(), 14);
        let of = |section, index| {
            answers
                .iter()
                .find(|a| a.problem == ProblemRef { section, index })
                .map(|a| a.measures.iter().map(|(m, _)| *m).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        // 理论学习不深入 → 加强理论学习; 服务群众的能力还不够强 → 强化宗旨意识 (为人民服务,
        // 群众); 监督管理不到位 → 注重监督管理.
        assert_eq!(of(0, 0), vec![0]);
        assert_eq!(of(1, 2), vec![1]);
        assert_eq!(of(4, 1), vec![2]);
        // 主观认识不到位 is about 意识形态 and discipline: nothing answers it by name.
        assert_eq!(of(0, 2), Vec::<usize>::new());
        let unanswered = answers.iter().filter(|a| a.measures.is_empty()).count();
        assert!(unanswered >= 9, "only {unanswered} of 14 unanswered");
    }
}
