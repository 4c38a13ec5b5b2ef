//! A material as the structured editor holds it: one block of free text per required
//! aspect, the sections that match no aspect, the 有关事项报告, the causes and the
//! measures — split out of any text the engine can parse, and composed back into the
//! conventional layout (一、存在的主要问题 / （一）… / 二、… / 三、…).
//!
//! Splitting cuts the original text at the headings the parser found, so every character
//! outside a heading lands in exactly one block: nothing a member wrote is dropped.

use serde::{Deserialize, Serialize};

use crate::campaign::{Aspect, Campaign};
use crate::checks::coverage;
use crate::input::Source;
use crate::structure::{Heading, Material};
use crate::{Audience, Span};

/// One required aspect's block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AspectBlock {
    /// The aspect's title as the campaign words it.
    pub title: String,
    pub text: String,
}

/// A problems section the campaign's aspects do not name, kept with its own heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherBlock {
    pub heading: String,
    pub text: String,
}

/// A material split into the editor's blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Draft {
    /// Title and opening paragraph(s): everything before the problems part.
    pub opening: String,
    /// Text between the problems part's heading and its first section.
    pub problems_intro: String,
    /// One block per required aspect, in the campaign's order.
    pub aspects: Vec<AspectBlock>,
    pub others: Vec<OtherBlock>,
    pub matters_report: String,
    pub causes: String,
    /// The measures and whatever closes the material.
    pub measures: String,
}

/// What a cut in the original text starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    ProblemsIntro,
    Section(usize),
    Matters,
    Causes,
    Measures,
}

impl Draft {
    /// An empty draft with one block per aspect the campaign requires of `audience`.
    pub fn empty(campaign: &Campaign, audience: Audience) -> Self {
        Self { aspects: blank_aspects(campaign.aspects_for(audience)), ..Self::default() }
    }

    /// Splits a text into blocks, matching its sections to the campaign's aspects.
    pub fn split(source: &Source, campaign: &Campaign, audience: Audience) -> Self {
        let material = Material::parse(source);
        let aspects = campaign.aspects_for(audience);
        let cover = coverage::coverage(&material, aspects);
        let chars: Vec<char> = source.text().chars().collect();
        let cuts = cuts(&material);
        let slice = |span: Span| trim_block(&chars[span.start.min(chars.len())..span.end.min(chars.len())]);

        let first = cuts.first().map_or(chars.len(), |c| c.1.start);
        let mut draft = Self { opening: slice(Span::new(0, first)), ..Self::default() };
        draft.aspects = blank_aspects(aspects);
        for (i, (block, heading)) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(chars.len(), |c| c.1.start).max(heading.end);
            let text = slice(Span::new(heading.end, end));
            match *block {
                Block::ProblemsIntro => draft.problems_intro = text,
                Block::Section(s) => match cover.section_aspects.get(s).copied().flatten() {
                    Some(a) => append(&mut draft.aspects[a].text, &text),
                    None => draft.others.push(OtherBlock { heading: section_title(&material, s, &chars), text }),
                },
                Block::Matters => append(&mut draft.matters_report, &text),
                Block::Causes => append(&mut draft.causes, &text),
                Block::Measures => append(&mut draft.measures, &text),
            }
        }
        draft
    }

    /// The whole material in the conventional layout. Empty blocks are left out, so an
    /// aspect the member has not written about stays visibly uncovered in the review.
    pub fn compose(&self) -> String {
        let mut out = String::new();
        push_paragraph(&mut out, &self.opening);
        let sections: Vec<(&str, &str)> = self
            .aspects
            .iter()
            .map(|a| (a.title.as_str(), a.text.as_str()))
            .chain(self.others.iter().map(|o| (o.heading.as_str(), o.text.as_str())))
            .chain(std::iter::once(("有关事项报告", self.matters_report.as_str())))
            .filter(|(_, text)| !text.trim().is_empty())
            .collect();
        let mut part = 0;
        if !sections.is_empty() || !self.problems_intro.trim().is_empty() {
            part += 1;
            push_paragraph(&mut out, &format!("{}、存在的主要问题", chinese_numeral(part)));
            push_paragraph(&mut out, &self.problems_intro);
            for (n, (title, text)) in sections.iter().enumerate() {
                push_paragraph(&mut out, &format!("（{}）{}", chinese_numeral(n + 1), title.trim()));
                push_paragraph(&mut out, text);
            }
        }
        for (heading, text) in [("问题产生的原因", &self.causes), ("整改措施", &self.measures)] {
            if !text.trim().is_empty() {
                part += 1;
                push_paragraph(&mut out, &format!("{}、{heading}", chinese_numeral(part)));
                push_paragraph(&mut out, text);
            }
        }
        out
    }

    /// Whether the member has written nothing at all.
    pub fn is_empty(&self) -> bool {
        self.opening.trim().is_empty()
            && self.problems_intro.trim().is_empty()
            && self.aspects.iter().all(|a| a.text.trim().is_empty())
            && self.others.iter().all(|o| o.text.trim().is_empty())
            && self.matters_report.trim().is_empty()
            && self.causes.trim().is_empty()
            && self.measures.trim().is_empty()
    }
}

fn blank_aspects(aspects: &[Aspect]) -> Vec<AspectBlock> {
    aspects.iter().map(|a| AspectBlock { title: a.title.clone(), text: String::new() }).collect()
}

/// Every heading the parser found, in text order, as original char spans.
fn cuts(material: &Material) -> Vec<(Block, Span)> {
    let span = |h: &Heading| material.text.to_original(h.range.clone());
    let mut cuts = Vec::new();
    if let Some(h) = &material.problems_heading {
        cuts.push((Block::ProblemsIntro, span(h)));
    }
    for (s, section) in material.sections.iter().enumerate() {
        let at = match &section.heading {
            Some(h) => span(h),
            // A section without a heading starts where its body does.
            None => {
                let body = material.text.to_original(section.body.clone());
                Span::new(body.start, body.start)
            }
        };
        cuts.push((Block::Section(s), at));
    }
    if let Some(h) = material.matters_report.as_ref().and_then(|m| m.heading.as_ref()) {
        cuts.push((Block::Matters, span(h)));
    }
    if let Some(h) = &material.causes.heading {
        cuts.push((Block::Causes, span(h)));
    }
    if let Some(h) = &material.measures.heading {
        cuts.push((Block::Measures, span(h)));
    }
    cuts.sort_by_key(|(_, s)| (s.start, s.end));
    cuts
}

fn section_title(material: &Material, section: usize, chars: &[char]) -> String {
    let title = material.sections.get(section).and_then(|s| s.heading.as_ref()).map(|h| {
        let span = material.text.to_original(h.title.clone());
        trim_block(&chars[span.start.min(chars.len())..span.end.min(chars.len())])
    });
    title.filter(|t| !t.is_empty()).unwrap_or_else(|| "其他问题".to_owned())
}

/// A block's text without the blank lines and spaces around it, nor the lines of bare
/// markup (`**`, `---`, `#`) that pasted Markdown leaves around a heading the block no
/// longer has.
fn trim_block(chars: &[char]) -> String {
    let text: String = chars.iter().collect();
    let decoration = |line: &str| {
        let line = line.trim();
        line.is_empty() || line.chars().all(|c| matches!(c, '*' | '#' | '-' | '=' | '_'))
    };
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| !decoration(l)).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !decoration(l)).map_or(first, |i| i + 1);
    lines[first..last.max(first)].join("\n").trim().to_owned()
}

fn append(block: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !block.is_empty() {
        block.push('\n');
    }
    block.push_str(text);
}

fn push_paragraph(out: &mut String, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    out.push_str(text);
    out.push('\n');
}

/// 1 → 一, 12 → 十二, 20 → 二十: section numbers as a Chinese document writes them.
pub fn chinese_numeral(n: usize) -> String {
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    match n {
        0..=9 => DIGITS[n].to_string(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        20..=99 if n % 10 == 0 => format!("{}十", DIGITS[n / 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review;

    const EXAMPLE: &str = include_str!("../../../examples/material-2021-county.txt");

    fn source(text: &str) -> Source {
        Source::from_text(text.to_owned()).expect("text")
    }

    fn campaign() -> Campaign {
        Campaign::builtin("2021-county").expect("built in")
    }

    /// Every significant char of `text`, in order: what a split must not lose.
    fn significant(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn numerals() {
        let got: Vec<String> = [1, 6, 10, 11, 20, 23].into_iter().map(chinese_numeral).collect();
        assert_eq!(got, ["一", "六", "十", "十一", "二十", "二十三"]);
    }

    #[test]
    fn the_example_splits_into_its_five_aspects_and_loses_nothing_but_headings() {
        let draft = Draft::split(&source(EXAMPLE), &campaign(), Audience::Member);
        assert_eq!(draft.aspects.len(), 5);
        assert!(draft.aspects.iter().all(|a| !a.text.is_empty()), "{draft:#?}");
        assert!(draft.others.is_empty(), "{:?}", draft.others);
        assert!(draft.matters_report.starts_with("本人严格贯彻执行"), "{}", draft.matters_report);
        assert!(draft.matters_report.ends_with("谋取任何利益。"), "markup lines are dropped: {}", draft.matters_report);
        assert!(draft.causes.starts_with("一是"), "{}", draft.causes);
        assert!(draft.opening.contains("对照检查材料"));
        // Everything outside the headings is somewhere in the draft.
        let all = significant(&draft.compose());
        for block in draft.aspects.iter().map(|a| &a.text).chain([&draft.causes, &draft.measures]) {
            assert!(all.contains(&significant(block)));
        }
    }

    #[test]
    fn a_composed_draft_reviews_like_the_original() {
        let campaign = campaign();
        let original = review(&source(EXAMPLE), &campaign, Audience::Member, &Default::default());
        let composed = Draft::split(&source(EXAMPLE), &campaign, Audience::Member).compose();
        let again = review(&source(&composed), &campaign, Audience::Member, &Default::default());
        assert_eq!(again.aspects.iter().filter(|a| a.covered).count(), 5);
        assert_eq!(again.problem_count(), original.problem_count());
        assert_eq!(again.causes.len(), original.causes.len());
        assert_eq!(again.measures.len(), original.measures.len());
        assert!(again.matters_report.is_some());
    }

    #[test]
    fn split_then_compose_is_stable() {
        let campaign = campaign();
        let once = Draft::split(&source(EXAMPLE), &campaign, Audience::Member).compose();
        let twice = Draft::split(&source(&once), &campaign, Audience::Member).compose();
        assert_eq!(once, twice);
    }

    #[test]
    fn an_unknown_section_is_kept_under_its_own_heading() {
        let text = "一、存在的主要问题\n（一）政治方面\n一是学习不够深入。\n（二）关于食堂卫生\n一是饭菜不够热。\n\
                    二、原因分析\n一是重视不够。\n三、整改措施\n一是加强学习。";
        let draft = Draft::split(&source(text), &Campaign::builtin("2021-annual").expect("built in"), Audience::Member);
        assert_eq!(draft.others.len(), 1, "{draft:#?}");
        assert_eq!(draft.others[0].heading, "关于食堂卫生");
        assert_eq!(draft.others[0].text, "一是饭菜不够热。");
        assert!(draft.compose().contains("（二）关于食堂卫生\n一是饭菜不够热。"), "{}", draft.compose());
    }

    #[test]
    fn text_without_any_structure_stays_in_the_opening() {
        let text = "这是一段没有任何标题的文字，写了一些想法。";
        let draft = Draft::split(&source(text), &campaign(), Audience::Member);
        assert!(significant(&draft.compose()).contains(&significant(text)), "{draft:#?}");
    }

    #[test]
    fn empty_aspects_are_left_out_and_the_rest_renumbered() {
        let mut draft = Draft::empty(&campaign(), Audience::Member);
        draft.aspects[1].text = "一是学习不够深入。".into();
        draft.measures = "一是加强学习。".into();
        let text = draft.compose();
        assert!(text.starts_with("一、存在的主要问题\n（一）"), "{text}");
        assert!(text.contains("二、整改措施\n一是加强学习。"), "{text}");
        assert!(!text.contains("（二）"), "{text}");
        assert!(Draft::empty(&campaign(), Audience::Member).is_empty());
    }
}
