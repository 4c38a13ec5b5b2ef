//! Writes one material: decides its layout, writes its own sentences from the grammar,
//! puts the planned injections where they belong, and records every span of known
//! origin (injections, headings, mandated wording) as it goes, so offsets are exact.

use std::fmt::Write as _;
use std::ops::Range;

use crate::grammar::{Context, Grammar};
use crate::lexicon;
use crate::model::{Edit, Injection, SourceKind};
use crate::rng::Rng;

/// Where in a material a sentence stands; copies go to the same place in the copier's
/// material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Opening,
    Problem(usize),
    Cause,
    Measure,
}

/// One own sentence of a kept document, available to copiers.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub bytes: Range<usize>,
    pub chars: Range<usize>,
    pub place: Place,
    /// The item (or the opening) the sentence belongs to; consecutive units of one group
    /// are contiguous in the text.
    pub group: u32,
}

/// A finished document as copiers see it.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub id: String,
    pub text: String,
    /// Own sentences only: nothing injected is copied on, so every copy has one source.
    pub units: Vec<Unit>,
}

/// Where a planned injection goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Opening,
    Problem { section: usize, item: usize },
    Cause(usize),
    Measure(usize),
}

/// A passage to inject, already edited.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub slot: Slot,
    /// Replaces the item's own text (a whole problem copied); otherwise the passage goes
    /// between the item's own sentences.
    pub whole: bool,
    pub text: String,
    pub kind: SourceKind,
    pub source: Option<String>,
    pub source_chars: Range<usize>,
    pub edit: Edit,
    pub pool: Option<usize>,
}

/// The shape of one material, drawn before anything is written so injections can be
/// planned against it.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub title: Option<usize>,
    pub paragraph_break: &'static str,
    pub bold_parts: bool,
    pub arabic_sections: bool,
    pub headings: [usize; 3],
    /// Problems per section.
    pub items: Vec<usize>,
    pub matters: Option<usize>,
    pub causes: usize,
    pub causes_one_paragraph: bool,
    pub measures: usize,
    /// How each aspect title is put into its heading.
    pub aspect_forms: Vec<usize>,
}

const TITLES: &[&str] = &[
    "{y}年度组织生活会个人对照检查材料",
    "{y}年度组织生活会个人对照检查材料",
    "{y}年度组织生活会党员个人对照检查材料",
    "{y}年度组织生活会对照检查材料",
    "{y}年度组织生活会个人检视剖析材料",
    "{y}年度组织生活会发言提纲",
];
const PROBLEMS_HEADINGS: &[&str] =
    &["存在的主要问题", "存在的主要问题", "存在的问题", "查摆出的主要问题", "对照检查存在的问题", "问题查摆"];
const CAUSES_HEADINGS: &[&str] =
    &["产生问题的原因分析", "产生问题的原因分析", "问题产生的原因", "原因剖析", "产生问题的根源", "深挖问题根源"];
const MEASURES_HEADINGS: &[&str] =
    &["努力方向和改进措施", "努力方向和改进措施", "整改措施", "今后的努力方向", "下一步整改措施", "努力方向和整改措施"];
const MATTERS_HEADINGS: &[&str] = &["有关事项报告", "有关事项报告", "个人有关事项报告", "报告个人有关事项情况"];

impl Layout {
    pub(crate) fn draw(rng: &mut Rng, aspects: usize, title_share: f64, matters_share: f64) -> Self {
        Self {
            title: rng.chance(title_share).then(|| rng.below(TITLES.len())),
            paragraph_break: if rng.chance(0.75) { "\n\n" } else { "\n" },
            bold_parts: rng.chance(0.15),
            arabic_sections: rng.chance(0.15),
            headings: [
                rng.below(PROBLEMS_HEADINGS.len()),
                rng.below(CAUSES_HEADINGS.len()),
                rng.below(MEASURES_HEADINGS.len()),
            ],
            items: (0..aspects).map(|_| rng.range(2, 4)).collect(),
            matters: rng.chance(matters_share).then(|| rng.below(MATTERS_HEADINGS.len())),
            causes: rng.range(3, 4),
            causes_one_paragraph: rng.chance(0.25),
            measures: rng.range(3, 5),
            aspect_forms: (0..aspects).map(|_| rng.below(10)).collect(),
        }
    }
}

/// The pools the writer uses, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    headline: usize,
    sym_generic: usize,
    detail: usize,
    consequence: usize,
    open_notice: usize,
    open_talk: usize,
    open_check: usize,
    open_lead: usize,
    cause_head: usize,
    cause_body: usize,
    measure_head: usize,
    measure_body: usize,
    matters: usize,
    /// (topic, manifestation) pools of each aspect's theme.
    aspects: Vec<(usize, usize)>,
}

impl Pools {
    pub(crate) fn resolve(grammar: &Grammar, aspects: &[String]) -> Self {
        let id = |name: &str| grammar.id(name).unwrap_or(usize::MAX);
        Self {
            headline: id("headline"),
            sym_generic: id("sym_generic"),
            detail: id("detail"),
            consequence: id("consequence"),
            open_notice: id("open_notice"),
            open_talk: id("open_talk"),
            open_check: id("open_check"),
            open_lead: id("open_lead"),
            cause_head: id("cause_head"),
            cause_body: id("cause_body"),
            measure_head: id("measure_head"),
            measure_body: id("measure_body"),
            matters: id("matters"),
            aspects: aspects
                .iter()
                .map(|a| {
                    let theme = theme_of(a);
                    (id(&format!("topic_{theme}")), id(&format!("sym_{theme}")))
                })
                .collect(),
        }
    }
}

/// The theme an aspect title is about.
pub(crate) fn theme_of(aspect: &str) -> &'static str {
    lexicon::THEMES
        .iter()
        .find(|t| t.keywords.iter().any(|k| aspect.contains(k)))
        .map_or(lexicon::DEFAULT_THEME, |t| t.name)
}

/// Everything one document needs to be written.
#[derive(Debug)]
pub(crate) struct Spec<'a> {
    pub id: &'a str,
    pub year: u16,
    pub unit: &'a str,
    pub projects: &'a [String],
    pub aspects: &'a [String],
    pub mandated: &'a [String],
    pub layout: &'a Layout,
    pub planned: &'a [Planned],
}

/// The written document.
#[derive(Debug)]
pub(crate) struct Written {
    pub text: String,
    pub truth: Vec<Injection>,
    pub units: Vec<Unit>,
}

struct Writer<'a> {
    id: &'a str,
    text: String,
    chars: usize,
    truth: Vec<Injection>,
    units: Vec<Unit>,
    group: u32,
}

impl Writer<'_> {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += s.chars().count();
    }

    /// Counts the chars appended since byte `from` (after an expansion wrote there).
    fn advance(&mut self, from: usize) -> Range<usize> {
        let start = self.chars;
        self.chars += self.text[from..].chars().count();
        start..self.chars
    }

    fn sentence(&mut self, grammar: &Grammar, pool: usize, ctx: &Context<'_>, rng: &mut Rng, place: Place) {
        let from = self.text.len();
        grammar.expand(pool, ctx, rng, &mut self.text);
        let chars = self.advance(from);
        self.units.push(Unit { bytes: from..self.text.len(), chars, place, group: self.group });
    }

    fn inject(&mut self, p: &Planned) {
        let start = self.chars;
        self.push(&p.text);
        self.truth.push(Injection {
            doc: self.id.to_owned(),
            start,
            end: self.chars,
            source: p.source.clone(),
            source_start: p.source_chars.start,
            source_end: p.source_chars.end,
            kind: p.kind,
            edit: p.edit,
            pool: p.pool,
        });
    }

    /// A heading line: recorded as `Heading`, with its markup.
    fn heading(&mut self, line: &str, brk: &str) {
        let start = self.chars;
        self.push(line);
        let len = self.chars - start;
        self.truth.push(Injection {
            doc: self.id.to_owned(),
            start,
            end: self.chars,
            source: None,
            source_start: 0,
            source_end: len,
            kind: SourceKind::Heading,
            edit: Edit::Verbatim,
            pool: None,
        });
        self.push(brk);
    }

    fn next_group(&mut self) {
        self.group += 1;
    }
}

const NUMERALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// 一 … 九十九, the way materials number.
fn numeral(n: usize, out: &mut String) {
    match n {
        1..=10 => out.push_str(NUMERALS.get(n - 1).copied().unwrap_or("十")),
        11..=19 => {
            out.push('十');
            out.push_str(NUMERALS.get(n - 11).copied().unwrap_or(""));
        }
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

fn shi(n: usize) -> String {
    let mut s = String::new();
    numeral(n, &mut s);
    s.push('是');
    s
}

/// Writes a material.
pub(crate) fn write(spec: &Spec<'_>, pools: &Pools, rng: &mut Rng) -> Written {
    let grammar = Grammar::get();
    let layout = spec.layout;
    let brk = layout.paragraph_break;
    let mut w = Writer {
        id: spec.id,
        text: String::with_capacity(12_000),
        chars: 0,
        truth: Vec::new(),
        units: Vec::new(),
        group: 0,
    };
    let ctx = Context { unit: spec.unit, projects: spec.projects, year: spec.year, topic: "" };
    let planned_at = |slot: Slot| spec.planned.iter().filter(move |p| p.slot == slot);

    if let Some(t) = layout.title {
        let title = TITLES.get(t).copied().unwrap_or(TITLES[0]).replace("{y}", &spec.year.to_string());
        w.heading(&title, brk);
    }

    // Opening.
    let mut opening = vec![pools.open_notice, pools.open_talk];
    if rng.chance(0.7) {
        opening.push(pools.open_check);
    }
    let inserts: Vec<&Planned> = planned_at(Slot::Opening).collect();
    write_sentences(&mut w, grammar, &ctx, rng, &opening, &inserts, Place::Opening, true);
    // The lead-in ends with a colon and announces the problems: nothing goes after it.
    w.sentence(grammar, pools.open_lead, &ctx, rng, Place::Opening);
    w.push(brk);
    w.next_group();

    // Problems.
    let part = |n: usize, title: &str| {
        let mut s = String::new();
        numeral(n, &mut s);
        s.push('、');
        s.push_str(title);
        if layout.bold_parts { format!("**{s}**") } else { s }
    };
    w.heading(&part(1, PROBLEMS_HEADINGS.get(layout.headings[0]).copied().unwrap_or("存在的主要问题")), brk);
    let mut topics: Vec<String> = Vec::new();
    for (s, aspect) in spec.aspects.iter().enumerate() {
        let form = layout.aspect_forms.get(s).copied().unwrap_or(0);
        w.heading(&section_heading(s + 1, aspect, form, layout.arabic_sections), brk);
        let (topic_pool, sym_pool) = pools.aspects.get(s).copied().unwrap_or((usize::MAX, usize::MAX));
        let count = layout.items.get(s).copied().unwrap_or(2);
        for i in 0..count {
            let slot = Slot::Problem { section: s, item: i };
            w.push(&shi(i + 1));
            let whole = spec.planned.iter().find(|p| p.slot == slot && p.whole);
            let inserts: Vec<&Planned> = planned_at(slot).filter(|p| !p.whole).collect();
            if let Some(whole) = whole {
                w.inject(whole);
                for p in inserts {
                    w.inject(p);
                }
            } else {
                let mut topic = String::new();
                grammar.expand(topic_pool, &ctx, rng, &mut topic);
                let item_ctx = Context { topic: &topic, ..ctx };
                let mut body = vec![pools.headline];
                body.push(if rng.chance(0.75) { sym_pool } else { pools.sym_generic });
                if rng.chance(0.6) {
                    body.push(pools.detail);
                }
                if rng.chance(0.35) {
                    body.push(sym_pool);
                }
                if rng.chance(0.5) {
                    body.push(pools.consequence);
                }
                write_item(&mut w, grammar, &item_ctx, rng, &body, &inserts, Place::Problem(s));
                topics.push(topic);
            }
            w.next_group();
        }
        w.push(brk);
    }
    if let Some(m) = layout.matters {
        let title = MATTERS_HEADINGS.get(m).copied().unwrap_or("有关事项报告");
        w.heading(&section_heading(spec.aspects.len() + 1, title, 9, layout.arabic_sections), brk);
        let count = rng.range(1, 3);
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < count {
            let i = rng.below(grammar.pool_len(pools.matters));
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
        let from = w.text.len();
        for i in chosen {
            grammar.expand_nth(pools.matters, i, &ctx, rng, &mut w.text);
        }
        // Personal matters are never offered for copying, so they are not units.
        let _ = w.advance(from);
        w.push(brk);
    }

    // Causes.
    w.heading(&part(2, CAUSES_HEADINGS.get(layout.headings[1]).copied().unwrap_or("产生问题的原因分析")), brk);
    for i in 0..layout.causes {
        let slot = Slot::Cause(i);
        let topic = rng.pick(&topics).cloned().unwrap_or_default();
        let item_ctx = Context { topic: &topic, ..ctx };
        w.push(&shi(i + 1));
        let mut body = vec![pools.cause_head, pools.cause_body];
        if rng.chance(0.5) {
            body.push(pools.cause_body);
        }
        let inserts: Vec<&Planned> = planned_at(slot).collect();
        write_item(&mut w, grammar, &item_ctx, rng, &body, &inserts, Place::Cause);
        w.next_group();
        if layout.causes_one_paragraph && i + 1 < layout.causes {
            continue;
        }
        w.push(brk);
    }

    // Measures: each takes up the topics of the problems in turn, so measures answer
    // problems with the problems' own key words.
    w.heading(&part(3, MEASURES_HEADINGS.get(layout.headings[2]).copied().unwrap_or("努力方向和改进措施")), brk);
    let stride = topics.len().max(1).div_ceil(layout.measures.max(1)).max(1);
    for i in 0..layout.measures {
        let slot = Slot::Measure(i);
        let topic = topics.get(i * stride).or_else(|| rng.pick(&topics)).cloned().unwrap_or_default();
        let item_ctx = Context { topic: &topic, ..ctx };
        w.push(&shi(i + 1));
        let mut body = vec![pools.measure_head, pools.measure_body];
        if rng.chance(0.5) {
            body.push(pools.measure_body);
        }
        let inserts: Vec<&Planned> = planned_at(slot).collect();
        write_item(&mut w, grammar, &item_ctx, rng, &body, &inserts, Place::Measure);
        w.next_group();
        if i + 1 < layout.measures {
            w.push(brk);
        }
    }
    w.push("\n");

    mark_mandated(&mut w, spec.mandated);
    w.truth.sort_by_key(|t| (t.start, t.end));
    Written { text: w.text, truth: w.truth, units: w.units }
}

/// Writes an item: its headline sentence (the first pool, ending in 。) and the rest,
/// with the inserts placed between sentences after the headline.
fn write_item(
    w: &mut Writer<'_>,
    grammar: &Grammar,
    ctx: &Context<'_>,
    rng: &mut Rng,
    pools: &[usize],
    inserts: &[&Planned],
    place: Place,
) {
    let Some((&head, rest)) = pools.split_first() else { return };
    let from = w.text.len();
    grammar.expand(head, ctx, rng, &mut w.text);
    w.text.push('。');
    let chars = w.advance(from);
    w.units.push(Unit { bytes: from..w.text.len(), chars, place, group: w.group });
    write_sentences(w, grammar, ctx, rng, rest, inserts, place, false);
}

/// Writes own sentences from `pools` in order with `inserts` at random gaps (never
/// before the first sentence when `keep_first`).
#[allow(clippy::too_many_arguments)]
fn write_sentences(
    w: &mut Writer<'_>,
    grammar: &Grammar,
    ctx: &Context<'_>,
    rng: &mut Rng,
    pools: &[usize],
    inserts: &[&Planned],
    place: Place,
    keep_first: bool,
) {
    let lowest = usize::from(keep_first).min(pools.len());
    let mut gaps: Vec<usize> = inserts.iter().map(|_| rng.range(lowest, pools.len())).collect();
    gaps.sort_unstable();
    let mut next = 0;
    for gap in 0..=pools.len() {
        while gaps.get(next) == Some(&gap) {
            if let Some(p) = inserts.get(next) {
                w.inject(p);
            }
            next += 1;
        }
        if let Some(&pool) = pools.get(gap) {
            w.sentence(grammar, pool, ctx, rng, place);
        }
    }
}

/// A section heading: （一）在…方面 mostly, sometimes 1. or the bare title. `form` 9
/// is the bare title (the matters report).
fn section_heading(n: usize, title: &str, form: usize, arabic: bool) -> String {
    let mut s = String::new();
    if arabic {
        let _ = write!(s, "{n}.");
    } else {
        s.push('（');
        numeral(n, &mut s);
        s.push('）');
    }
    let trimmed = title.trim_end_matches(['。', '：', '；']);
    let ends_aspect = trimmed.ends_with("方面") || trimmed.ends_with("情况");
    match (form, ends_aspect) {
        (9, _) => s.push_str(trimmed),
        (_, true) if form < 4 => {
            s.push('在');
            s.push_str(trimmed);
        }
        (_, true) => s.push_str(trimmed),
        (0..=5, false) => {
            s.push('在');
            s.push_str(trimmed);
            s.push_str("方面");
        }
        (6..=8, false) => {
            s.push_str(trimmed);
            s.push_str("方面");
        }
        _ => s.push_str(trimmed),
    }
    s
}

/// Records every occurrence of a mandated phrase, wherever it came from.
fn mark_mandated(w: &mut Writer<'_>, mandated: &[String]) {
    for (index, phrase) in mandated.iter().enumerate() {
        if phrase.is_empty() {
            continue;
        }
        let len = phrase.chars().count();
        let mut counted_bytes = 0;
        let mut counted_chars = 0;
        for (at, _) in w.text.match_indices(phrase.as_str()) {
            counted_chars += w.text[counted_bytes..at].chars().count();
            counted_bytes = at;
            w.truth.push(Injection {
                doc: w.id.to_owned(),
                start: counted_chars,
                end: counted_chars + len,
                source: None,
                source_start: 0,
                source_end: len,
                kind: SourceKind::Mandated,
                edit: Edit::Verbatim,
                pool: Some(index),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_and_headings() {
        assert_eq!(shi(3), "三是");
        let mut s = String::new();
        numeral(12, &mut s);
        assert_eq!(s, "十二");
        assert_eq!(section_heading(2, "政治纪律", 0, false), "（二）在政治纪律方面");
        assert_eq!(section_heading(2, "政治纪律", 7, true), "2.政治纪律方面");
        assert_eq!(section_heading(1, "联系服务群众情况", 5, false), "（一）联系服务群众情况");
        assert_eq!(section_heading(6, "有关事项报告", 9, false), "（六）有关事项报告");
    }

    #[test]
    fn themes_follow_keywords() {
        assert_eq!(theme_of("生活纪律"), "life");
        assert_eq!(theme_of("政治纪律"), "discipline");
        assert_eq!(theme_of("学习贯彻党的创新理论情况"), "study");
        assert_eq!(theme_of("联系服务群众情况"), "masses");
        assert_eq!(theme_of("发挥先锋模范作用情况"), "work");
        assert_eq!(theme_of("政治信仰"), "politics");
        assert_eq!(theme_of("别的什么"), "work");
    }
}
