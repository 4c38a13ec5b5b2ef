//! Paragraph text and layout hints from a `.docx`: the visible text of `word/document.xml`
//! (body and table paragraphs in document order), one line per non-empty paragraph, with
//! heading, bold and numbering hints taken from direct formatting and `word/styles.xml`.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use zip::ZipArchive;

use super::{MAX_TEXT_BYTES, ParagraphHint, ReadError};
use crate::span::Span;

/// Inflated size limit of the main XML part. Real materials have 100 KB–2 MB of XML
/// (Word's markup is verbose); the limit defeats zip bombs, whose declared sizes lie.
pub(super) const MAX_XML_BYTES: usize = 16 << 20;

/// Styles are optional hints: a larger or broken `styles.xml` is ignored, not refused.
const MAX_STYLES_BYTES: usize = 4 << 20;

/// Deeper nesting than this (text boxes inside tables inside text boxes…) is not
/// something Word writes; refusing it bounds memory on crafted files.
const MAX_DEPTH: usize = 512;
const MAX_PARAGRAPH_NESTING: usize = 32;

/// Transitional and Strict OOXML namespaces of WordprocessingML.
const W_NAMESPACES: [&str; 2] = [
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// The paragraphs of a `.docx` joined by `'\n'`, with one hint per paragraph.
pub(super) fn read(bytes: &[u8]) -> Result<(String, Vec<ParagraphHint>), ReadError> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|_| corrupt("不是完整的 zip 压缩包，文件可能没有上传完整"))?;
    let Some(document) = find_entry(&archive, "word/document.xml") else {
        return Err(not_a_docx(&archive));
    };
    let styles = match find_entry(&archive, "word/styles.xml") {
        Some(index) => read_entry(&mut archive, index, MAX_STYLES_BYTES)
            .ok()
            .and_then(|xml| xml_text(&xml).ok().and_then(|xml| parse_styles(&xml)))
            .unwrap_or_default(),
        None => Styles::default(),
    };
    let xml = read_entry(&mut archive, document, MAX_XML_BYTES)?;
    let xml = xml_text(&xml)?;
    parse_document(&xml, &styles)
}

fn corrupt(reason: &str) -> ReadError {
    ReadError::CorruptDocx(reason.to_owned())
}

/// Zip part names are compared case-insensitively, as Office itself does.
fn find_entry(archive: &Archive<'_>, name: &str) -> Option<usize> {
    archive.index_for_name(name).or_else(|| {
        (0..archive.len()).find(|&i| {
            archive
                .name_for_index(i)
                .and_then(Result::ok)
                .is_some_and(|n| n.trim_start_matches('/').eq_ignore_ascii_case(name))
        })
    })
}

/// Names what a zip without a Word body most likely is, so the user knows what to do.
fn not_a_docx(archive: &Archive<'_>) -> ReadError {
    let has = |name: &str| find_entry(archive, name).is_some();
    if has("content.xml") && has("mimetype") {
        ReadError::Unsupported { kind: ".odt（OpenDocument）" }
    } else if has("xl/workbook.xml") {
        ReadError::Unsupported { kind: "Excel 表格" }
    } else if has("ppt/presentation.xml") {
        ReadError::Unsupported { kind: "PowerPoint 演示文稿" }
    } else {
        corrupt("压缩包里没有 Word 正文（word/document.xml），这不是 .docx 文件")
    }
}

/// Inflates one entry, reading at most `limit + 1` bytes whatever the entry declares.
fn read_entry(archive: &mut Archive<'_>, index: usize, limit: usize) -> Result<Vec<u8>, ReadError> {
    let entry = archive.by_index(index).map_err(|_| corrupt("正文无法解压（可能已加密或使用了不支持的压缩方式）"))?;
    if entry.size() > limit as u64 {
        return Err(ReadError::TooLarge { limit: MAX_TEXT_BYTES });
    }
    // The declared size only sizes the first allocation, and only up to 1 MiB.
    let declared = usize::try_from(entry.size()).unwrap_or(limit);
    let mut xml = Vec::with_capacity(declared.min(1 << 20));
    entry.take(limit as u64 + 1).read_to_end(&mut xml).map_err(|_| corrupt("正文数据已损坏，无法解压"))?;
    if xml.len() > limit {
        return Err(ReadError::TooLarge { limit: MAX_TEXT_BYTES });
    }
    Ok(xml)
}

/// XML parts are UTF-8 in practice; UTF-16 is allowed by the standard and decoded too.
fn xml_text(bytes: &[u8]) -> Result<String, ReadError> {
    let bad = || corrupt("正文 XML 的编码无效");
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| bad());
    }
    for (bom, encoding) in [(b"\xFF\xFE", encoding_rs::UTF_16LE), (b"\xFE\xFF", encoding_rs::UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|text| text.into_owned())
                .ok_or_else(bad);
        }
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| bad())
}

fn is_w(ns: &ResolveResult<'_>) -> bool {
    matches!(ns, ResolveResult::Bound(ns) if W_NAMESPACES.contains(&ns.0))
}

/// Subtrees whose text or formatting is not what the document shows: deleted and
/// moved-away revisions, old formatting kept by change tracking, ruby pronunciation
/// guides, conditional table formatting, and the legacy duplicate of each text box.
fn skipped(w: bool, local: &str) -> bool {
    (w && matches!(
        local,
        "del" | "moveFrom" | "rPrChange" | "pPrChange" | "rt" | "tblStylePr" | "delText" | "instrText"
    )) || local == "Fallback"
}

/// `w:val` of a property element; other attributes of WordprocessingML properties are
/// not needed here.
fn val(e: &BytesStart<'_>) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == "val").map(|a| a.value.into_owned())
}

/// On/off properties (`w:b`): present means on unless `w:val` says otherwise.
fn on(e: &BytesStart<'_>) -> bool {
    !matches!(val(e).as_deref(), Some("0" | "false" | "off"))
}

/// `w:outlineLvl` 0–8 is heading 1–9; 9 is explicitly body text.
fn outline(e: &BytesStart<'_>) -> Option<Option<u8>> {
    let level: u8 = val(e)?.trim().parse().ok()?;
    Some((level <= 8).then_some(level + 1))
}

fn level(e: &BytesStart<'_>) -> u8 {
    val(e).and_then(|v| v.trim().parse::<u8>().ok()).unwrap_or(0).min(8)
}

/// Heading level named by a style id or name: `Heading1`, `heading 1`, `标题 1`, or the
/// bare `1`…`9` ids that Chinese Word gives its built-in heading styles.
fn heading_by_name(name: &str) -> Option<u8> {
    let compact: String = name.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let digit = compact.strip_prefix("heading").or_else(|| compact.strip_prefix("标题")).unwrap_or(&compact);
    match digit.as_bytes() {
        [d @ b'1'..=b'9'] => Some(d - b'0'),
        _ => None,
    }
}

fn xml_error<E>(_: E) -> ReadError {
    corrupt("正文 XML 格式错误")
}

/// What a style contributes, with `basedOn` inheritance already applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct StyleHints {
    heading: Option<u8>,
    bold: Option<bool>,
    list: Option<u8>,
}

#[derive(Debug, Default)]
struct Styles {
    resolved: HashMap<String, StyleHints>,
}

impl Styles {
    fn get(&self, id: &str) -> StyleHints {
        self.resolved.get(id).copied().unwrap_or(StyleHints { heading: heading_by_name(id), ..StyleHints::default() })
    }
}

#[derive(Debug, Default)]
struct StyleDef {
    name: Option<String>,
    based_on: Option<String>,
    outline: Option<Option<u8>>,
    bold: Option<bool>,
    /// `Some(None)`: numbering switched off (`w:numId` 0).
    list: Option<Option<u8>>,
}

/// Parses `styles.xml`; `None` if it is not well-formed (styles are then ignored).
fn parse_styles(xml: &str) -> Option<Styles> {
    let mut reader = NsReader::from_str(xml);
    let mut defs: HashMap<String, StyleDef> = HashMap::new();
    let mut current: Option<(String, StyleDef)> = None;
    let mut stack: Vec<String> = Vec::new();
    let mut skip = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let w = is_w(&ns);
        match event {
            Event::Start(_) if skip > 0 => skip += 1,
            Event::End(_) if skip > 0 => skip -= 1,
            _ if skip > 0 => {}
            Event::Start(ref e) | Event::Empty(ref e) => {
                let open = matches!(event, Event::Start(_));
                let local = e.local_name().as_ref().to_owned();
                if skipped(w, &local) {
                    skip = usize::from(open);
                    continue;
                }
                if w && local == "style" {
                    let id = e.attributes().flatten().find(|a| a.key.local_name().as_ref() == "styleId");
                    current = id.map(|a| (a.value.into_owned(), StyleDef::default()));
                } else if let Some((_, def)) = current.as_mut().filter(|_| w) {
                    let parent = stack.last().map(String::as_str);
                    match (parent, local.as_str()) {
                        (Some("style"), "name") => def.name = val(e),
                        (Some("style"), "basedOn") => def.based_on = val(e),
                        (Some("pPr"), "outlineLvl") => def.outline = outline(e),
                        (Some("rPr"), "b") => def.bold = Some(on(e)),
                        (Some("numPr"), "ilvl") if def.list != Some(None) => def.list = Some(Some(level(e))),
                        (Some("numPr"), "numId") => {
                            if val(e).as_deref().map(str::trim) == Some("0") {
                                def.list = Some(None);
                            } else if def.list.is_none() {
                                def.list = Some(Some(0));
                            }
                        }
                        _ => {}
                    }
                }
                if open {
                    if stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    stack.push(local);
                } else if w && local == "style" {
                    if let Some((id, def)) = current.take() {
                        defs.insert(id, def);
                    }
                }
            }
            Event::End(_) => {
                let closes_style = stack.pop().as_deref() == Some("style");
                if let Some((id, def)) = current.take_if(|_| closes_style) {
                    defs.insert(id, def);
                }
            }
            Event::DocType(_) => return None,
            Event::Eof => break,
            _ => {}
        }
    }
    let resolved = defs.keys().map(|id| (id.clone(), resolve(&defs, id))).collect();
    Some(Styles { resolved })
}

/// Walks the `basedOn` chain (bounded, as it may be cyclic) and takes the nearest value
/// of each property.
fn resolve(defs: &HashMap<String, StyleDef>, id: &str) -> StyleHints {
    let mut hints = StyleHints::default();
    let mut heading_known = false;
    let mut list_known = false;
    let mut next = Some(id);
    for _ in 0..16 {
        let Some(id) = next else { break };
        let Some(def) = defs.get(id) else {
            if !heading_known {
                hints.heading = heading_by_name(id);
            }
            break;
        };
        if !heading_known {
            if let Some(level) = def.outline {
                hints.heading = level;
                heading_known = true;
            } else if let Some(level) = def.name.as_deref().and_then(heading_by_name).or_else(|| heading_by_name(id)) {
                hints.heading = Some(level);
                heading_known = true;
            }
        }
        if hints.bold.is_none() {
            hints.bold = def.bold;
        }
        if !list_known {
            if let Some(list) = def.list {
                hints.list = list;
                list_known = true;
            }
        }
        next = def.based_on.as_deref();
    }
    hints
}

/// Where the parser is, as far as the text and its formatting are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Paragraph,
    Run,
    ParagraphProps,
    RunProps,
    Text,
    Numbering,
    Other,
}

#[derive(Debug, Default)]
struct Run {
    bold: Option<bool>,
    style_bold: Option<bool>,
}

#[derive(Debug, Default)]
struct Para {
    text: String,
    chars: usize,
    style: StyleHints,
    outline: Option<Option<u8>>,
    /// `Some(None)`: numbering switched off on this paragraph.
    list: Option<Option<u8>>,
    ilvl: Option<u8>,
    visible: bool,
    all_bold: bool,
    run: Run,
}

impl Para {
    fn new() -> Self {
        Self { all_bold: true, ..Self::default() }
    }

    fn push_text(&mut self, text: &str) {
        let mut visible = false;
        for c in text.chars() {
            // A paragraph is one line of the joined text: stray line breaks inside it
            // would split it in two and misalign its hint.
            let c =
                if matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}') { ' ' } else { c };
            visible |= !c.is_whitespace();
            self.text.push(c);
            self.chars += 1;
        }
        if visible {
            self.visible = true;
            let heading = self.style.heading.is_some();
            let bold = self.run.bold.or(self.run.style_bold).or(self.style.bold).unwrap_or(heading);
            self.all_bold &= bold;
        }
    }

    fn push_char(&mut self, c: char) {
        self.text.push(c);
        self.chars += 1;
    }

    fn hint(&self, span: Span) -> ParagraphHint {
        let heading_level = match self.outline {
            Some(level) => level,
            None => self.style.heading,
        };
        // `w:ilvl` alone keeps the style's list; `w:numId` alone keeps the style's level.
        let list_level = match (self.list, self.ilvl) {
            (Some(None), _) => None,
            (Some(Some(_)), ilvl) => Some(ilvl.or(self.style.list).unwrap_or(0)),
            (None, Some(ilvl)) => self.style.list.map(|_| ilvl),
            (None, None) => self.style.list,
        };
        ParagraphHint { span, heading_level, bold: self.visible && self.all_bold, list_level }
    }
}

/// The joined paragraphs and their hints.
#[derive(Debug, Default)]
struct Output {
    text: String,
    chars: usize,
    hints: Vec<ParagraphHint>,
}

impl Output {
    fn push(&mut self, para: &Para) -> Result<(), ReadError> {
        if !para.visible {
            return Ok(());
        }
        if !self.text.is_empty() {
            self.text.push('\n');
            self.chars += 1;
        }
        let span = Span::new(self.chars, self.chars + para.chars);
        self.text.push_str(&para.text);
        self.chars += para.chars;
        self.hints.push(para.hint(span));
        if self.text.len() > MAX_TEXT_BYTES {
            return Err(ReadError::TooLarge { limit: MAX_TEXT_BYTES });
        }
        Ok(())
    }
}

fn parse_document(xml: &str, styles: &Styles) -> Result<(String, Vec<ParagraphHint>), ReadError> {
    let mut reader = NsReader::from_str(xml);
    let mut out = Output::default();
    let mut stack: Vec<Tag> = Vec::new();
    let mut paras: Vec<Para> = Vec::new();
    let mut skip = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(xml_error)?;
        let w = is_w(&ns);
        match event {
            Event::Start(_) if skip > 0 => skip += 1,
            Event::End(_) if skip > 0 => skip -= 1,
            _ if skip > 0 => {}
            Event::Start(ref e) | Event::Empty(ref e) => {
                let open = matches!(event, Event::Start(_));
                let local = e.local_name();
                let local = local.as_ref();
                if skipped(w, local) {
                    skip = usize::from(open);
                    continue;
                }
                let parent = stack.last().copied();
                let grandparent = stack.len().checked_sub(2).and_then(|i| stack.get(i)).copied();
                let tag = if w { element(e, local, parent, grandparent, &mut paras, styles) } else { Tag::Other };
                if open {
                    if stack.len() >= MAX_DEPTH {
                        return Err(corrupt("正文 XML 嵌套过深"));
                    }
                    if tag == Tag::Paragraph {
                        if paras.len() >= MAX_PARAGRAPH_NESTING {
                            return Err(corrupt("正文 XML 嵌套过深"));
                        }
                        paras.push(Para::new());
                    }
                    stack.push(tag);
                }
            }
            Event::End(_) => {
                let para = if stack.pop() == Some(Tag::Paragraph) { paras.pop() } else { None };
                if let Some(para) = para {
                    out.push(&para)?;
                }
            }
            Event::Text(ref t) if stack.last() == Some(&Tag::Text) => {
                if let Some(para) = paras.last_mut() {
                    para.push_text(&t.xml10_content());
                }
            }
            Event::CData(ref t) if stack.last() == Some(&Tag::Text) => {
                if let Some(para) = paras.last_mut() {
                    para.push_text(&t.xml10_content());
                }
            }
            Event::GeneralRef(ref r) if stack.last() == Some(&Tag::Text) => {
                // Only the XML built-ins and char references: a DTD is refused below, so
                // any other entity is unknown and dropped, never expanded.
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(r).map(str::to_owned),
                    Err(_) => None,
                };
                if let (Some(text), Some(para)) = (resolved, paras.last_mut()) {
                    para.push_text(&text);
                }
            }
            Event::DocType(_) => {
                return Err(corrupt("正文 XML 含有 DOCTYPE 声明，这不是 Word 生成的文件"));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(corrupt("正文 XML 不完整"));
    }
    Ok((out.text, out.hints))
}

/// Applies one WordprocessingML element to the paragraph being read and says what it
/// opens.
fn element(
    e: &BytesStart<'_>,
    local: &str,
    parent: Option<Tag>,
    grandparent: Option<Tag>,
    paras: &mut [Para],
    styles: &Styles,
) -> Tag {
    match local {
        "p" => return Tag::Paragraph,
        "pPr" if parent == Some(Tag::Paragraph) => return Tag::ParagraphProps,
        "numPr" if parent == Some(Tag::ParagraphProps) => return Tag::Numbering,
        "r" => {
            if let Some(para) = paras.last_mut() {
                para.run = Run::default();
            }
            return Tag::Run;
        }
        "rPr" if parent == Some(Tag::Run) => return Tag::RunProps,
        "t" if parent == Some(Tag::Run) => return Tag::Text,
        _ => {}
    }
    let Some(para) = paras.last_mut() else {
        return Tag::Other;
    };
    match (parent, local) {
        (Some(Tag::ParagraphProps), "pStyle") => para.style = val(e).map(|id| styles.get(&id)).unwrap_or_default(),
        (Some(Tag::ParagraphProps), "outlineLvl") => para.outline = outline(e),
        (Some(Tag::Numbering), "ilvl") => para.ilvl = Some(level(e)),
        (Some(Tag::Numbering), "numId") => {
            let off = val(e).as_deref().map(str::trim) == Some("0");
            para.list = Some(if off { None } else { Some(0) });
        }
        (Some(Tag::RunProps), "b") if grandparent == Some(Tag::Run) => para.run.bold = Some(on(e)),
        (Some(Tag::RunProps), "rStyle") if grandparent == Some(Tag::Run) => {
            para.run.style_bold = val(e).and_then(|id| styles.get(&id).bold);
        }
        (Some(Tag::Run), "tab" | "ptab") => para.push_char('\t'),
        // A manual line break inside a paragraph is layout, not a new paragraph.
        (Some(Tag::Run), "br" | "cr") => para.push_char(' '),
        (Some(Tag::Run), "noBreakHyphen") => para.push_char('-'),
        _ => {}
    }
    Tag::Other
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use docx_rs::{
        AbstractNumbering, BreakType, Docx, IndentLevel, Level, LevelJc, LevelText, NumberFormat, Numbering,
        NumberingId, Paragraph, Run, Start, Style, StyleType, Table, TableCell, TableRow,
    };
    use zip::write::SimpleFileOptions;

    use super::*;
    use crate::input::{Format, Source, read as read_file};

    const DOC_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
            xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>"#;
    const DOC_END: &str = "</w:body></w:document>";

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            writer.start_file(*name, options).expect("test zip entry");
            writer.write_all(data).expect("test zip write");
        }
        writer.finish().expect("test zip").into_inner()
    }

    fn docx_of(body: &str, styles: Option<&str>) -> Vec<u8> {
        let document = format!("{DOC_START}{body}{DOC_END}");
        let mut entries: Vec<(&str, &[u8])> = vec![("word/document.xml", document.as_bytes())];
        if let Some(styles) = styles {
            entries.push(("word/styles.xml", styles.as_bytes()));
        }
        zip_of(&entries)
    }

    fn read_docx(bytes: &[u8]) -> Result<Source, ReadError> {
        read_file("材料.docx", bytes)
    }

    fn lines_and_hints(source: &Source) -> Vec<(String, Option<u8>, bool, Option<u8>)> {
        let chars: Vec<char> = source.text().chars().collect();
        source
            .hints()
            .iter()
            .map(|h| (chars[h.span.start..h.span.end].iter().collect(), h.heading_level, h.bold, h.list_level))
            .collect()
    }

    #[test]
    fn docx_rs_document_gives_text_and_hints() {
        let numbering = AbstractNumbering::new(1).add_level(Level::new(
            0,
            Start::new(1),
            NumberFormat::new("decimal"),
            LevelText::new("%1."),
            LevelJc::new("left"),
        ));
        let cell = |text: &str| TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(text)));
        let mut bytes = Cursor::new(Vec::new());
        Docx::new()
            .add_style(Style::new("1", StyleType::Paragraph).name("heading 2").based_on("Normal"))
            .add_abstract_numbering(numbering)
            .add_numbering(Numbering::new(1, 1))
            .add_paragraph(Paragraph::new().style("Heading1").add_run(Run::new().add_text("一、存在的主要问题")))
            .add_paragraph(Paragraph::new().add_run(Run::new().add_text("（一）政治方面").bold()))
            .add_paragraph(
                Paragraph::new().add_run(Run::new().add_text("一是学习")).add_run(Run::new().add_text("不够").bold()),
            )
            .add_paragraph(Paragraph::new())
            .add_paragraph(
                Paragraph::new()
                    .numbering(NumberingId::new(1), IndentLevel::new(0))
                    .add_run(Run::new().add_text("加强理论学习")),
            )
            .add_table(Table::new(vec![TableRow::new(vec![cell("表格甲"), cell("表格乙")])]))
            .add_paragraph(Paragraph::new().style("1").add_run(
                Run::new().add_text("甲").add_tab().add_text("乙").add_break(BreakType::TextWrapping).add_text("丙"),
            ))
            .build()
            .pack(&mut bytes)
            .expect("docx-rs writes");
        let source = read_docx(bytes.get_ref()).expect("readable docx");
        assert_eq!(source.format(), Format::Docx);
        assert_eq!(
            source.text(),
            "一、存在的主要问题\n（一）政治方面\n一是学习不够\n加强理论学习\n表格甲\n表格乙\n甲\t乙 丙"
        );
        assert_eq!(
            lines_and_hints(&source),
            [
                ("一、存在的主要问题".to_owned(), Some(1), true, None),
                ("（一）政治方面".to_owned(), None, true, None),
                ("一是学习不够".to_owned(), None, false, None),
                ("加强理论学习".to_owned(), None, false, Some(0)),
                ("表格甲".to_owned(), None, false, None),
                ("表格乙".to_owned(), None, false, None),
                ("甲\t乙 丙".to_owned(), Some(2), true, None),
            ]
        );
    }

    #[test]
    fn revisions_fields_and_duplicates_are_not_text() {
        let body = r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs><w:outlineLvl w:val="2"/></w:pPr>
            <w:r><w:t xml:space="preserve">保留 </w:t></w:r>
            <w:del w:id="1"><w:r><w:delText>删除的</w:delText></w:r></w:del>
            <w:moveFrom w:id="2"><w:r><w:t>移走的</w:t></w:r></w:moveFrom>
            <w:ins w:id="3"><w:r><w:t>插入的</w:t></w:r></w:ins>
            <w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>
            <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>3</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>
            <w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>
            <mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>
            <w:r><w:t>&amp;&#x4E2D;&#25991;&lt;&unknown;</w:t></w:r>
            <w:r><w:rPr><w:b/><w:rPrChange w:id="4"><w:rPr><w:b w:val="0"/></w:rPr></w:rPrChange></w:rPr><w:t>尾</w:t></w:r>
        </w:p><w:p><w:r><w:t>   </w:t></w:r></w:p><w:p/>"#;
        let source = read_docx(&docx_of(body, None)).expect("readable");
        assert_eq!(source.text(), "文本框\n保留 插入的3&中文<尾");
        assert_eq!(source.hints()[1].heading_level, Some(3));
        assert!(!source.hints()[1].bold);
    }

    #[test]
    fn styles_give_headings_bold_and_lists_through_inheritance() {
        let styles = r#"<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
            <w:style w:type="paragraph" w:styleId="a"><w:name w:val="Normal"/></w:style>
            <w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/></w:rPr></w:style>
            <w:style w:type="paragraph" w:styleId="my"><w:name w:val="我的标题"/><w:basedOn w:val="1"/><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="5"/></w:numPr></w:pPr></w:style>
            <w:style w:type="paragraph" w:styleId="loopA"><w:basedOn w:val="loopB"/></w:style>
            <w:style w:type="paragraph" w:styleId="loopB"><w:basedOn w:val="loopA"/><w:rPr><w:b w:val="false"/></w:rPr></w:style>
            <w:style w:type="character" w:styleId="strong"><w:rPr><w:b/></w:rPr></w:style>
            <w:style w:type="paragraph" w:styleId="body9"><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>
        </w:styles>"#;
        let body = r#"<w:p><w:pPr><w:pStyle w:val="my"/></w:pPr><w:r><w:t>继承的标题</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="loopA"/></w:pPr><w:r><w:t>循环样式</w:t></w:r></w:p>
            <w:p><w:r><w:rPr><w:rStyle w:val="strong"/></w:rPr><w:t>字符样式加粗</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="my"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:rPr><w:b w:val="0"/></w:rPr><w:t>取消编号</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="body9"/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="标题 3"/></w:pPr><w:r><w:t>中文样式名</w:t></w:r></w:p>"#;
        let source = read_docx(&docx_of(body, Some(styles))).expect("readable");
        assert_eq!(
            lines_and_hints(&source),
            [
                ("继承的标题".to_owned(), Some(1), true, Some(1)),
                ("循环样式".to_owned(), None, false, None),
                ("字符样式加粗".to_owned(), None, true, None),
                ("取消编号".to_owned(), Some(1), false, None),
                ("正文".to_owned(), None, false, None),
                ("中文样式名".to_owned(), Some(3), true, None),
            ]
        );
    }

    #[test]
    fn a_broken_styles_part_is_ignored() {
        let body = r#"<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>标题</w:t></w:r></w:p>"#;
        let source = read_docx(&docx_of(body, Some("<w:styles><unclosed>"))).expect("readable");
        assert_eq!(source.hints()[0].heading_level, Some(2));
    }

    #[test]
    fn dtd_tricks_are_refused_at_once() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol2;&xxe;</w:t></w:r></w:p></w:body></w:document>"#;
        let bytes = zip_of(&[("word/document.xml", laughs.as_bytes())]);
        assert!(matches!(read_docx(&bytes), Err(ReadError::CorruptDocx(_))));
    }

    #[test]
    fn malformed_xml_is_corrupt() {
        for body in ["<w:p><w:r><w:t>未闭合", "<w:p></w:r>", "<w:p>\u{0}</w:p>"] {
            let document = format!("{DOC_START}{body}");
            let bytes = zip_of(&[("word/document.xml", document.as_bytes())]);
            assert!(matches!(read_docx(&bytes), Err(ReadError::CorruptDocx(_))), "{body}");
        }
    }

    #[test]
    fn zips_that_are_not_docx_say_what_they_are() {
        let not_docx = zip_of(&[("readme.txt", "说明".as_bytes())]);
        assert!(
            matches!(read_docx(&not_docx), Err(ReadError::CorruptDocx(reason)) if reason.contains("word/document.xml"))
        );
        let xlsx = zip_of(&[("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(read_docx(&xlsx).err(), Some(ReadError::Unsupported { kind: "Excel 表格" }));
        let odt = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")]);
        assert!(matches!(read_docx(&odt), Err(ReadError::Unsupported { .. })));
        let upper = zip_of(&[(
            "Word/Document.XML",
            format!("{DOC_START}<w:p><w:r><w:t>大写</w:t></w:r></w:p>{DOC_END}").as_bytes(),
        )]);
        assert_eq!(read_docx(&upper).map(|s| s.text().to_owned()), Ok("大写".to_owned()));
    }

    #[test]
    fn corrupt_zips_are_refused() {
        let good = docx_of("<w:p><w:r><w:t>完整的正文内容</w:t></w:r></w:p>", None);
        for cut in [4, 30, good.len() / 2, good.len() - 10] {
            assert!(matches!(read_docx(&good[..cut]), Err(ReadError::CorruptDocx(_))), "cut at {cut}");
        }
        let mut flipped = good.clone();
        // Inside the compressed data of the only entry: the CRC check must catch it.
        let data_at = 30 + "word/document.xml".len() + 5;
        flipped[data_at] ^= 0x55;
        assert!(matches!(read_docx(&flipped), Err(ReadError::CorruptDocx(_))));
        assert!(matches!(read_docx(b"PK\x05\x06"), Err(ReadError::CorruptDocx(_))));
    }

    fn bomb() -> Vec<u8> {
        let mut document = String::with_capacity(MAX_XML_BYTES + 1024);
        document.push_str(DOC_START);
        document.push_str("<w:p><w:r><w:t>");
        document.extend(std::iter::repeat_n('a', MAX_XML_BYTES));
        document.push_str("</w:t></w:r></w:p>");
        document.push_str(DOC_END);
        zip_of(&[("word/document.xml", document.as_bytes())])
    }

    fn set_u32(bytes: &mut [u8], at: usize, value: u32) {
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn zip_bombs_are_refused_even_when_they_lie() {
        let honest = bomb();
        assert!(honest.len() < MAX_XML_BYTES / 100, "the test bomb must be small: {}", honest.len());
        assert_eq!(read_docx(&honest).err(), Some(ReadError::TooLarge { limit: MAX_TEXT_BYTES }));

        // Declare 1000 bytes in both the local header and the central directory.
        let mut lying = honest;
        set_u32(&mut lying, 22, 1000);
        let central = lying.windows(4).position(|w| w == b"PK\x01\x02").expect("central directory");
        set_u32(&mut lying, central + 24, 1000);
        assert!(matches!(read_docx(&lying), Err(ReadError::TooLarge { .. } | ReadError::CorruptDocx(_))));
    }
}
