//! A plain text in the conventional layout turned into the model: headings recognised by their numbering, the
//! first line as the title when it reads like one. Nothing is dropped: every non-empty line lands in one block.

use crate::{Block, OfficialDocument};

/// Longest line read as a heading or a title; a longer one is a paragraph that happens to start with a numeral.
const HEADING_MAX: usize = 40;

pub(crate) fn from_text(fallback_title: &str, body: &str) -> OfficialDocument {
    // A line set bold in Markdown (“**一、存在的主要问题**”) is read without the marks.
    let unbold =
        |l: &'_ str| -> String { l.strip_prefix("**").and_then(|l| l.strip_suffix("**")).unwrap_or(l).to_owned() };
    let mut lines = body.lines().map(str::trim).filter(|l| !l.is_empty()).map(unbold).peekable();
    let mut doc = match lines.peek() {
        Some(first) if reads_like_title(first) => {
            // A Markdown heading mark some members keep from where they drafted is not part of the title.
            let title = first.trim_start_matches('#').trim().to_owned();
            lines.next();
            OfficialDocument::new(title)
        }
        _ => OfficialDocument::new(fallback_title),
    };
    for line in lines {
        let block = if is_short(&line) && first_level(&line) {
            Block::Heading1(line)
        } else if is_short(&line) && second_level(&line) {
            Block::Heading2(line)
        } else {
            Block::Paragraph(line)
        };
        doc.push(block);
    }
    doc
}

/// Short, and not a heading run on into its text (“（二）有关事项报告。本人……”).
fn is_short(line: &str) -> bool {
    line.chars().count() <= HEADING_MAX && !line.trim_end_matches('。').contains(['。', '；'])
}

/// A short line that does not end a sentence and is not numbered like a heading.
fn reads_like_title(line: &str) -> bool {
    is_short(line) && !line.ends_with(['。', '；', '：', ':', ';', '，']) && !first_level(line) && !second_level(line)
}

fn is_numeral(c: char) -> bool {
    "一二三四五六七八九十".contains(c)
}

/// “一、…”, “十二、…”.
fn first_level(line: &str) -> bool {
    let rest = line.trim_start_matches(is_numeral);
    rest.len() < line.len() && rest.starts_with('、')
}

/// “（一）…” or “(一)…”.
fn second_level(line: &str) -> bool {
    let Some(rest) = line.strip_prefix(['（', '(']) else { return false };
    let after = rest.trim_start_matches(is_numeral);
    after.len() < rest.len() && after.starts_with(['）', ')'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conventional_layout_becomes_headings_and_paragraphs() {
        let text = "张三同志对照检查材料\n\n按照通知要求，我认真学习。\n一、存在的主要问题\n（一）政治方面\n\
                    一是学习不深。二是联系不够。\n（二）有关事项报告。本人没有需要报告的事项，特此说明如下，请组织审查。\n\
                    二、产生问题的原因\n一、理论学习不够深入，导致对新思想新要求理解不透，没有做到学深悟透、融会贯通，需要加强。";
        let doc = OfficialDocument::from_text("对照检查材料", text);
        assert_eq!(doc.title, "张三同志对照检查材料");
        assert_eq!(
            doc.blocks,
            vec![
                Block::Paragraph("按照通知要求，我认真学习。".into()),
                Block::Heading1("一、存在的主要问题".into()),
                Block::Heading2("（一）政治方面".into()),
                Block::Paragraph("一是学习不深。二是联系不够。".into()),
                Block::Paragraph("（二）有关事项报告。本人没有需要报告的事项，特此说明如下，请组织审查。".into()),
                Block::Heading1("二、产生问题的原因".into()),
                Block::Paragraph(
                    "一、理论学习不够深入，导致对新思想新要求理解不透，没有做到学深悟透、融会贯通，需要加强。".into()
                ),
            ]
        );
    }

    #[test]
    fn a_text_opening_with_a_sentence_gets_the_fallback_title() {
        let doc = OfficialDocument::from_text("李四的对照检查材料", "按照通知要求，我认真学习。\n一、问题");
        assert_eq!(doc.title, "李四的对照检查材料");
        assert_eq!(doc.blocks[0], Block::Paragraph("按照通知要求，我认真学习。".into()));
        let doc = OfficialDocument::from_text("备用", "一、存在的主要问题\n内容。");
        assert_eq!(doc.title, "备用");
        assert_eq!(doc.blocks[0], Block::Heading1("一、存在的主要问题".into()));
        assert_eq!(OfficialDocument::from_text("空", "  \n").title, "空");
    }

    #[test]
    fn numbering_lookalikes_are_not_headings() {
        for line in ["一是学习不深", "十分重要", "（注）说明", "一二三"] {
            assert!(!first_level(line) && !second_level(line), "{line}");
        }
        assert!(first_level("十二、其他") && second_level("(三)作风方面"));
        let doc = OfficialDocument::from_text("题", "**一、存在的主要问题**");
        assert_eq!(doc.blocks, vec![Block::Heading1("一、存在的主要问题".into())]);
    }
}
