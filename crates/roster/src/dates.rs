//! Dates as rosters write them: 2001-07-01, 2001/7/1, 2001.07, 2001年7月1日, 20010701, and Excel's serial dates.

use crate::cells::Cell;

/// A date cell as `YYYY-MM-DD` (or `YYYY-MM` when only the month is given); `Err` holds why it is not a date, in
/// Chinese, to follow the column's name. An empty cell is `Ok(None)`.
pub fn parse_date(cell: &Cell) -> Result<Option<String>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(serial) => serial_date(*serial).map(Some),
        Cell::Number(n) => number_date(*n).map(Some),
        Cell::Text(text) if text.trim().is_empty() => Ok(None),
        Cell::Text(text) => text_date(text.trim()).map(Some),
    }
}

/// A plain number in a date column: a serial date, or a year.month that was typed into a number cell.
fn number_date(n: f64) -> Result<String, String> {
    if (1900.0..2100.0).contains(&n) && n.fract() != 0.0 {
        // 2001.07 survives as a number, but 2001.1 and 2001.10 are the same number: January or October?
        let hundredths = (n * 100.0).round() as i64;
        if hundredths % 10 == 0 {
            return Err(format!("“{n}”有歧义（可能是1月也可能是10月），请把该列设为文本后写成“2001-10”这样的格式"));
        }
        return ymd(hundredths / 100, hundredths % 100, None);
    }
    if (1900.0..2100.0).contains(&n) {
        return Err(format!("“{n:.0}”只有年份，请写明年月或年月日"));
    }
    if (10_000_000.0..100_000_000.0).contains(&n) && n.fract() == 0.0 {
        return text_date(&format!("{n:.0}"));
    }
    serial_date(n)
}

/// Excel's day count: day 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was, so from day 61 on
/// the count is days since 1899-12-30. Only whole days matter.
fn serial_date(serial: f64) -> Result<String, String> {
    // 1921-07-01 (the Party's founding) is day 7853; 2099-12-31 is 73050.
    if !(7_000.0..=73_050.0).contains(&serial) {
        return Err(format!("“{serial}”不是有效的日期"));
    }
    let days = serial.floor() as i64 - 25_569; // days since 1970-01-01
    let (y, m, d) = civil_from_days(days);
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

fn text_date(text: &str) -> Result<String, String> {
    let bad = || format!("“{text}”不是有效的日期，请写成“2001-07-01”这样的格式");
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    let groups: Vec<&str> = date_part.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect();
    let rest_is_junk = date_part.chars().any(|c| !c.is_ascii_digit() && !"-/.年月日号".contains(c));
    if rest_is_junk {
        return Err(bad());
    }
    let num = |g: &str| g.parse::<i64>().map_err(|_| bad());
    match groups.as_slice() {
        [compact] if compact.len() == 8 => ymd(num(&compact[..4])?, num(&compact[4..6])?, Some(num(&compact[6..])?)),
        [compact] if compact.len() == 6 => ymd(num(&compact[..4])?, num(&compact[4..])?, None),
        [year] if year.len() == 4 => Err(format!("“{text}”只有年份，请写明年月或年月日")),
        [y, m] if y.len() == 4 && m.len() <= 2 => ymd(num(y)?, num(m)?, None),
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => ymd(num(y)?, num(m)?, Some(num(d)?)),
        _ => Err(bad()),
    }
}

/// Checks the parts and formats them; an impossible day (2001-02-30) is refused.
fn ymd(year: i64, month: i64, day: Option<i64>) -> Result<String, String> {
    let shown = match day {
        Some(d) => format!("{year}年{month}月{d}日"),
        None => format!("{year}年{month}月"),
    };
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) {
        return Err(format!("“{shown}”是不可能的日期"));
    }
    match day {
        None => Ok(format!("{year:04}-{month:02}")),
        Some(d) if (1..=days_in_month(year, month)).contains(&d) => Ok(format!("{year:04}-{month:02}-{d:02}")),
        Some(_) => Err(format!("“{shown}”是不可能的日期")),
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether `YYYY-MM-DD` names a real day (for the birth date inside an ID number).
pub(crate) fn is_real_day(text: &str) -> bool {
    let parts: Vec<i64> = text.split('-').filter_map(|p| p.parse().ok()).collect();
    matches!(parts.as_slice(), [y, m, d] if ymd(*y, *m, Some(*d)).is_ok())
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). Public because the server's
/// times and the backups' file names need the same arithmetic, and one copy is enough.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}
