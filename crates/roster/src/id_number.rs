//! Citizen ID numbers (公民身份号码, GB 11643-1999): 17 digits and a check character; the one Excel turned into a
//! number; masking for the screen.

use crate::cells::Cell;
use crate::dates::is_real_day;

/// What Excel does to an 18-digit number typed into a cell: it keeps 15 significant digits.
pub const EXCEL_FLOAT: &str = "身份证号被Excel转成了数字，请将该列设为文本后重新导出";

/// A checked ID number: the number, and the birth date and gender it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub number: String,
    pub birth_date: String,
    pub gender: &'static str,
}

/// The check character of the first 17 digits (ISO 7064 MOD 11-2), or `None` if they are not 17 digits.
pub fn check_digit(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CODES: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    CODES.get((sum % 11) as usize).copied()
}

/// Parses an ID number cell; `Err` says what is wrong, in Chinese.
pub(crate) fn parse(cell: &Cell) -> Result<Option<IdNumber>, String> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        // Any number in this column lost digits or never had 18: a text column never holds one.
        Cell::Number(n) | Cell::Date(n) if *n >= 1e14 => return Err(EXCEL_FLOAT.to_owned()),
        Cell::Number(_) | Cell::Date(_) => return Err("身份证号应为18位".to_owned()),
        Cell::Text(text) => normalize(text),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if looks_like_float(&text) {
        return Err(EXCEL_FLOAT.to_owned());
    }
    if text.chars().count() != 18 {
        return Err(format!("身份证号“{}”应为18位", mask(&text)));
    }
    // Byte slicing below needs ASCII; anything else is not an ID number anyway.
    if !text.is_ascii() {
        return Err(format!("身份证号“{}”含有数字以外的字符", mask(&text)));
    }
    let (first17, last) = text.split_at(17);
    let Some(expected) = check_digit(first17) else {
        return Err(format!("身份证号“{}”含有数字以外的字符", mask(&text)));
    };
    if !last.starts_with(expected) {
        return Err(format!("身份证号“{}”的校验位不正确，请核对", mask(&text)));
    }
    let birth_date = format!("{}-{}-{}", &text[6..10], &text[10..12], &text[12..14]);
    if !is_real_day(&birth_date) {
        return Err(format!("身份证号“{}”中的出生日期不存在，请核对", mask(&text)));
    }
    let gender = if text.as_bytes()[16] % 2 == 1 { "男" } else { "女" };
    Ok(Some(IdNumber { number: text, birth_date, gender }))
}

/// Drops spaces (full-width too), full-width digits to ASCII, and `x` to `X`.
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            'x' | 'ｘ' | 'Ｘ' => 'X',
            '\'' | '‘' | '’' => '\0',
            c => c,
        })
        .filter(|c| *c != '\0')
        .collect()
}

/// `4.10102198001011E+17` and the like: scientific notation that Excel shows and exports for a long number.
fn looks_like_float(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.contains("E+") && upper.parse::<f64>().is_ok_and(|n| n >= 1e14)
}

/// The ID number as the screen shows it: the first four and last four characters, the rest starred.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..4], &chars[chars.len() - 4..]);
    format!("{}{}{}", head.iter().collect::<String>(), "*".repeat(chars.len() - 8), tail.iter().collect::<String>())
}
