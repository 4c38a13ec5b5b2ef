//! Bytes to a table of cells: `.xlsx` through calamine's streaming cell reader (so a huge sheet is refused before it
//! is all in memory), `.csv` decoded from UTF-8 (with or without BOM), UTF-16 or GBK/GB18030.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use crate::{MAX_ROWS, ReadError};

/// One cell as the file holds it: a spreadsheet keeps numbers and dates apart from text, which matters for ID
/// numbers that Excel turned into numbers and for Excel's serial dates.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel serial date (days since 1899-12-30).
    Date(f64),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(t) => t.trim().is_empty(),
            Self::Number(_) | Self::Date(_) => false,
        }
    }

    /// The cell as text, trimmed; numbers without a needless `.0`.
    pub fn text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(t) => t.trim().to_owned(),
            Self::Number(n) | Self::Date(n) => number_text(*n),
        }
    }
}

/// A number as a person would type it: integers without a fraction.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{n:.0}") } else { n.to_string() }
}

/// Most columns a roster row is read with; more is not a roster.
const MAX_COLUMNS: usize = 64;
/// Most bytes an `.xlsx` may unpack to: rosters of 20,000 people are a few MB of XML, a zip bomb far more.
const MAX_UNPACKED: u64 = 200 * 1024 * 1024;
/// Most entries in an `.xlsx` package.
const MAX_ENTRIES: usize = 1_000;
/// Rows read beyond [`MAX_ROWS`]: titles, notes and the header above the data.
const SPARE_ROWS: usize = 20;

/// The file's first sheet with a roster on it, as (row number, cells).
pub(crate) fn table(file_name: &str, bytes: &[u8]) -> Result<Vec<(usize, Vec<Cell>)>, ReadError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || file_name.to_lowercase().ends_with(".xls") {
        return Err(ReadError::OldExcel);
    }
    if file_name.to_lowercase().ends_with(".xlsx") {
        return Err(ReadError::Xlsx);
    }
    csv(bytes)
}

fn xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<Cell>)>, ReadError> {
    check_package(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| ReadError::Xlsx)?;
    let mut first = None;
    // Templates often put instructions on the first sheet: take the first sheet that has a header row.
    for name in book.sheet_names().into_iter().take(10) {
        let table = sheet(&mut book, &name)?;
        if crate::from_table(&table).is_ok_and(|r| !r.rows.is_empty()) {
            return Ok(table);
        }
        first.get_or_insert(table);
    }
    first.ok_or(ReadError::Xlsx)
}

/// Refuses a package that unpacks to far more than any roster (a zip bomb): first by the sizes it declares, before
/// anything is unpacked, then by unpacking each part no further than one byte past its declared size, because the
/// zip reader (and calamine after it) would otherwise believe a package that lies about its sizes.
fn check_package(bytes: &[u8]) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ReadError::Xlsx)?;
    if archive.len() > MAX_ENTRIES {
        return Err(ReadError::Xlsx);
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| ReadError::Xlsx)?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED {
        return Err(ReadError::TooLarge);
    }
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| ReadError::Xlsx)?;
        let declared = entry.size();
        let unpacked = std::io::copy(&mut (&mut entry).take(declared + 1), &mut std::io::sink());
        if unpacked.map_err(|_| ReadError::Xlsx)? > declared {
            return Err(ReadError::TooLarge);
        }
    }
    Ok(())
}

fn sheet(book: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<Vec<(usize, Vec<Cell>)>, ReadError> {
    let mut reader = book.worksheet_cells_reader(name).map_err(|_| ReadError::Xlsx)?;
    let mut rows: Vec<(usize, Vec<Cell>)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|_| ReadError::Xlsx)? {
        let (row, col) = cell.get_position();
        let (row, col) = (row as usize, col as usize);
        if col >= MAX_COLUMNS {
            continue;
        }
        let value = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::DateTime(d) => Cell::Date(d.as_f64()),
            DataRef::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.to_owned()),
            DataRef::Error(_) => Cell::Text("#错误".to_owned()),
        };
        // Row numbers as Excel shows them start at 1.
        let line = row + 1;
        if rows.last().is_none_or(|(last, _)| *last != line) {
            if rows.len() >= MAX_ROWS + SPARE_ROWS {
                return Err(ReadError::TooManyRows);
            }
            rows.push((line, Vec::new()));
        }
        if let Some((_, cells)) = rows.last_mut() {
            if cells.len() <= col {
                cells.resize(col + 1, Cell::Empty);
            }
            cells[col] = value;
        }
    }
    Ok(rows)
}

fn csv(bytes: &[u8]) -> Result<Vec<(usize, Vec<Cell>)>, ReadError> {
    let text = decode(bytes)?;
    let delimiter =
        if first_line(&text).matches('\t').count() > first_line(&text).matches(',').count() { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if rows.len() >= MAX_ROWS + SPARE_ROWS {
            return Err(ReadError::TooManyRows);
        }
        let record = record.map_err(|_| ReadError::Csv)?;
        let line = record.position().map_or(i + 1, |p| usize::try_from(p.line()).unwrap_or(i + 1));
        let cells = record
            .iter()
            .take(MAX_COLUMNS)
            .map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_owned()) })
            .collect();
        rows.push((line, cells));
    }
    Ok(rows)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// UTF-8 (a BOM is dropped), UTF-16 with a BOM (Excel's "Unicode text"), else GB18030, which covers the GBK that
/// Excel and WPS on Chinese Windows write.
fn decode(bytes: &[u8]) -> Result<String, ReadError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest).map(str::to_owned).map_err(|_| ReadError::Encoding);
    }
    for (bom, encoding) in [(&[0xFF, 0xFE], UTF_16LE), (&[0xFE, 0xFF], UTF_16BE)] {
        if bytes.starts_with(bom) {
            let (text, had_errors) = encoding.decode_with_bom_removal(bytes);
            return if had_errors { Err(ReadError::Encoding) } else { Ok(text.into_owned()) };
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors || text.contains('\0') { Err(ReadError::Encoding) } else { Ok(text.into_owned()) }
}
