//! `.xlsx` tables: one sheet per table, the Chinese header row bold and frozen, every column as wide as its widest
//! cell (a Chinese character counts as two, as spreadsheet column widths are measured in Latin digits).

use rust_xlsxwriter::{Format, Workbook};

use crate::DocumentError;

/// One cell: text stays text (an ID or phone number keeps its leading zeros), numbers are numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        // Counts in this system are far below 2^53: exact as f64.
        Self::Number(value as f64)
    }
}

impl From<usize> for Cell {
    fn from(value: usize) -> Self {
        Self::Number(value as f64)
    }
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number(n) => n.to_string(),
        }
    }
}

/// One sheet: its name (Excel allows 31 characters, no `[]:*?/\`), the header and the rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new<S: Into<String>>(name: &str, header: impl IntoIterator<Item = S>) -> Self {
        Self { name: name.to_owned(), header: header.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// How wide a text shows in a spreadsheet column: two units for a wide (CJK, full-width) character, one otherwise.
pub fn display_width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Narrowest and widest column, in character units.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

/// The workbook of `sheets`.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, DocumentError> {
    let mut book = Workbook::new();
    let header_format = Format::new().set_bold().set_background_color("#F2E6E6");
    let text_format = Format::new().set_num_format("@");
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&sheet.name))?;
        for (col, title) in (0u16..).zip(&sheet.header) {
            ws.write_string_with_format(0, col, title, &header_format)?;
            let widest = sheet
                .rows
                .iter()
                .filter_map(|row| row.get(usize::from(col)))
                .map(|cell| display_width(&cell.text()))
                .chain(std::iter::once(display_width(title)))
                .max()
                .unwrap_or(0);
            let width = (widest + 2).clamp(MIN_WIDTH, MAX_WIDTH);
            ws.set_column_width(col, width as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (row, cells) in (1u32..).zip(&sheet.rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(text) if text.is_empty() => {}
                    Cell::Text(text) => {
                        ws.write_string_with_format(row, col, text, &text_format)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(row, col, *n)?;
                    }
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

/// A name Excel accepts: forbidden characters replaced, cut to 31 characters, never empty.
fn sheet_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(31).collect::<String>();
    let cleaned = cleaned.trim_matches('\'').to_owned();
    if cleaned.trim().is_empty() { "Sheet1".to_owned() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_characters_count_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("党员花名册"), 10);
        assert_eq!(display_width("第1支部（机关）"), 15);
    }

    #[test]
    fn sheet_names_are_made_acceptable() {
        assert_eq!(sheet_name("统计/2025"), "统计_2025");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
