//! Documents in official form: a small model of a 公文-style document (title, subtitle, issuer and date lines,
//! headings 一、 and （一）, paragraphs, simple tables), written as a `.docx` in the GB/T 9704 layout or as an HTML
//! preview, and `.xlsx` workbooks with frozen Chinese headers. Pure: bytes out, no I/O, no database.

mod docx;
mod html;
mod text;
mod xlsx;

#[cfg(feature = "testing")]
pub mod testing;

pub use docx::layout;
pub use html::escape as escape_markup;
pub use xlsx::{Cell, Sheet, display_width, workbook};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// A simple table: a header row and rows of text, each row as wide as the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self { header: header.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// Adds a row; a short row is padded with empty cells and a long one cut to the header's width, so that every
    /// row has as many cells as the table has columns.
    pub fn row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.push_row(cells);
        self
    }

    pub fn push_row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).take(self.header.len()).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }
}

/// One block of a document's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A first-level heading such as “一、存在的主要问题” (黑体).
    Heading1(String),
    /// A second-level heading such as “（一）政治方面” (楷体).
    Heading2(String),
    /// A body paragraph, first line indented by two characters.
    Paragraph(String),
    Table(Table),
}

/// A document in the GB/T 9704 style: a centred title, optional subtitle lines under it, the body, and the issuer
/// (发文机关署名) and date (成文日期) at the end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfficialDocument {
    pub title: String,
    /// Lines centred under the title (an author's name, “（2025年度）”).
    pub subtitle: Vec<String>,
    pub blocks: Vec<Block>,
    pub issuer: Option<String>,
    pub date: Option<String>,
}

impl OfficialDocument {
    pub fn new(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }

    pub fn subtitle(mut self, line: impl Into<String>) -> Self {
        self.subtitle.push(line.into());
        self
    }

    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    pub fn heading1(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Heading1(text.into()));
        self
    }

    pub fn heading2(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Heading2(text.into()));
        self
    }

    /// Adds a paragraph; a text with line breaks becomes one paragraph per non-empty line.
    pub fn paragraph(mut self, text: &str) -> Self {
        self.push_paragraphs(text);
        self
    }

    pub fn push_paragraphs(&mut self, text: &str) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            self.blocks.push(Block::Paragraph(line.to_owned()));
        }
    }

    pub fn table(mut self, table: Table) -> Self {
        self.blocks.push(Block::Table(table));
        self
    }

    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    /// A plain text laid out the conventional way (a material as a member wrote it): its first line is the title
    /// when it reads like one, lines like “一、…” and “（一）…” are headings, the rest paragraphs. `fallback_title`
    /// is the title when the text opens with a sentence instead.
    pub fn from_text(fallback_title: &str, body: &str) -> Self {
        text::from_text(fallback_title, body)
    }

    /// The document as a `.docx` in the GB/T 9704 layout.
    pub fn to_docx(&self) -> Result<Vec<u8>, DocumentError> {
        docx::write(self)
    }

    /// The document as an HTML fragment (escaped, no script, no inline style), for a preview in the page where a
    /// download cannot work.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// Every text of the document in reading order, one entry per line or cell.
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![self.title.as_str()];
        out.extend(self.subtitle.iter().map(String::as_str));
        for block in &self.blocks {
            match block {
                Block::Heading1(t) | Block::Heading2(t) | Block::Paragraph(t) => out.push(t),
                Block::Table(table) => {
                    out.extend(table.header.iter().map(String::as_str));
                    out.extend(table.rows.iter().flatten().map(String::as_str));
                }
            }
        }
        out.extend(self.issuer.as_deref());
        out.extend(self.date.as_deref());
        out
    }
}

/// The conventional Chinese numeral of a heading: 一 … 十, 十一 … 九十九.
pub fn chinese_numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
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

    #[test]
    fn table_rows_take_the_header_width() {
        let table = Table::new(["姓名", "票数"]).row(["张三"]).row(["李四", "3", "多余"]);
        assert_eq!(table.rows, vec![vec!["张三".to_owned(), String::new()], vec!["李四".to_owned(), "3".to_owned()]]);
    }

    #[test]
    fn paragraphs_split_at_line_breaks_and_skip_blank_lines() {
        let doc = OfficialDocument::new("标题").paragraph("第一段。\n\n  第二段。  \n");
        assert_eq!(doc.blocks, vec![Block::Paragraph("第一段。".into()), Block::Paragraph("第二段。".into())]);
    }

    #[test]
    fn numerals() {
        let got: Vec<String> = [1, 5, 10, 11, 20, 23].into_iter().map(chinese_numeral).collect();
        assert_eq!(got, ["一", "五", "十", "十一", "二十", "二十三"]);
    }
}
