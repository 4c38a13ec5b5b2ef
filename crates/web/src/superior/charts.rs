//! Charts drawn on the server as inline SVG: no script, presentation by class (app.css) so the CSP holds, a viewBox
//! 360 units wide so a phone shows the text at its real size, and a title for screen readers. The page puts a
//! table of the same numbers beside each chart.

use std::fmt::Write;

use mingjing_documents::escape_markup as escape;

/// One bar: its label, its value, and the text written after the bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub note: String,
}

const WIDTH: i64 = 360;
const LABEL_WIDTH: i64 = 104;
const NOTE_WIDTH: i64 = 64;
const ROW: i64 = 28;
const BAR_HEIGHT: i64 = 18;

/// A horizontal bar chart, bars scaled to `max` (the largest value when `max` is 0). `class` is the bars' class.
pub fn bars(id: &str, title: &str, rows: &[Bar], max: i64, class: &str) -> String {
    let max = if max > 0 { max } else { rows.iter().map(|r| r.value).max().unwrap_or(0).max(1) };
    let span = WIDTH - LABEL_WIDTH - NOTE_WIDTH;
    let height = ROW * rows.len() as i64 + 8;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(svg, r#"<line class="axis" x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{}"/>"#, height - 4);
    for (i, row) in rows.iter().enumerate() {
        let top = 4 + ROW * i as i64;
        let length = (row.value.clamp(0, max) * span) / max;
        let baseline = top + BAR_HEIGHT - 4;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{baseline}" text-anchor="end">{}</text>"#,
            LABEL_WIDTH - 6,
            escape(&row.label)
        );
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{LABEL_WIDTH}" y="{top}" width="{length}" height="{BAR_HEIGHT}"><title>{}：{}</title></rect>"#,
            escape(&row.label),
            escape(&row.note)
        );
        let _ = write!(svg, r#"<text x="{}" y="{baseline}">{}</text>"#, LABEL_WIDTH + length + 4, escape(&row.note));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_labelled_and_escaped() {
        let rows = vec![
            Bar { label: "0%–10%".into(), value: 4, note: "4 份".into() },
            Bar { label: "<script>".into(), value: 2, note: "2 份".into() },
            Bar { label: "空".into(), value: 0, note: "0 份".into() },
        ];
        let svg = bars("h", "复制比分布", &rows, 0, "bar");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"<title id="h-title">复制比分布</title>"#));
        let span = WIDTH - LABEL_WIDTH - NOTE_WIDTH;
        assert!(svg.contains(&format!(r#"width="{span}" height="18""#)), "the largest bar is full: {svg}");
        assert!(svg.contains(&format!(r#"width="{}" height="18""#, span / 2)), "half: {svg}");
        assert!(svg.contains(r#"width="0" height="18""#));
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(!svg.contains("style="), "no inline style under the CSP");
        assert_eq!(bars("x", "t", &rows, 8, "bar").matches(&format!(r#"width="{}""#, span / 2)).count(), 1);
    }
}
