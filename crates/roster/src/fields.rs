//! Which column is which, from the Chinese headers rosters use (姓名, 公民身份号码, 所在党支部, 人员类别…), and one
//! row's cells turned into a [`RosterRow`] with its problems.

use crate::cells::{Cell, number_text};
use crate::dates::parse_date;
use crate::{Category, RosterRow, id_number};

/// A column the roster keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Gender,
    IdNumber,
    BirthDate,
    Ethnicity,
    Education,
    Branch,
    Category,
    JoinedOn,
    Post,
    Phone,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "姓名",
            Self::Gender => "性别",
            Self::IdNumber => "身份证号",
            Self::BirthDate => "出生日期",
            Self::Ethnicity => "民族",
            Self::Education => "学历",
            Self::Branch => "所在支部",
            Self::Category => "人员类别",
            Self::JoinedOn => "入党时间",
            Self::Post => "职务",
            Self::Phone => "联系电话",
        }
    }
}

/// Words a header contains, per field, tried in this order: the order settles headers that contain two words
/// (加入党组织日期 is a date of joining, not an organization; 出生日期 is not 入党日期).
const KEYWORDS: &[(Field, &[&str])] = &[
    (Field::IdNumber, &["身份证", "公民身份", "身份号码", "证件号"]),
    (Field::Name, &["姓名"]),
    (Field::Gender, &["性别"]),
    (Field::BirthDate, &["出生"]),
    (Field::Ethnicity, &["民族"]),
    (Field::Education, &["学历", "文化程度"]),
    (Field::JoinedOn, &["入党", "加入党组织", "加入中国共产党"]),
    (Field::Category, &["人员类别", "党员类别", "党员类型", "党籍", "类别", "党员身份"]),
    (Field::Branch, &["支部", "党组织", "所在组织", "所属组织"]),
    (Field::Post, &["职务", "岗位", "职位"]),
    (Field::Phone, &["手机", "电话", "联系方式"]),
];

/// The columns of a header row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Columns {
    index: Vec<(Field, usize)>,
    pub recognized: Vec<(Field, String)>,
    pub ignored: Vec<String>,
}

impl Columns {
    fn get(&self, field: Field) -> Option<usize> {
        self.index.iter().find(|(f, _)| *f == field).map(|(_, i)| *i)
    }
}

/// A header as compared: no spaces, no required-field stars, no line breaks.
fn normalize(header: &str) -> String {
    header.chars().filter(|c| !c.is_whitespace() && !"*＊".contains(*c)).collect()
}

fn field_of(header: &str) -> Option<Field> {
    KEYWORDS.iter().find(|(_, words)| words.iter().any(|w| header.contains(w))).map(|(f, _)| *f)
}

/// The columns of `cells` if it is a header row (it names a 姓名 column); the first column of a field wins.
pub(crate) fn columns(cells: &[Cell]) -> Option<Columns> {
    let mut columns = Columns::default();
    for (i, cell) in cells.iter().enumerate() {
        let header = normalize(&cell.text());
        if header.is_empty() {
            continue;
        }
        match field_of(&header) {
            Some(field) if columns.get(field).is_none() => {
                columns.index.push((field, i));
                columns.recognized.push((field, header));
            }
            _ => columns.ignored.push(header),
        }
    }
    columns.get(Field::Name).map(|_| columns)
}

/// One person from one data row, with every problem a file alone shows.
pub(crate) fn row(line: usize, cells: &[Cell], columns: &Columns) -> RosterRow {
    let empty = Cell::Empty;
    let cell = |field| columns.get(field).and_then(|i| cells.get(i)).unwrap_or(&empty);
    let text = |field| Some(cell(field).text()).filter(|t| !t.is_empty());
    let mut row = RosterRow { line, ..RosterRow::default() };
    // Two-character names are often padded to three with a space (王  伟): spaces are never part of a name.
    row.name = cell(Field::Name).text().chars().filter(|c| !c.is_whitespace()).collect();
    if row.name.is_empty() {
        row.problems.push("缺少姓名".to_owned());
    }
    row.gender = text(Field::Gender);
    if row.gender.as_deref().is_some_and(|g| !matches!(g, "男" | "女")) {
        row.problems.push(format!("性别“{}”应为男或女", row.gender.as_deref().unwrap_or_default()));
    }
    row.ethnicity = text(Field::Ethnicity);
    row.education = text(Field::Education);
    row.branch = text(Field::Branch);
    row.post = text(Field::Post);
    read_category(&mut row, cell(Field::Category));
    read_dates(&mut row, cell(Field::BirthDate), cell(Field::JoinedOn));
    read_id_number(&mut row, cell(Field::IdNumber));
    read_phone(&mut row, cell(Field::Phone));
    row
}

fn read_category(row: &mut RosterRow, cell: &Cell) {
    let text = cell.text();
    row.category = Category::parse(&text);
    if row.category.is_none() {
        row.problems.push(if text.is_empty() {
            "缺少人员类别（正式党员或预备党员）".to_owned()
        } else {
            format!("人员类别“{text}”无法识别，应为正式党员或预备党员")
        });
    }
}

fn read_dates(row: &mut RosterRow, birth: &Cell, joined: &Cell) {
    match parse_date(birth) {
        Ok(date) => row.birth_date = date,
        Err(why) => row.problems.push(format!("出生日期{why}")),
    }
    match parse_date(joined) {
        Ok(date) => row.joined_on = date,
        Err(why) => row.problems.push(format!("入党时间{why}")),
    }
}

/// The ID number, and the birth date and gender it encodes checked against the columns that give them too.
fn read_id_number(row: &mut RosterRow, cell: &Cell) {
    match id_number::parse(cell) {
        Ok(Some(id)) => {
            match &row.birth_date {
                Some(birth) if birth.len() == 10 && *birth != id.birth_date => {
                    row.problems.push(format!("出生日期 {birth} 与身份证号中的 {} 不一致", id.birth_date));
                }
                _ => row.birth_date = Some(id.birth_date.clone()),
            }
            match &row.gender {
                Some(gender) if gender != id.gender => {
                    row.problems.push(format!("性别“{gender}”与身份证号不一致"));
                }
                _ => row.gender = Some(id.gender.to_owned()),
            }
            row.id_number = Some(id.number);
        }
        Ok(None) => {}
        Err(why) => row.problems.push(why),
    }
}

fn read_phone(row: &mut RosterRow, cell: &Cell) {
    let text = match cell {
        Cell::Number(n) => number_text(*n),
        other => other.text(),
    };
    if text.is_empty() {
        return;
    }
    let plausible = text.len() <= 20 && text.chars().all(|c| c.is_ascii_digit() || c == '-') && text.len() >= 7;
    if !plausible {
        row.problems.push(format!("联系电话“{text}”格式不正确"));
    }
    row.phone = Some(text);
}
