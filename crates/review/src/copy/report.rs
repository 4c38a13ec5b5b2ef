//! The copy report of one material: copied spans mapped back to both original texts,
//! raw and net copy ratios, ratios per part, the largest source and 套话 counts.

use std::ops::Range;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::detect::{self, Found, Looked, Match, Tier};
use super::fingerprint::{Fingerprint, kgram_hashes, winnow};
use super::index::{Index, short};
use super::skeleton::{Skeleton, is_significant};
use super::{CopyOptions, Querier, SourceTexts, clauses, sentences};
use crate::normalize::{NormText, normalize_str};

/// A copied span: where it stands in the material and in its source (char offsets into
/// each original text, end exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopySpan {
    pub start: usize,
    pub end: usize,
    pub source: String,
    pub source_start: usize,
    pub source_end: usize,
    pub tier: Tier,
    /// 1 for exact copies; the clause overlap for near copies.
    pub similarity: f32,
}

/// The source from which most of the material is copied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopSource {
    pub source: String,
    /// Share of the material's significant chars copied from it.
    pub share: f64,
}

/// A sentence and how many other authors' documents in the index contain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boilerplate {
    pub start: usize,
    pub end: usize,
    pub documents: usize,
}

/// Copy ratios per part of the material; null where the part is absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SectionRatios {
    pub opening: Option<f64>,
    /// Per problem section, in material order.
    pub sections: Vec<Option<f64>>,
    pub matters_report: Option<f64>,
    pub causes: Option<f64>,
    pub measures: Option<f64>,
}

/// Everything copy detection says about one material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyReport {
    pub copies: Vec<CopySpan>,
    /// Copied significant chars over all significant chars (总文字复制比).
    pub copy_ratio: f64,
    /// The same, not counting mandated wording, headings and 套话 sentences.
    pub net_copy_ratio: f64,
    pub section_copy_ratios: SectionRatios,
    pub top_source: Option<TopSource>,
    pub boilerplate: Vec<Boilerplate>,
    /// Text repeated from the same author's earlier years (年年提、年年有), apart.
    pub previous_year_copies: Vec<CopySpan>,
    pub previous_year_ratio: f64,
    #[serde(skip)]
    skeleton: Skeleton,
    #[serde(skip)]
    copied: Vec<bool>,
    #[serde(skip)]
    excluded: Vec<bool>,
}

impl CopyReport {
    /// Copy ratio of the significant chars inside a normalized range; None if it has none.
    pub fn ratio_in(&self, range: Range<usize>) -> Option<f64> {
        let positions = self.skeleton.from_norm(range);
        (!positions.is_empty())
            .then(|| self.copied[positions.clone()].iter().filter(|c| **c).count() as f64 / positions.len() as f64)
    }

    /// Significant chars inside a normalized range: how many, how many copied, and how
    /// many of those count in the net ratio.
    pub fn counts_in(&self, range: Range<usize>) -> (usize, usize, usize) {
        let positions = self.skeleton.from_norm(range);
        let copied = &self.copied[positions.clone()];
        let excluded = &self.excluded[positions.clone()];
        let net = copied.iter().zip(excluded).filter(|(c, e)| **c && !**e).count();
        (positions.len(), copied.iter().filter(|c| **c).count(), net)
    }

    pub(crate) fn set_section_ratios(&mut self, ratios: SectionRatios) {
        self.section_copy_ratios = ratios;
    }
}

/// Checks a normalized material against the index. `headings` (normalized ranges) and
/// `mandated` phrases are not counted in the net ratio.
pub fn check(
    index: &Index,
    texts: &dyn SourceTexts,
    text: &NormText,
    headings: &[Range<usize>],
    mandated: &[String],
    me: &Querier<'_>,
    options: &CopyOptions,
) -> CopyReport {
    let skeleton = Skeleton::new(text);
    let clauses = clauses(text, &skeleton);
    let params = index.params();
    let kgrams = kgram_hashes(&skeleton.chars, params.k);
    let fps = winnow(&kgrams, params.w);
    let looked = Looked::new(index, &fps);
    let found = detect::find(index, texts, &skeleton, (&kgrams, &looked), &clauses, me, options);
    let total = skeleton.len().max(1) as f64;

    let copied = mask(skeleton.len(), &found.copies);
    let boilerplate = boilerplate(index, text, &skeleton, (&fps, &looked), me);
    let mut excluded = vec![false; skeleton.len()];
    let common = options.boilerplate_authors(index.authors.len());
    for b in boilerplate.iter().filter(|b| b.1 >= common) {
        excluded[b.0.clone()].iter_mut().for_each(|e| *e = true);
    }
    for heading in headings {
        excluded[skeleton.from_norm(heading.clone())].iter_mut().for_each(|e| *e = true);
    }
    for phrase in mandated {
        mark_phrase(&skeleton.chars, phrase, &mut excluded);
    }
    // What a copy shares beyond the mandated wording and 套话 must itself be long
    // enough to be a copy; 学习 before a theory's name is not.
    for m in &found.copies {
        let own = m.query.clone().filter(|&i| !excluded[i]).count();
        let floor = if m.tier == Tier::Exact { options.min_exact } else { options.min_clause };
        if own < floor {
            excluded[m.query.clone()].iter_mut().for_each(|e| *e = true);
        }
    }
    let copied_count = copied.iter().filter(|c| **c).count();
    let net_count = copied.iter().zip(&excluded).filter(|(c, e)| **c && !**e).count();

    let mut per_source: FxHashMap<u32, usize> = FxHashMap::default();
    for m in &found.copies {
        *per_source.entry(m.source).or_default() += m.query.len();
    }
    let top_source = per_source
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(doc, n)| TopSource { source: index.doc(*doc).id.clone(), share: *n as f64 / total });
    let previous_count = mask(skeleton.len(), &found.previous_year).iter().filter(|c| **c).count();

    CopyReport {
        copies: spans(index, text, &skeleton, &found, &found.copies),
        copy_ratio: copied_count as f64 / total,
        net_copy_ratio: net_count as f64 / total,
        section_copy_ratios: SectionRatios::default(),
        top_source,
        boilerplate: boilerplate
            .iter()
            .filter(|b| b.1 >= 2)
            .map(|(range, documents)| {
                let span = text.to_original(skeleton.to_norm(range.clone()));
                Boilerplate { start: span.start, end: span.end, documents: *documents }
            })
            .collect(),
        previous_year_copies: spans(index, text, &skeleton, &found, &found.previous_year),
        previous_year_ratio: previous_count as f64 / total,
        skeleton,
        copied,
        excluded,
    }
}

fn mask(len: usize, matches: &[Match]) -> Vec<bool> {
    let mut mask = vec![false; len];
    for m in matches {
        mask[m.query.clone()].iter_mut().for_each(|c| *c = true);
    }
    mask
}

fn spans(index: &Index, text: &NormText, skeleton: &Skeleton, found: &Found, matches: &[Match]) -> Vec<CopySpan> {
    matches
        .iter()
        .filter_map(|m| {
            let source = found.sources.get(&m.source)?;
            let here = text.to_original(skeleton.to_norm(m.query.clone()));
            let there = source.text.to_original(source.skeleton.to_norm(m.source_range.clone()));
            Some(CopySpan {
                start: here.start,
                end: here.end,
                source: index.doc(m.source).id.clone(),
                source_start: there.start,
                source_end: there.end,
                tier: m.tier,
                similarity: m.similarity,
            })
        })
        .collect()
}

/// Per sentence (skeleton range), how many other authors' documents contain all of its
/// fingerprints, estimated by its rarest fingerprint.
fn boilerplate(
    index: &Index,
    text: &NormText,
    skeleton: &Skeleton,
    (fps, looked): (&[Fingerprint], &Looked),
    me: &Querier<'_>,
) -> Vec<(Range<usize>, usize)> {
    let params = index.params();
    let own = usize::from(me.id.is_some_and(|id| index.doc_id(id).is_some()));
    let authors: Vec<usize> =
        looked.hashes.iter().zip(&looked.runs).map(|(&hash, &run)| index.authors_in(hash, run)).collect();
    let authors_of = |hash: u32| looked.position(hash).map_or(0, |i| authors[i]);
    let mut out = Vec::new();
    let mut next = 0;
    for sentence in sentences(text, skeleton) {
        while next < fps.len() && (fps[next].pos as usize) < sentence.start {
            next += 1;
        }
        let inside = fps[next..]
            .iter()
            .take_while(|f| f.pos as usize + params.k <= sentence.end)
            .filter(|f| f.pos as usize >= sentence.start);
        let documents = inside.map(|f| authors_of(short(f.hash))).min();
        if let Some(documents) = documents {
            out.push((sentence, documents.saturating_sub(own)));
        }
    }
    out
}

/// Marks every occurrence of a phrase's significant chars.
fn mark_phrase(chars: &[char], phrase: &str, marks: &mut [bool]) {
    let needle: Vec<char> = normalize_str(phrase).chars().filter(|c| is_significant(*c)).collect();
    if needle.len() < 2 || needle.len() > chars.len() {
        return;
    }
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        if chars[i] == needle[0] && chars[i..i + needle.len()] == needle[..] {
            marks[i..i + needle.len()].iter_mut().for_each(|m| *m = true);
            i += needle.len();
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::copy::{DocKind, Index, MemoryTexts, SourceDoc};
    use crate::input::Source;

    /// Sentences of our own, long enough to be told apart.
    const SENTENCES: &[&str] = &[
        "在推进乡镇便民服务中心标准化建设中对窗口人员的日常管理思考不深",
        "二〇二三年第三季度收到的七件群众投诉中有四件与窗口作风有关",
        "下乡调研时习惯于听汇报看材料很少到田间地头与群众面对面交流",
        "对分管科室的党风廉政建设只在年初部署一次过程中督促检查不多",
        "学习党的创新理论时满足于读原文记笔记没有结合招商引资的实际深入思考",
        "开展主题党日活动形式较为单一青年党员参与的积极性不高",
        "面对项目审批中的复杂问题存在等一等看一看的想法主动协调不够",
        "对基层反映的停车难问题调研后没有形成可操作的解决方案",
    ];

    fn doc(text: &str) -> SourceDoc {
        SourceDoc::new(NormText::new(&Source::from_text(text).expect("text")))
    }

    fn corpus(sources: &[(&str, &str)]) -> (Index, MemoryTexts) {
        let mut index = Index::default();
        let mut texts = MemoryTexts::default();
        for (id, text) in sources {
            let d = doc(text);
            index.add(id, Some(id), DocKind::Member, &d.skeleton).expect("add");
            texts.insert(id, Arc::new(d));
        }
        (index, texts)
    }

    fn check_text(index: &Index, texts: &MemoryTexts, text: &str) -> CopyReport {
        let norm = NormText::new(&Source::from_text(text).expect("text"));
        check(index, texts, &norm, &[], &[], &Querier::default(), &CopyOptions::default())
    }

    fn significant(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).filter(|c| is_significant(*c)).collect()
    }

    #[test]
    fn sentences_reordered_still_match() {
        let source = SENTENCES[..4].join("。") + "。";
        let mut reversed: Vec<&str> = SENTENCES[..4].to_vec();
        reversed.reverse();
        let (index, texts) = corpus(&[("a", &source)]);
        let report = check_text(&index, &texts, &(reversed.join("。") + "。"));
        assert!(report.copy_ratio > 0.95, "{}", report.copy_ratio);
        assert_eq!(report.copies.len(), 4);
    }

    #[test]
    fn a_changed_char_or_a_synonym_is_a_near_copy() {
        let source = SENTENCES.join("，") + "。";
        let (index, texts) = corpus(&[("a", &source)]);
        let edited = SENTENCES[0].replace("思考不深", "思考不够") + "，" + &SENTENCES[2].replace("很少", "极少");
        let report = check_text(&index, &texts, &edited);
        assert!(report.copy_ratio > 0.8, "{:?}", report.copies);
        assert!(report.copies.iter().all(|c| c.source == "a"));
    }

    #[test]
    fn mandated_wording_is_out_of_the_net_ratio() {
        let phrase = "习近平新时代中国特色社会主义思想";
        let source = format!("深入学习{phrase}，{}。", SENTENCES[0]);
        let (index, texts) = corpus(&[("a", &source)]);
        let mine = format!("认真学习{phrase}，{}。", SENTENCES[5]);
        let norm = NormText::new(&Source::from_text(mine.as_str()).expect("text"));
        let report =
            check(&index, &texts, &norm, &[], &[phrase.to_owned()], &Querier::default(), &CopyOptions::default());
        assert!(report.copy_ratio > 0.3, "{}", report.copy_ratio);
        assert_eq!(report.net_copy_ratio, 0.0);
    }

    #[test]
    fn own_drafts_are_never_sources_but_earlier_years_are_reported_apart() {
        let text = SENTENCES[..3].join("。") + "。";
        let mut index = Index::default();
        let mut texts = MemoryTexts::default();
        for (id, kind) in [("draft", DocKind::Member), ("last-year", DocKind::PreviousYear)] {
            let d = doc(&text);
            index.add(id, Some("张三"), kind, &d.skeleton).expect("add");
            texts.insert(id, Arc::new(d));
        }
        let norm = NormText::new(&Source::from_text(text.as_str()).expect("text"));
        let me = Querier { id: Some("current"), author: Some("张三") };
        let report = check(&index, &texts, &norm, &[], &[], &me, &CopyOptions::default());
        assert!(report.copies.is_empty());
        assert!(report.previous_year_ratio > 0.95);
        assert!(report.previous_year_copies.iter().all(|c| c.source == "last-year"));
    }

    #[test]
    fn a_colleague_s_earlier_material_is_a_source_like_any_other() {
        let text = SENTENCES[..3].join("。") + "。";
        let mut index = Index::default();
        let mut texts = MemoryTexts::default();
        let d = doc(&text);
        index.add("colleague-last-year", Some("李四"), DocKind::PreviousYear, &d.skeleton).expect("add");
        texts.insert("colleague-last-year", Arc::new(d));
        let norm = NormText::new(&Source::from_text(text.as_str()).expect("text"));
        let me = Querier { id: Some("current"), author: Some("张三") };
        let report = check(&index, &texts, &norm, &[], &[], &me, &CopyOptions::default());
        assert!(report.copy_ratio > 0.95, "{}", report.copy_ratio);
        assert!(report.copies.iter().all(|c| c.source == "colleague-last-year"));
        assert!(report.previous_year_copies.is_empty());
    }

    /// Text that dozens of colleagues also have names no colleague as a source, but repeating one's own earlier
    /// material is still found (年年提、年年有), however common its wording.
    #[test]
    fn one_s_own_earlier_material_is_found_through_common_passages() {
        let text = SENTENCES[..3].join("。") + "。";
        let mut index = Index::default();
        let mut texts = MemoryTexts::default();
        let options = CopyOptions::default();
        for i in 0..80 {
            let id = format!("colleague-{i}");
            let d = doc(&text);
            index.add(&id, Some(&format!("同事{i}")), DocKind::Member, &d.skeleton).expect("add");
            texts.insert(&id, Arc::new(d));
        }
        let d = doc(&text);
        index.add("mine-last-year", Some("张三"), DocKind::PreviousYear, &d.skeleton).expect("add");
        texts.insert("mine-last-year", Arc::new(d));
        index.merge();
        let norm = NormText::new(&Source::from_text(text.as_str()).expect("text"));
        let me = Querier { id: Some("current"), author: Some("张三") };
        let report = check(&index, &texts, &norm, &[], &[], &me, &options);
        assert!(report.copies.is_empty(), "every passage is in 80 documents: none of them is the source");
        assert!(report.previous_year_ratio > 0.95, "{}", report.previous_year_ratio);
        assert!(report.previous_year_copies.iter().all(|c| c.source == "mine-last-year"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every span lies inside its text, and an exact copy names the same significant
        /// chars on both sides, whatever punctuation, width or spacing surrounds it.
        #[test]
        fn spans_are_in_bounds_and_exact_copies_agree(
            picks in proptest::collection::vec(0..SENTENCES.len(), 1..6),
            own in proptest::collection::vec(0..SENTENCES.len(), 0..4),
            sep in prop::sample::select(vec!["。", ".", "，", "\n", "；  ", "!"]),
        ) {
            let source = SENTENCES.join("。") + "。";
            let (index, texts) = corpus(&[("a", &source)]);
            let mut mine: Vec<String> = picks.iter().map(|&i| SENTENCES[i].to_owned()).collect();
            mine.extend(own.iter().map(|&i| SENTENCES[i].chars().rev().collect::<String>()));
            let text = mine.join(sep);
            let report = check_text(&index, &texts, &text);
            let (len, source_len) = (text.chars().count(), source.chars().count());
            for c in &report.copies {
                prop_assert!(c.start < c.end && c.end <= len);
                prop_assert!(c.source_start < c.source_end && c.source_end <= source_len);
                if c.tier == Tier::Exact {
                    prop_assert_eq!(significant(&text, c.start, c.end), significant(&source, c.source_start, c.source_end));
                }
            }
            prop_assert!(report.copy_ratio <= 1.0 && report.net_copy_ratio <= report.copy_ratio);
        }
    }
}
