//! A material's text as HTML with the review's findings marked: copied spans, repeated
//! text, vague problems. Escape first, then mark: every char of the material goes
//! through the escaper, and only our own `<mark>` tags are added around the pieces.

use std::fmt::Write;

/// One finding to mark, in char offsets of the text (end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    /// CSS class: `copy`, `near`, `repeat`, `vague`, `note`.
    pub class: &'static str,
    /// Tooltip: where it was copied from, why it is marked.
    pub title: String,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The text as HTML, each piece covered by marks wrapped in one `<mark>` carrying all
/// their classes and titles. Marks out of range are clipped; empty ones ignored.
pub fn marked_html(text: &str, marks: &[Mark]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let marks: Vec<&Mark> = marks.iter().filter(|m| m.start < m.end.min(len)).collect();
    let mut cuts: Vec<usize> = vec![0, len];
    for m in &marks {
        cuts.push(m.start.min(len));
        cuts.push(m.end.min(len));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::with_capacity(text.len() * 2);
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let piece: String = chars[a..b].iter().collect();
        let covering: Vec<&&Mark> = marks.iter().filter(|m| m.start <= a && b <= m.end.min(len)).collect();
        if covering.is_empty() {
            escape(&piece, &mut out);
            continue;
        }
        let mut classes: Vec<&str> = covering.iter().map(|m| m.class).collect();
        classes.dedup();
        let titles: Vec<&str> = covering.iter().map(|m| m.title.as_str()).filter(|t| !t.is_empty()).collect();
        let _ = write!(out, "<mark class=\"{}\" title=\"", classes.join(" "));
        escape(&titles.join("；"), &mut out);
        out.push_str("\">");
        escape(&piece, &mut out);
        out.push_str("</mark>");
    }
    out
}

/// One paragraph of a material, marked, with its place in the whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// Char offsets of the paragraph in the whole text (end exclusive, before the line break).
    pub start: usize,
    pub end: usize,
    pub html: String,
}

/// The text cut at its line breaks, each non-blank line marked on its own, so that a
/// reviewer can attach a note to one paragraph. Marks that cross a line break are cut in two.
pub fn marked_paragraphs(text: &str, marks: &[Mark]) -> Vec<Paragraph> {
    let mut paragraphs = Vec::new();
    let mut start = 0;
    for line in text.split('\n') {
        let len = line.chars().count();
        let end = start + len;
        if !line.trim().is_empty() {
            let inside: Vec<Mark> = marks
                .iter()
                .filter(|m| m.start < end && m.end > start)
                .map(|m| Mark {
                    start: m.start.max(start) - start,
                    end: m.end.min(end) - start,
                    class: m.class,
                    title: m.title.clone(),
                })
                .collect();
            paragraphs.push(Paragraph { start, end, html: marked_html(line, &inside) });
        }
        start = end + 1;
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_keep_their_offsets_and_split_marks() {
        let text = "第一段甲乙\n\n第二段丙";
        let paragraphs = marked_paragraphs(text, &[mark(3, 10, "copy", "A")]);
        assert_eq!(paragraphs.len(), 2);
        assert_eq!((paragraphs[0].start, paragraphs[0].end), (0, 5));
        assert_eq!((paragraphs[1].start, paragraphs[1].end), (7, 11));
        assert_eq!(paragraphs[0].html, "第一段<mark class=\"copy\" title=\"A\">甲乙</mark>");
        assert_eq!(paragraphs[1].html, "<mark class=\"copy\" title=\"A\">第二段</mark>丙");
        let whole: Vec<char> = text.chars().collect();
        assert_eq!(whole[7..11].iter().collect::<String>(), "第二段丙");
    }

    fn mark(start: usize, end: usize, class: &'static str, title: &str) -> Mark {
        Mark { start, end, class, title: title.to_owned() }
    }

    #[test]
    fn script_in_a_material_is_text_and_marks_survive() {
        let text = "一是<script>alert(1)</script>学习不够";
        let html = marked_html(text, &[mark(2, 10, "copy", "来源：\"甲\"")]);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.starts_with("一是<mark class=\"copy\" title=\"来源：&quot;甲&quot;\">&lt;script"), "{html}");
        assert!(html.ends_with("学习不够"), "{html}");
    }

    #[test]
    fn overlapping_marks_combine_and_out_of_range_is_clipped() {
        let html =
            marked_html("甲乙丙丁", &[mark(0, 3, "copy", "A"), mark(2, 99, "repeat", "B"), mark(3, 3, "vague", "")]);
        assert_eq!(
            html,
            "<mark class=\"copy\" title=\"A\">甲乙</mark><mark class=\"copy repeat\" title=\"A；B\">丙</mark>\
             <mark class=\"repeat\" title=\"B\">丁</mark>"
        );
    }

    #[test]
    fn no_marks_is_escaped_text() {
        assert_eq!(marked_html("a<b & c", &[]), "a&lt;b &amp; c");
    }
}
