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
const W_NAMESPACES: [&str; 2] =
    ["http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main"];

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// The paragraphs of a `.docx` joined by `'\n'`, with one hint per paragraph.
pub(super) fn read(bytes: &[u8]) -> Result<(String, Vec<ParagraphHint>), ReadError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| corrupt("不是完整的 zip 压缩包，文件可能没有上传完整"))?;
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
    (w && matches!(local, "del" | "moveFrom" | "rPrChange" | "pPrChange" | "rt" | "tblStylePr" | "delText" | "instrText"))
        || local == "Fallback"
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
                        (Some("numPr"), "ilvl") => {
                            if def.list != Some(None) {
                                def.list = Some(Some(level(e)));
                            }
                        }
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
                if stack.pop().as_deref() == Some("style") {
                    if let Some((id, def)) = current.take() {
                        defs.insert(id, def);
                    }
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
            } else if let Some(level) = heading_by_name(id).or_else(|| def.name.as_deref().and_then(heading_by_name)) {
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
            let c = if matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}') { ' ' } else { c };
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
                if stack.pop() == Some(Tag::Paragraph) {
                    if let Some(para) = paras.pop() {
                        out.push(&para)?;
                    }
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
            Event::DocType(_) => return Err(corrupt("正文 XML 含有 DOCTYPE 声明，这不是 Word 生成的文件")),
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
    let Some(para) = paras.last_mut() else { return Tag::Other };
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
