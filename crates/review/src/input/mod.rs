//! Turns the bytes of an uploaded or named file into the decoded original text of a
//! material: UTF-8 or GB18030/GBK `.txt`/`.md`, or the paragraphs of a `.docx`.
//! Everything the engine reports later is a char offset into `Source::text`.

mod docx;
mod text;

use crate::span::Span;

/// Largest decoded text the engine accepts; real materials are 3–20 KB.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// Why a file could not be read. `Display` is the message shown to a user, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("文件是空的，没有可审查的文字")]
    Empty,
    #[error("文件过大：文字超过 {limit} 字节（1 MiB），请检查是否上传了错误的文件")]
    TooLarge { limit: usize },
    #[error("这不是文本文件（看起来是二进制数据），请上传 .txt、.md 或 .docx 文件")]
    Binary,
    #[error("不支持 {kind} 格式，请在 WPS 或 Word 中“另存为” .docx 或 .txt 后再上传")]
    Unsupported { kind: &'static str },
    #[error("无法识别文本编码，请另存为 UTF-8 或 GB18030 编码的 .txt 文件")]
    UnknownEncoding,
    #[error(".docx 文件已损坏或不完整，无法读取：{0}")]
    CorruptDocx(String),
}

/// How the source text was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Utf8,
    Utf16,
    Gb18030,
    Docx,
}

/// Layout hints for one paragraph, from `.docx` styles; plain text has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParagraphHint {
    /// The paragraph, in char offsets of `Source::text`, without its line break.
    pub span: Span,
    /// Outline level of a heading style (`Heading1` → 1 …), if any.
    pub heading_level: Option<u8>,
    /// Every run of visible text in the paragraph is bold.
    pub bold: bool,
    /// Automatic list numbering level (`w:numPr`), whose number text is not in the XML.
    pub list_level: Option<u8>,
}

/// A decoded material: its original text and, for `.docx`, per-paragraph hints.
#[derive(Debug, Clone)]
pub struct Source {
    text: String,
    format: Format,
    hints: Vec<ParagraphHint>,
}

impl Source {
    /// Wraps text that is already decoded (tests, the web form).
    pub fn from_text(text: impl Into<String>) -> Result<Self, ReadError> {
        let text = text.into();
        check_text(&text)?;
        Ok(Self { text, format: Format::Utf8, hints: Vec::new() })
    }

    pub(crate) fn with_hints(text: String, format: Format, hints: Vec<ParagraphHint>) -> Self {
        Self { text, format, hints }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn hints(&self) -> &[ParagraphHint] {
        &self.hints
    }
}

/// Largest text file read at all: GB18030 and UTF-16 take at most 4 bytes per char, so
/// anything beyond this cannot decode to under `MAX_TEXT_BYTES` of real text, and
/// refusing it early spares decoding megabytes only to throw them away.
pub const MAX_FILE_BYTES: usize = 8 * MAX_TEXT_BYTES;

/// Largest `.docx` read at all. Larger than for text because a `.docx` also carries its
/// pictures (a scanned signature or seal easily takes a few MiB), which are never read;
/// the text part itself is limited separately when inflated.
pub const MAX_DOCX_BYTES: usize = 32 * MAX_TEXT_BYTES;

const PDF_MAGIC: &[u8] = b"%PDF";
const OLE2_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// An empty zip archive (end of central directory only).
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const RTF_MAGIC: &[u8] = b"{\\rtf";

const KIND_PDF: &str = "PDF";
const KIND_OLD_WORD: &str = ".doc/.wps（旧版 Word/WPS）";
const KIND_RTF: &str = "RTF";

/// Reads a file's bytes; `name` is used only for its extension.
///
/// The content decides first (a `.txt` that is really a PDF is refused as PDF), the
/// extension only for what content cannot tell.
pub fn read(name: &str, bytes: &[u8]) -> Result<Source, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.starts_with(PDF_MAGIC) {
        return Err(ReadError::Unsupported { kind: KIND_PDF });
    }
    if bytes.starts_with(OLE2_MAGIC) {
        return Err(ReadError::Unsupported { kind: KIND_OLD_WORD });
    }
    if bytes.starts_with(RTF_MAGIC) {
        return Err(ReadError::Unsupported { kind: KIND_RTF });
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(EMPTY_ZIP_MAGIC) {
        if bytes.len() > MAX_DOCX_BYTES {
            return Err(ReadError::TooLarge { limit: MAX_TEXT_BYTES });
        }
        let (text, hints) = docx::read(bytes)?;
        check_text(&text)?;
        return Ok(Source::with_hints(text, Format::Docx, hints));
    }
    match extension(name).as_str() {
        "pdf" => return Err(ReadError::Unsupported { kind: KIND_PDF }),
        "doc" | "wps" | "dot" | "wpt" => {
            return Err(ReadError::Unsupported { kind: KIND_OLD_WORD });
        }
        "rtf" => return Err(ReadError::Unsupported { kind: KIND_RTF }),
        "docx" | "docm" | "dotx" => {
            return Err(ReadError::CorruptDocx("文件内容不是 .docx 的压缩包格式，可能只是改了扩展名".to_owned()));
        }
        _ => {}
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge { limit: MAX_TEXT_BYTES });
    }
    let (text, format) = text::decode(bytes)?;
    check_text(&text)?;
    Ok(Source::with_hints(text, format, Vec::new()))
}

/// Lower-case extension of the last path component, `""` if none.
fn extension(name: &str) -> String {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The checks every decoded text must pass, whatever it came from.
fn check_text(text: &str) -> Result<(), ReadError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ReadError::TooLarge { limit: MAX_TEXT_BYTES });
    }
    if text.chars().all(char::is_whitespace) {
        return Err(ReadError::Empty);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_exactly_as_decoded() {
        let raw = "一、问题\r\n\r\n（一）政治方面\u{3000}\n";
        let source = read("材料.txt", raw.as_bytes()).expect("readable");
        assert_eq!(source.text(), raw);
        assert_eq!(source.format(), Format::Utf8);
        assert!(source.hints().is_empty());
        let (gb, _, _) = encoding_rs::GB18030.encode(raw);
        let source = read("材料.md", &gb).expect("readable");
        assert_eq!((source.text(), source.format()), (raw, Format::Gb18030));
    }

    #[test]
    fn empty_and_blank_files_are_empty() {
        assert_eq!(read("a.txt", b"").err(), Some(ReadError::Empty));
        assert_eq!(read("a.txt", " \r\n\t\u{3000}".as_bytes()).err(), Some(ReadError::Empty));
        assert_eq!(read("a.txt", b"\xEF\xBB\xBF").err(), Some(ReadError::Empty));
    }

    #[test]
    fn too_large_is_refused() {
        let text = "学".repeat(MAX_TEXT_BYTES / 3 + 1);
        assert_eq!(read("a.txt", text.as_bytes()).err(), Some(ReadError::TooLarge { limit: MAX_TEXT_BYTES }));
        let raw = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(read("a.txt", &raw).err(), Some(ReadError::TooLarge { limit: MAX_TEXT_BYTES }));
    }

    #[test]
    fn other_formats_are_named_by_content_first() {
        let pdf = Err(ReadError::Unsupported { kind: KIND_PDF });
        let doc = Err(ReadError::Unsupported { kind: KIND_OLD_WORD });
        assert_eq!(read("材料.txt", b"%PDF-1.7\n...").map(|_| ()), pdf);
        assert_eq!(read("材料.docx", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0").map(|_| ()), doc);
        assert_eq!(read("a.txt", br"{\rtf1\ansi hello}").map(|_| ()), Err(ReadError::Unsupported { kind: KIND_RTF }));
        assert_eq!(read("C:\\材料\\旧材料.DOC", "正文".as_bytes()).map(|_| ()), doc);
        assert_eq!(read("旧材料.wps", "正文".as_bytes()).map(|_| ()), doc);
        assert_eq!(read("scan.pdf", "正文".as_bytes()).map(|_| ()), pdf);
        assert!(matches!(read("材料.docx", "正文".as_bytes()), Err(ReadError::CorruptDocx(_))));
        assert!(matches!(read("x", b"PK\x03\x04garbage"), Err(ReadError::CorruptDocx(_))));
        assert_eq!(read(".doc", "正文".as_bytes()).map(|s| s.text().to_owned()), Ok("正文".to_owned()));
    }

    #[test]
    fn binary_and_unknown_encodings_are_refused() {
        assert_eq!(read("a.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").err(), Some(ReadError::Binary));
        assert_eq!(read("a.txt", b"\xFF\xFF\xFF").err(), Some(ReadError::UnknownEncoding));
    }

    #[test]
    fn extension_is_of_the_last_component() {
        assert_eq!(extension("dir.v2/材料.TXT"), "txt");
        assert_eq!(extension("dir.v2/README"), "");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("a.b\\c.Docx"), "docx");
    }
}
