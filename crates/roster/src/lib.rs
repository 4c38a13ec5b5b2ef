//! The Party roster (党员花名册) reader: the bytes of an uploaded `.xlsx` or `.csv` in, one row per person out, each
//! with every problem found in it, in Chinese. Pure: no I/O and no database, so it can be tested and fuzzed alone.
//!
//! [`read`] turns a file into [`Roster`] rows and checks what a file alone can show (dates, ID numbers, categories,
//! duplicates within the file); [`check_against`] then checks the rows against what the caller knows (the branches
//! of the importer's subtree, the people already on the roster).

mod cells;
mod dates;
mod fields;
mod id_number;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use cells::Cell;
pub use dates::{civil_from_days, parse_date};
pub use fields::Field;
pub use id_number::{EXCEL_FLOAT, IdNumber, check_digit, mask};

/// Largest file accepted, in bytes.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most people one import may hold; a county is 10,000–30,000, so a larger file is split by committee.
pub const MAX_ROWS: usize = 20_000;
/// How far down the header row is looked for (titles and notes often come first).
const HEADER_SEARCH_ROWS: usize = 10;

/// Why a whole file cannot be read; the message is shown to the user as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("文件是空的，请选择花名册文件")]
    Empty,
    #[error("文件超过 5 MB，请按支部拆分后分批导入")]
    TooLarge,
    #[error("花名册超过 20000 行，请按党委或支部拆分后分批导入")]
    TooManyRows,
    #[error("不支持旧版 .xls 文件，请在 Excel 或 WPS 中另存为 .xlsx 或 .csv 后重试")]
    OldExcel,
    #[error("无法读取这个 Excel 文件，请确认它是 .xlsx 文件（可在 Excel 或 WPS 中另存为 .xlsx 后重试）")]
    Xlsx,
    #[error("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的 .csv 文件后重试")]
    Encoding,
    #[error("无法读取这个 CSV 文件，请确认它是逗号分隔的表格")]
    Csv,
    #[error("没有找到表头：前 10 行中应有一行包含“姓名”列")]
    NoHeader,
    #[error("表头下面没有党员数据")]
    NoRows,
}

/// 正式党员 or 预备党员.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Full,
    Probationary,
}

impl Category {
    /// The category a cell names, in the words rosters use.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "正式党员" | "正式" | "党员" => Some(Self::Full),
            "预备党员" | "预备" => Some(Self::Probationary),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "正式党员",
            Self::Probationary => "预备党员",
        }
    }
}

/// One person as the file gives them, cleaned up, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RosterRow {
    /// The row number as the spreadsheet shows it (1-based), so the user can find it.
    pub line: usize,
    pub name: String,
    pub gender: Option<String>,
    /// 18 characters, upper-case `X`, when it is well-formed; otherwise as written (for the message).
    pub id_number: Option<String>,
    /// `YYYY-MM-DD`, from the column or else from the ID number.
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    /// The branch as the file names it; `None` means the organization imported into.
    pub branch: Option<String>,
    pub category: Option<Category>,
    /// `YYYY-MM-DD`, or `YYYY-MM` when the file gives only the month.
    pub joined_on: Option<String>,
    pub post: Option<String>,
    pub phone: Option<String>,
    /// The organization the person goes to, once [`check_against`] found it.
    pub org_id: Option<String>,
    pub problems: Vec<String>,
}

impl RosterRow {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A file's rows, and which columns were understood.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roster {
    pub rows: Vec<RosterRow>,
    /// The columns recognized, in the file's order, as the file names them.
    pub recognized: Vec<(Field, String)>,
    /// Header cells that name nothing the roster keeps.
    pub ignored: Vec<String>,
}

impl Roster {
    pub fn error_rows(&self) -> usize {
        self.rows.iter().filter(|r| !r.is_ok()).count()
    }
}

/// Checks an ID number typed into a form, as the import checks a cell; `Err` says what is wrong, in Chinese.
pub fn parse_id_number(text: &str) -> Result<Option<IdNumber>, String> {
    id_number::parse(&Cell::Text(text.to_owned()))
}

/// Reads a roster file. `file_name` only helps tell an old `.xls` from the rest; the content decides.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Roster, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(ReadError::TooLarge);
    }
    let table = cells::table(file_name, bytes)?;
    from_table(&table)
}

/// Turns a table of cells (row number, cells) into roster rows.
pub fn from_table(table: &[(usize, Vec<Cell>)]) -> Result<Roster, ReadError> {
    let (header_at, columns) = table
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, (_, cells))| fields::columns(cells).map(|c| (i, c)))
        .ok_or(ReadError::NoHeader)?;
    let mut roster =
        Roster { recognized: columns.recognized.clone(), ignored: columns.ignored.clone(), ..Roster::default() };
    for (line, cells) in &table[header_at + 1..] {
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        if roster.rows.len() == MAX_ROWS {
            return Err(ReadError::TooManyRows);
        }
        roster.rows.push(fields::row(*line, cells, &columns));
    }
    if roster.rows.is_empty() {
        return Err(ReadError::NoRows);
    }
    mark_duplicates(&mut roster.rows);
    Ok(roster)
}

/// The same person twice in one file: by ID number, or by name and birth date when an ID number is missing.
fn mark_duplicates(rows: &mut [RosterRow]) {
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut by_name_birth: HashMap<(String, String), usize> = HashMap::new();
    for row in rows.iter_mut() {
        if let Some(id) = row.id_number.clone().filter(|id| id.len() == 18) {
            match by_id.get(&id) {
                Some(first) => row.problems.push(format!("与第 {first} 行是同一人（身份证号相同）")),
                None => {
                    by_id.insert(id, row.line);
                }
            }
            continue;
        }
        if let Some(birth) = row.birth_date.clone().filter(|_| !row.name.is_empty()) {
            let key = (row.name.clone(), birth);
            match by_name_birth.get(&key) {
                Some(first) => row.problems.push(format!("与第 {first} 行是同一人（姓名和出生日期相同）")),
                None => {
                    by_name_birth.insert(key, row.line);
                }
            }
        }
    }
}

/// What the caller knows that the file cannot tell: where people may go and who is already on the roster.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The organization imported into: where a row without a branch goes.
    pub default_org_id: String,
    /// Every organization a row may name, by name (the importer's subtree); a name given twice is ambiguous.
    pub orgs: Vec<(String, String)>,
    /// ID numbers already on the roster.
    pub id_numbers: HashSet<String>,
    /// (name, birth date) of people already on the roster.
    pub name_births: HashSet<(String, String)>,
}

/// Finds each row's organization and marks the people already on the roster.
pub fn check_against(rows: &mut [RosterRow], known: &Known) {
    let mut names: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, id) in &known.orgs {
        names.entry(name.as_str()).or_default().push(id.as_str());
    }
    for row in rows.iter_mut() {
        row.org_id = match row.branch.as_deref() {
            None => Some(known.default_org_id.clone()),
            Some(branch) => match names.get(branch).map(Vec::as_slice) {
                Some([id]) => Some((*id).to_owned()),
                Some(_) => {
                    row.problems.push(format!("有多个名为“{branch}”的组织，无法确定是哪一个"));
                    None
                }
                None => {
                    row.problems.push(format!("所在支部“{branch}”不在本组织的下属组织中"));
                    None
                }
            },
        };
        let on_roster_by_id = row.id_number.as_ref().is_some_and(|id| known.id_numbers.contains(id));
        if on_roster_by_id {
            row.problems.push("已在党员名册上（身份证号相同）".to_owned());
        } else if row.birth_date.as_ref().is_some_and(|b| known.name_births.contains(&(row.name.clone(), b.clone()))) {
            row.problems.push("已在党员名册上（姓名和出生日期相同）".to_owned());
        }
    }
}

#[cfg(test)]
mod tests;
