//! The document as an HTML fragment for a preview inside a page (WeChat's browser cannot download files): the same
//! blocks as the `.docx`, escaped, styled by the page's stylesheet through the `official-*` classes.

use std::fmt::Write as _;

use crate::{Block, OfficialDocument};

pub(crate) fn render(doc: &OfficialDocument) -> String {
    let mut out = String::from(r#"<article class="official">"#);
    let _ = write!(out, r#"<h1 class="official-title">{}</h1>"#, escape(&doc.title));
    for line in &doc.subtitle {
        let _ = write!(out, r#"<p class="official-subtitle">{}</p>"#, escape(line));
    }
    for block in &doc.blocks {
        match block {
            Block::Heading1(text) => {
                let _ = write!(out, r#"<h2 class="official-h1">{}</h2>"#, escape(text));
            }
            Block::Heading2(text) => {
                let _ = write!(out, r#"<h3 class="official-h2">{}</h3>"#, escape(text));
            }
            Block::Paragraph(text) => {
                let _ = write!(out, r#"<p class="official-p">{}</p>"#, escape(text));
            }
            Block::Table(table) => {
                out.push_str(r#"<div class="official-table"><table><thead><tr>"#);
                for cell in &table.header {
                    let _ = write!(out, "<th>{}</th>", escape(cell));
                }
                out.push_str("</tr></thead><tbody>");
                for row in &table.rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", escape(cell));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table></div>");
            }
        }
    }
    for line in doc.issuer.iter().chain(doc.date.iter()) {
        let _ = write!(out, r#"<p class="official-sign">{}</p>"#, escape(line));
    }
    out.push_str("</article>");
    out
}

/// Text safe inside HTML or SVG elements and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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
    out
}

#[cfg(test)]
mod tests {
    use crate::{OfficialDocument, Table};

    #[test]
    fn every_block_is_there_and_escaped() {
        let doc = OfficialDocument::new("标题<script>")
            .subtitle("（2025年度）")
            .heading1("一、概况")
            .heading2("（一）到会")
            .paragraph("正文 & 说明")
            .table(Table::new(["姓名", "票数"]).row(["张三", "3"]))
            .issuer("中共某某支部委员会")
            .date("2026年1月5日");
        let html = doc.to_html();
        assert!(html.contains("<h1 class=\"official-title\">标题&lt;script&gt;</h1>"));
        assert!(!html.contains("<script>"));
        for text in
            ["（2025年度）", "一、概况", "（一）到会", "正文 &amp; 说明", "<th>姓名</th>", "<td>3</td>", "2026年1月5日"]
        {
            assert!(html.contains(text), "{text}");
        }
    }
}
