//! The `.docx` writer: the OOXML parts of a GB/T 9704 page written by hand into a zip. A4, margins 37/35/28/26 mm,
//! a document grid of 22 lines × 28 characters, title in 方正小标宋简体 二号, body in 仿宋_GB2312 三号, headings in
//! 黑体 and 楷体_GB2312, page numbers “— 1 —” in 宋体 四号 outside on odd and even pages, and a font table that
//! names for every font the one to use where it is missing (仿宋_GB2312 → 仿宋 → FangSong, 方正小标宋简体 → 宋体 →
//! SimSun, …).

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;

use crate::{Block, DocumentError, OfficialDocument, Table};

/// The page's figures, in twips (1/20 pt; 1 mm ≈ 56.69 twips), as this writer sets them.
pub mod layout {
    /// A4: 210 × 297 mm.
    pub const PAGE_WIDTH: u32 = 11906;
    pub const PAGE_HEIGHT: u32 = 16838;
    pub const MARGIN_TOP: u32 = mm(37.0);
    pub const MARGIN_BOTTOM: u32 = mm(35.0);
    pub const MARGIN_LEFT: u32 = mm(28.0);
    pub const MARGIN_RIGHT: u32 = mm(26.0);
    pub const LINES_PER_PAGE: u32 = 22;
    pub const CHARS_PER_LINE: u32 = 28;
    /// Body text: 三号 = 16 pt, in half-points.
    pub const BODY_HALF_POINTS: u32 = 32;
    /// Title: 二号 = 22 pt.
    pub const TITLE_HALF_POINTS: u32 = 44;
    /// Page numbers: 四号 = 14 pt.
    pub const PAGE_NUMBER_HALF_POINTS: u32 = 28;
    /// Tables: 小四 = 12 pt, so that a table of several columns keeps its words on one line.
    pub const TABLE_HALF_POINTS: u32 = 24;

    /// The text block's height divided into 22 lines: the line pitch, also set as exact line spacing so that a
    /// reader that ignores the document grid still puts 22 lines on a page.
    pub const LINE_PITCH: u32 = (PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM) / LINES_PER_PAGE;

    /// The text block's width in twips.
    pub const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;

    /// The document grid's character pitch as Word stores it: the difference from the body font's size, in 1/4096 pt
    /// (negative: 28 characters of 16 pt are a little wider than the text block).
    pub const CHAR_SPACE: i64 = {
        let pitch_4096ths = TEXT_WIDTH as i64 * 4096 / 20 / CHARS_PER_LINE as i64;
        pitch_4096ths - (BODY_HALF_POINTS as i64 / 2) * 4096
    };

    /// What each character's run spacing gives up (in twips, negative), so that 28 characters fit the line even in a
    /// reader that does not snap characters to the grid.
    pub const RUN_SPACING: i64 = {
        let pitch = TEXT_WIDTH as i64 / CHARS_PER_LINE as i64;
        pitch - (BODY_HALF_POINTS as i64 * 10)
    };

    const fn mm(value: f64) -> u32 {
        (value * 1440.0 / 25.4 + 0.5) as u32
    }
}

use layout::*;

/// The fonts the document names, each with the one to use where it is missing, and the kind of font it is.
/// (name, alternative, panose, family, pitch)
const FONTS: [(&str, &str, &str, &str, &str); 9] = [
    ("仿宋_GB2312", "仿宋", "02010609030101010101", "modern", "fixed"),
    ("仿宋", "FangSong", "02010609060101010101", "modern", "fixed"),
    ("方正小标宋简体", "宋体", "02000000000000000000", "auto", "variable"),
    ("宋体", "SimSun", "02010600030101010101", "auto", "variable"),
    ("黑体", "SimHei", "02010609060101010101", "modern", "fixed"),
    ("楷体_GB2312", "楷体", "02010609030101010101", "modern", "fixed"),
    ("楷体", "KaiTi", "02010609060101010101", "modern", "fixed"),
    ("Times New Roman", "Liberation Serif", "02020603050405020304", "roman", "variable"),
    ("Noto Serif CJK SC", "Source Han Serif SC", "02020400000000000000", "roman", "variable"),
];

const BODY_FONT: &str = "仿宋_GB2312";
const TITLE_FONT: &str = "方正小标宋简体";
const HEADING1_FONT: &str = "黑体";
const HEADING2_FONT: &str = "楷体_GB2312";
const PAGE_NUMBER_FONT: &str = "宋体";

pub(crate) fn write(doc: &OfficialDocument) -> Result<Vec<u8>, DocumentError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, String); 10] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("docProps/app.xml", APP.to_owned()),
        ("docProps/core.xml", core(&doc.title)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/document.xml", document(doc)),
        ("word/styles.xml", styles()),
        ("word/settings.xml", SETTINGS.to_owned()),
        ("word/fontTable.xml", font_table()),
        ("word/footer1.xml", footer(Side::Odd)),
    ];
    for (name, text) in parts {
        zip.start_file(name, options)?;
        zip.write_all(text.as_bytes())?;
    }
    zip.start_file("word/footer2.xml", options)?;
    zip.write_all(footer(Side::Even).as_bytes())?;
    Ok(zip.finish()?.into_inner())
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/word/footer2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable" Target="fontTable.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer2.xml"/></Relationships>"#;

const APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>mingjing</Application></Properties>"#;

/// Odd and even pages get their own footers (the page number sits outside), as GB/T 9704 places it.
const SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:evenAndOddHeaders/><w:defaultTabStop w:val="420"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/><w:doNotLeaveBackslashAlone/><w:ulTrailSpace/><w:doNotExpandShiftReturn/><w:adjustLineHeightInTable/><w:useFELayout/></w:compat><w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/></w:settings>"#;

const W_NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

fn core(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>明镜</dc:creator></cp:coreProperties>"#,
        escape(title)
    )
}

fn font_table() -> String {
    let mut out = format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{}<w:fonts {W_NS}>"#, "\n");
    for (name, alt, panose, family, pitch) in FONTS {
        // charset 86 is GB2312: a reader missing the font looks for one with Chinese characters.
        let charset = if name.is_ascii() && !name.starts_with("Noto") { "00" } else { "86" };
        let _ = write!(
            out,
            r#"<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/><w:charset w:val="{charset}"/><w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>"#
        );
    }
    out.push_str("</w:fonts>");
    out
}

/// Run fonts: the Chinese font for East Asian text; Latin letters and digits in the same font, so that a number in
/// a sentence does not change face (the usual practice of 公文 templates).
fn fonts(name: &str) -> String {
    format!(r#"<w:rFonts w:ascii="{name}" w:eastAsia="{name}" w:hAnsi="{name}" w:cs="{name}"/>"#)
}

fn styles() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles {W_NS}><w:docDefaults><w:rPrDefault><w:rPr>{body}<w:kern w:val="2"/><w:sz w:val="{BODY_HALF_POINTS}"/><w:szCs w:val="{BODY_HALF_POINTS}"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:widowControl w:val="0"/><w:spacing w:before="0" w:after="0" w:line="{LINE_PITCH}" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:rPr><w:sz w:val="{BODY_HALF_POINTS}"/><w:szCs w:val="{BODY_HALF_POINTS}"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:jc w:val="center"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr>{title}<w:sz w:val="{TITLE_HALF_POINTS}"/><w:szCs w:val="{TITLE_HALF_POINTS}"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:ind w:firstLineChars="200" w:firstLine="{indent}"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr>{h1}</w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:ind w:firstLineChars="200" w:firstLine="{indent}"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr>{h2}</w:rPr></w:style><w:style w:type="paragraph" w:styleId="BodyText"><w:name w:val="Body Text"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="{indent}"/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:line="240" w:lineRule="auto"/></w:pPr><w:rPr>{number}<w:sz w:val="{PAGE_NUMBER_HALF_POINTS}"/><w:szCs w:val="{PAGE_NUMBER_HALF_POINTS}"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:line="300" w:lineRule="auto"/><w:jc w:val="center"/></w:pPr><w:rPr><w:sz w:val="{TABLE_HALF_POINTS}"/><w:szCs w:val="{TABLE_HALF_POINTS}"/></w:rPr></w:style><w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblCellMar><w:left w:w="108" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>"#,
        body = fonts(BODY_FONT),
        title = fonts(TITLE_FONT),
        h1 = fonts(HEADING1_FONT),
        h2 = fonts(HEADING2_FONT),
        number = fonts(PAGE_NUMBER_FONT),
        indent = BODY_HALF_POINTS * 20,
    )
}

#[derive(Clone, Copy)]
enum Side {
    Odd,
    Even,
}

/// “— 1 —” with a PAGE field: on odd pages at the right, one character in; on even pages at the left.
fn footer(side: Side) -> String {
    let one_char = PAGE_NUMBER_HALF_POINTS * 10;
    let (jc, ind) = match side {
        Side::Odd => ("right", format!(r#"<w:ind w:right="{one_char}"/>"#)),
        Side::Even => ("left", format!(r#"<w:ind w:left="{one_char}"/>"#)),
    };
    let run = |content: &str| format!("<w:r>{content}</w:r>");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr {W_NS}><w:p><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="{jc}"/>{ind}</w:pPr>{}{}{}{}{}</w:p></w:ftr>"#,
        run(r#"<w:t xml:space="preserve">— </w:t>"#),
        run(r#"<w:fldChar w:fldCharType="begin"/>"#),
        run(r#"<w:instrText xml:space="preserve"> PAGE </w:instrText>"#),
        run(
            r#"<w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/>"#
        ),
        run(r#"<w:t xml:space="preserve"> —</w:t>"#),
    )
}

fn document(doc: &OfficialDocument) -> String {
    let mut body = String::new();
    paragraph(&mut body, "Title", "", &doc.title);
    for line in &doc.subtitle {
        paragraph(&mut body, "Normal", r#"<w:jc w:val="center"/>"#, line);
    }
    // One empty line between the title block and the text, as in the standard's examples.
    paragraph(&mut body, "Normal", "", "");
    for block in &doc.blocks {
        match block {
            Block::Heading1(text) => paragraph(&mut body, "Heading1", "", text),
            Block::Heading2(text) => paragraph(&mut body, "Heading2", "", text),
            Block::Paragraph(text) => paragraph(&mut body, "BodyText", "", text),
            Block::Table(table) => self::table(&mut body, table),
        }
    }
    if doc.issuer.is_some() || doc.date.is_some() {
        // 署名 and 成文日期 at the right, four characters in, after an empty line.
        paragraph(&mut body, "Normal", "", "");
        let right = format!(r#"<w:jc w:val="right"/><w:ind w:right="{}"/>"#, BODY_HALF_POINTS * 20 * 4);
        for line in doc.issuer.iter().chain(doc.date.iter()) {
            paragraph(&mut body, "Normal", &right, line);
        }
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W_NS}><w:body>{body}<w:sectPr><w:footerReference w:type="default" r:id="rId4"/><w:footerReference w:type="even" r:id="rId5"/><w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/><w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_RIGHT}" w:bottom="{MARGIN_BOTTOM}" w:left="{MARGIN_LEFT}" w:header="851" w:footer="{footer}" w:gutter="0"/><w:pgNumType w:start="1"/><w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="{LINE_PITCH}" w:charSpace="{CHAR_SPACE}"/></w:sectPr></w:body></w:document>"#,
        // The number's line ends about 7 mm below the text block plus its own height (GB/T 9704 7.5).
        footer = MARGIN_BOTTOM - 7 * 57 - PAGE_NUMBER_HALF_POINTS * 10 - 120,
    )
}

/// A paragraph of one run; the run gives up a little spacing per character so that 28 fit a line in any reader.
fn paragraph(out: &mut String, style: &str, extra: &str, text: &str) {
    let spacing = if style == "Title" { String::new() } else { format!(r#"<w:spacing w:val="{RUN_SPACING}"/>"#) };
    let _ = write!(out, r#"<w:p><w:pPr><w:pStyle w:val="{style}"/>{extra}</w:pPr>"#);
    if !text.is_empty() {
        let _ = write!(out, r#"<w:r><w:rPr>{spacing}</w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#, escape(text));
    }
    out.push_str("</w:p>");
}

/// A table across the text block with single borders, each column as wide as its content asks (a long text
/// column gets the room, a column of numbers little); the header row repeats on every page and is bold.
fn table(out: &mut String, table: &Table) {
    let widths = column_widths(table);
    let border = |side: &str| format!(r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#);
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"].into_iter().map(border).collect();
    let _ = write!(
        out,
        r#"<w:tbl><w:tblPr><w:tblW w:w="{TEXT_WIDTH}" w:type="dxa"/><w:jc w:val="center"/><w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>"#
    );
    for width in &widths {
        let _ = write!(out, r#"<w:gridCol w:w="{width}"/>"#);
    }
    out.push_str("</w:tblGrid>");
    row(out, &table.header, true, &widths);
    for cells in &table.rows {
        row(out, cells, false, &widths);
    }
    out.push_str("</w:tbl>");
    // Word needs a paragraph between a table and what follows.
    paragraph(out, "Normal", "", "");
}

/// Column widths in twips summing to the text block's width, in proportion to each column's widest text (in
/// half-width units, at least 4 and at most 40, so one long cell does not squeeze the others to nothing).
fn column_widths(table: &Table) -> Vec<u32> {
    let wants: Vec<u32> = (0..table.header.len().max(1))
        .map(|col| {
            let widest = std::iter::once(&table.header)
                .chain(&table.rows)
                .filter_map(|row| row.get(col))
                .map(|cell| crate::display_width(cell))
                .max()
                .unwrap_or(0);
            u32::try_from(widest.clamp(4, 40)).unwrap_or(40)
        })
        .collect();
    let total: u32 = wants.iter().sum();
    wants.iter().map(|w| TEXT_WIDTH * w / total).collect()
}

fn row(out: &mut String, cells: &[String], header: bool, widths: &[u32]) {
    // A row is not split across pages; the header row repeats on every page.
    out.push_str(if header {
        "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
    } else {
        "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
    });
    for (cell, width) in cells.iter().zip(widths) {
        let bold = if header { format!("{}<w:b/>", fonts(HEADING1_FONT)) } else { String::new() };
        let _ = write!(
            out,
            r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr><w:r><w:rPr>{bold}</w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p></w:tc>"#,
            escape(cell)
        );
    }
    out.push_str("</w:tr>");
}

/// XML text escaping; characters XML 1.0 forbids (control characters a pasted text may carry) are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_holds_22_lines_of_28_characters() {
        assert_eq!((MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT), (2098, 1984, 1587, 1474));
        let height = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
        assert_eq!(LINE_PITCH, 579, "the line pitch of official templates (28.95 pt)");
        assert_eq!(height / LINES_PER_PAGE, LINE_PITCH, "22 lines fill the text block");
        // Word's figure for this grid in official templates is about −842.
        assert!((-860..=-830).contains(&CHAR_SPACE), "{CHAR_SPACE}");
        let per_char = BODY_HALF_POINTS as i64 * 10 + RUN_SPACING;
        assert!(per_char * i64::from(CHARS_PER_LINE) <= i64::from(TEXT_WIDTH));
        assert!((per_char + 1) * i64::from(CHARS_PER_LINE) > i64::from(TEXT_WIDTH));
    }

    #[test]
    fn columns_share_the_width_by_their_content() {
        let table = Table::new(["姓名", "批评意见"]).row(["李红", "落实群众诉求办理不够及时，回应关切不够主动"]);
        let widths = column_widths(&table);
        assert!(widths[1] > widths[0] * 4, "{widths:?}");
        assert!(widths.iter().sum::<u32>() <= TEXT_WIDTH && widths.iter().sum::<u32>() > TEXT_WIDTH - 3);
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escape("a<b>&\"c\u{1}\u{b}"), "a&lt;b&gt;&amp;&quot;c");
    }

    #[test]
    fn every_font_named_in_a_run_has_a_fallback_in_the_font_table() {
        let table = font_table();
        for name in [BODY_FONT, TITLE_FONT, HEADING1_FONT, HEADING2_FONT, PAGE_NUMBER_FONT] {
            assert!(table.contains(&format!(r#"<w:font w:name="{name}"><w:altName"#)), "{name}");
        }
        assert!(table.contains(r#"<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>"#));
        assert!(table.contains(r#"<w:font w:name="仿宋"><w:altName w:val="FangSong"/>"#));
        assert!(table.contains(r#"<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>"#));
        assert!(table.contains(r#"<w:font w:name="宋体"><w:altName w:val="SimSun"/>"#));
    }
}
