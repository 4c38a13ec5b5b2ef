//! The structure parser: finds the title, opening, parts, sections and items of a
//! material from its paragraphs, their markers and the keywords of part headings.
//! It never fails: a material it cannot read well comes out with fewer parts, and the
//! checks then report what is missing.

use std::ops::Range;

use super::markers::{LAST, Marker, MarkerKind, marker_at, sentence_starts};
use super::{Heading, Item, Material, Part, Section};
use crate::normalize::NormText;

/// Longest heading that needs no markup to count as one.
const SHORT_HEADING: usize = 40;

/// A paragraph with what the parser needs to know about it.
#[derive(Debug, Clone)]
struct Para {
    range: Range<usize>,
    marker: Option<Marker>,
    /// Where the text after the marker starts.
    content: usize,
    heading_like: bool,
}

/// What a top-level heading announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Problems,
    Matters,
    Causes,
    Measures,
    /// The report on last year's rectification: belongs to the opening.
    Previous,
}

pub(super) fn parse(text: NormText) -> Material {
    let chars = text.chars();
    let paras = paragraphs(&text);
    let title = find_title(chars, &paras);
    let first_body = usize::from(title.is_some());
    let heads = find_parts(chars, &paras, first_body);

    let problems_end = [heads.matters, heads.causes, heads.measures].into_iter().flatten().min().unwrap_or(paras.len());
    let problems_start = match heads.problems {
        Some(p) => p + 1,
        None => first_section(chars, &paras[..problems_end], first_body).unwrap_or(problems_end),
    };
    let opening_end = heads.problems.unwrap_or(problems_start).min(problems_end);
    let (mut sections, mut matters_report) = sections(chars, &paras[problems_start.min(problems_end)..problems_end]);
    let end = closing_start(chars, &paras);
    let mut causes = Part::default();
    let mut measures = Part::default();
    let mut part_starts: Vec<(usize, PartKind)> =
        [(heads.matters, PartKind::Matters), (heads.causes, PartKind::Causes), (heads.measures, PartKind::Measures)]
            .into_iter()
            .filter_map(|(at, kind)| at.map(|at| (at, kind)))
            .collect();
    part_starts.sort_by_key(|(at, _)| *at);
    for (n, (at, kind)) in part_starts.iter().enumerate() {
        let stop = part_starts.get(n + 1).map_or(end.max(at + 1), |(next, _)| *next);
        let part = part(chars, &paras[*at..stop]);
        match kind {
            PartKind::Causes => causes = part,
            PartKind::Measures => measures = part,
            PartKind::Matters => {
                matters_report = Some(Section { heading: part.heading, body: part.body, items: part.items });
            }
            PartKind::Problems | PartKind::Previous => {}
        }
    }
    if sections.is_empty() && problems_start < problems_end {
        sections.push(Section { heading: None, body: span(&paras[problems_start..problems_end]), items: Vec::new() });
    }
    Material {
        title: title.map(|t| paras[t].range.clone()),
        opening: (first_body < opening_end).then(|| span(&paras[first_body..opening_end])),
        problems_heading: heads.problems.map(|p| heading(chars, &paras[p]).0),
        sections,
        matters_report,
        causes,
        measures,
        text,
    }
}

/// The range from the first to the last of `paras` (which must not be empty).
fn span(paras: &[Para]) -> Range<usize> {
    match (paras.first(), paras.last()) {
        (Some(first), Some(last)) => first.range.start..last.range.end,
        _ => 0..0,
    }
}

fn paragraphs(text: &NormText) -> Vec<Para> {
    let chars = text.chars();
    let mut list_counts = [0u32; 10];
    text.paragraphs()
        .iter()
        .map(|p| {
            let marker = match p.list_level {
                Some(level) => Some(list_marker(&mut list_counts, level, p.range.start)),
                None => marker_at(chars, p.range.start).filter(|m| m.range.end <= p.range.end),
            };
            let content = marker.as_ref().map_or(p.range.start, |m| m.range.end);
            let body = &chars[content..p.range.end];
            let unpunctuated = !matches!(body.last(), Some('。' | '；' | '！' | '？' | '，' | '、'));
            let heading_like =
                p.emphasized || p.heading_level.is_some() || (body.len() <= SHORT_HEADING && unpunctuated);
            Para { range: p.range.clone(), marker, content, heading_like }
        })
        .collect()
}

/// Automatic `.docx` numbering: count per level, restarting deeper levels.
fn list_marker(counts: &mut [u32; 10], level: u8, at: usize) -> Marker {
    let level = usize::from(level).min(counts.len() - 1);
    counts[level] += 1;
    counts[level + 1..].iter_mut().for_each(|c| *c = 0);
    Marker { kind: MarkerKind::List(level as u8), value: counts[level], range: at..at }
}

fn contains(chars: &[char], word: &str) -> bool {
    let word: Vec<char> = word.chars().collect();
    chars.windows(word.len()).any(|w| w == word.as_slice())
}

fn contains_any(chars: &[char], words: &[&str]) -> bool {
    words.iter().any(|w| contains(chars, w))
}

fn part_kind(title: &[char]) -> Option<PartKind> {
    if contains_any(title, &["有关事项", "个人事项", "重大事项", "事项报告"]) {
        Some(PartKind::Matters)
    } else if contains_any(title, &["上年度", "上一年度", "去年", "上次", "上一次", "上年"]) {
        Some(PartKind::Previous)
    } else if contains_any(title, &["原因", "根源", "根子"]) {
        Some(PartKind::Causes)
    } else if contains_any(title, &["措施", "方向", "打算", "整改", "努力", "今后"]) {
        Some(PartKind::Measures)
    } else if contains_any(title, &["问题", "不足", "差距", "查摆", "检视", "检查情况"]) {
        Some(PartKind::Problems)
    } else {
        None
    }
}

fn find_title(chars: &[char], paras: &[Para]) -> Option<usize> {
    let first = paras.first()?;
    let body = &chars[first.content..first.range.end];
    let titled = contains_any(body, &["材料", "提纲", "发言", "剖析"]) || part_kind(body).is_none();
    (first.marker.is_none() && first.heading_like && titled && paras.len() > 1).then_some(0)
}

/// Paragraph indices of the part headings.
#[derive(Debug, Default)]
struct PartHeads {
    problems: Option<usize>,
    matters: Option<usize>,
    causes: Option<usize>,
    measures: Option<usize>,
}

/// Marker kinds a top-level heading may carry.
fn top_level(marker: Option<&Marker>) -> bool {
    marker.is_none_or(|m| {
        matches!(
            m.kind,
            MarkerKind::ChineseComma
                | MarkerKind::Di
                | MarkerKind::ArabicDot
                | MarkerKind::ArabicComma
                | MarkerKind::List(0)
        )
    })
}

fn find_parts(chars: &[char], paras: &[Para], from: usize) -> PartHeads {
    let candidates: Vec<(usize, PartKind)> = paras
        .iter()
        .enumerate()
        .skip(from)
        .filter(|(_, p)| p.heading_like && top_level(p.marker.as_ref()))
        .filter_map(|(i, p)| part_kind(&chars[p.content..p.range.end]).map(|k| (i, k)))
        .collect();
    let mut heads = PartHeads::default();
    let Some(&(first, _)) = candidates.iter().find(|(_, k)| !matches!(k, PartKind::Previous)) else {
        return heads;
    };
    let style = paras[first].marker.as_ref().map(|m| m.kind);
    let mut after = 0;
    for &(i, kind) in candidates.iter().filter(|(i, _)| *i >= first) {
        if paras[i].marker.as_ref().map(|m| m.kind) != style || i < after {
            continue;
        }
        let slot = match kind {
            PartKind::Problems if heads.causes.is_none() && heads.measures.is_none() => &mut heads.problems,
            PartKind::Matters => &mut heads.matters,
            PartKind::Causes if heads.measures.is_none() => &mut heads.causes,
            PartKind::Measures => &mut heads.measures,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(i);
            after = i;
        }
    }
    // A matters report between the problems and the causes is a sub-section there only
    // when numbered like the sections; numbered like the parts it is a part of its own.
    heads
}

/// Where the problem sections start when the problems part has no heading: the first
/// paragraph numbered as a section or speaking of an aspect (…方面).
fn first_section(chars: &[char], paras: &[Para], from: usize) -> Option<usize> {
    paras.iter().enumerate().skip(from).find_map(|(i, p)| {
        let body = &chars[p.content..p.range.end];
        let numbered = p.marker.as_ref().is_some_and(|m| !matches!(m.kind, MarkerKind::Shi | MarkerKind::Sequence));
        (p.heading_like && (numbered || p.marker.is_none()) || (numbered && contains(body, "方面"))).then_some(i)
    })
}

/// Splits the problems part into sections; a section on personal matters is returned
/// apart.
fn sections(chars: &[char], paras: &[Para]) -> (Vec<Section>, Option<Section>) {
    let Some(first) = paras.first() else {
        return (Vec::new(), None);
    };
    let style = first.marker.as_ref().map(|m| m.kind);
    let starts_section = |p: &Para| match (style, &p.marker) {
        (Some(kind), Some(m)) => m.kind == kind,
        (None, None) => p.heading_like,
        _ => false,
    };
    let starts: Vec<usize> = (0..paras.len()).filter(|&i| starts_section(&paras[i])).collect();
    let headed = first.heading_like
        || starts.len() < paras.len()
        || starts.iter().any(|&i| heading(chars, &paras[i]).1.is_some());
    if !starts_section(first) || !headed {
        let body = span(paras);
        let items = items(chars, paras, body.clone());
        return (vec![Section { heading: None, body, items }], None);
    }
    let mut sections = Vec::new();
    let mut matters = None;
    for (n, &at) in starts.iter().enumerate() {
        let stop = starts.get(n + 1).copied().unwrap_or(paras.len());
        let section = section(chars, &paras[at..stop]);
        let title = section.heading.as_ref().map(|h| &chars[h.title.clone()]);
        if matters.is_none() && title.is_some_and(|t| part_kind(t) == Some(PartKind::Matters)) {
            matters = Some(section);
        } else {
            sections.push(section);
        }
    }
    (sections, matters)
}

/// A section or part: heading paragraph first, then its body paragraphs.
fn section(chars: &[char], paras: &[Para]) -> Section {
    let part = part(chars, paras);
    Section { heading: part.heading, body: part.body, items: part.items }
}

fn part(chars: &[char], paras: &[Para]) -> Part {
    let Some((head, rest)) = paras.split_first() else {
        return Part::default();
    };
    let (heading, inline_body) = heading(chars, head);
    let body_start = inline_body.or_else(|| rest.first().map(|p| p.range.start));
    let Some(body_start) = body_start else {
        return Part { heading: Some(heading), body: head.range.end..head.range.end, items: Vec::new() };
    };
    let body_end = rest.last().map_or(head.range.end, |p| p.range.end);
    let mut body_paras: Vec<Para> = Vec::with_capacity(paras.len());
    if inline_body.is_some() {
        body_paras.push(Para {
            range: body_start..head.range.end,
            marker: None,
            content: body_start,
            heading_like: false,
        });
    }
    body_paras.extend(rest.iter().cloned());
    let body = body_start..body_end;
    let items = items(chars, &body_paras, body.clone());
    Part { heading: Some(heading), body, items }
}

/// The heading in a heading paragraph and, when the paragraph goes on after its first
/// sentence (（一）政治方面：一是…), where that inline body starts.
fn heading(chars: &[char], para: &Para) -> (Heading, Option<usize>) {
    let content = para.content..para.range.end;
    let stop = (content.start..content.end).find(|&i| matches!(chars[i], '。' | '：' | '！' | '？'));
    if let Some(stop) = stop {
        let body_start = (stop + 1..content.end).find(|&i| chars[i] != ' ');
        if let Some(body_start) = body_start.filter(|&b| content.end - b >= 4) {
            let heading = Heading { range: para.range.start..stop + 1, title: content.start..stop };
            return (heading, Some(body_start));
        }
    }
    let title_end = trim_end(chars, content.clone());
    (Heading { range: para.range.clone(), title: content.start..title_end }, None)
}

/// End of `range` without trailing punctuation and spaces.
fn trim_end(chars: &[char], range: Range<usize>) -> usize {
    let mut end = range.end;
    while end > range.start && matches!(chars[end - 1], '。' | '：' | '；' | '，' | ' ' | '\n') {
        end -= 1;
    }
    end
}

/// A marker found while looking for items, with whether it opened a paragraph.
#[derive(Debug, Clone)]
struct Found {
    marker: Marker,
    paragraph_start: bool,
}

/// The items of a body: the longest well-numbered sequence of one marker kind, paragraph
/// markers before inline ones; failing that, one item per paragraph.
fn items(chars: &[char], paras: &[Para], body: Range<usize>) -> Vec<Item> {
    let found = markers_in(chars, paras, &body);
    let chosen = best_sequence(&found);
    if chosen.is_empty() {
        return paras
            .iter()
            .filter(|p| p.range.start >= body.start && p.range.end > p.range.start)
            .map(|p| item(chars, p.content..p.range.end, None))
            .collect();
    }
    chosen
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let end = chosen.get(n + 1).map_or(body.end, |next| next.range.start);
            item(chars, m.range.end..end, Some(m.range.clone()))
        })
        .filter(|item| !item.range.is_empty())
        .collect()
}

fn markers_in(chars: &[char], paras: &[Para], body: &Range<usize>) -> Vec<Found> {
    let mut found = Vec::new();
    for p in paras {
        if let Some(marker) = &p.marker {
            found.push(Found { marker: marker.clone(), paragraph_start: true });
        }
        let from = p.content.max(body.start);
        for start in sentence_starts(chars, from..p.range.end) {
            if start == p.range.start && p.marker.is_some() {
                continue;
            }
            if let Some(marker) =
                marker_at(chars, start).filter(|m| !m.kind.paragraph_only() && m.range.end <= p.range.end)
            {
                let paragraph_start = start == p.range.start;
                found.push(Found { marker, paragraph_start });
            }
        }
    }
    found
}

/// The markers of the kind that numbers the body best.
fn best_sequence(found: &[Found]) -> Vec<Marker> {
    let mut kinds: Vec<MarkerKind> = Vec::new();
    for f in found {
        if !kinds.contains(&f.marker.kind) {
            kinds.push(f.marker.kind);
        }
    }
    let mut best: Option<(bool, usize, Vec<Marker>)> = None;
    for kind in kinds {
        let of_kind: Vec<&Found> = found.iter().filter(|f| f.marker.kind == kind).collect();
        let chain = numbered_chain(of_kind.iter().map(|f| &f.marker));
        let at_paragraphs = chain.len() >= 2 && of_kind.iter().all(|f| f.paragraph_start);
        let better = match &best {
            None => true,
            Some((paragraphs, len, _)) => (at_paragraphs, chain.len()) > (*paragraphs, *len),
        };
        if better && !chain.is_empty() {
            best = Some((at_paragraphs, chain.len(), chain));
        }
    }
    best.map(|(_, _, chain)| chain).unwrap_or_default()
}

/// Markers that count 1, 2, 3… (a new 1 restarts; 最后 ends), others skipped as false
/// alarms.
fn numbered_chain<'a>(markers: impl Iterator<Item = &'a Marker>) -> Vec<Marker> {
    let mut chain: Vec<Marker> = Vec::new();
    let mut expected = 1;
    for m in markers {
        let accepted = m.value == expected || m.value == 1 || (m.value == LAST && expected >= 2);
        if accepted {
            chain.push(m.clone());
            expected = m.value.saturating_add(1);
        }
    }
    if chain.len() == 1 && chain[0].value != 1 {
        chain.clear();
    }
    chain
}

fn item(chars: &[char], range: Range<usize>, marker: Option<Range<usize>>) -> Item {
    let start = (range.start..range.end).find(|&i| !matches!(chars[i], ' ' | '\n' | '，' | '：')).unwrap_or(range.end);
    let end = {
        let mut end = range.end;
        while end > start && matches!(chars[end - 1], ' ' | '\n') {
            end -= 1;
        }
        end
    };
    Item { range: start..end, marker, headline: headline(chars, start..end) }
}

/// The first clause: up to the first full stop if short, else up to the first comma.
fn headline(chars: &[char], range: Range<usize>) -> Range<usize> {
    let find = |stops: &[char]| (range.start..range.end).find(|&i| stops.contains(&chars[i]));
    let sentence_end = find(&['。', '！', '？', '；', '：', '\n']).unwrap_or(range.end);
    if sentence_end - range.start <= SHORT_HEADING {
        return range.start..sentence_end;
    }
    let clause_end = find(&['，']).unwrap_or(sentence_end).min(sentence_end);
    range.start..clause_end.min(range.start + SHORT_HEADING)
}

/// First paragraph of the closing lines after the last part (以上…请批评指正, a name or
/// a date alone on a line), or the paragraph count when there are none.
fn closing_start(chars: &[char], paras: &[Para]) -> usize {
    let mut start = paras.len();
    while start > 1 {
        let p = &paras[start - 1];
        let body = &chars[p.content..p.range.end];
        let signature = body.len() <= 12 && !body.contains(&'。') && part_kind(body).is_none();
        let closing = p.marker.is_none()
            && (signature || contains_any(body, &["批评指正", "不妥之处", "恳请", "请各位", "以上是"]));
        if !closing {
            break;
        }
        start -= 1;
    }
    start
}
