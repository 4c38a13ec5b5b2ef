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

#[cfg(test)]
mod tests {
    use super::*;

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
