//! The steps of a campaign that carry a deadline, in the order they happen, and the
//! check that a campaign's deadlines are plain dates in that order.

use std::collections::BTreeMap;

use toml::value::{Date, Datetime};

use super::CampaignError;

/// A step with a deadline. The codes are the keys of a definition's `[deadlines]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// 谈心谈话
    Talks,
    /// 对照检查材料
    Materials,
    /// 组织生活会
    Meeting,
    /// 民主评议党员
    Appraisal,
    /// 上报
    Report,
}

impl Step {
    /// Every step, in the order a campaign runs them.
    pub const ALL: [Self; 5] = [Self::Talks, Self::Materials, Self::Meeting, Self::Appraisal, Self::Report];

    pub fn code(self) -> &'static str {
        match self {
            Self::Talks => "talks",
            Self::Materials => "materials",
            Self::Meeting => "meeting",
            Self::Appraisal => "appraisal",
            Self::Report => "report",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The name shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Talks => "谈心谈话",
            Self::Materials => "对照检查材料",
            Self::Meeting => "组织生活会",
            Self::Appraisal => "民主评议党员",
            Self::Report => "上报结果",
        }
    }

    /// Steps whose deadline may not be later than this one's: everything before the
    /// meeting (talks and materials, whose mutual order notices leave open) comes before
    /// it, the appraisal follows the meeting (often the same day), the report comes last.
    fn not_after(self) -> &'static [Self] {
        match self {
            Self::Talks | Self::Materials => &[],
            Self::Meeting => &[Self::Talks, Self::Materials],
            Self::Appraisal => &[Self::Meeting],
            Self::Report => &[Self::Appraisal, Self::Meeting],
        }
    }
}

/// The date of a deadline value, refusing a time of day: a deadline is a whole day.
pub(super) fn date_of(step: Step, value: &Datetime) -> Result<Date, CampaignError> {
    match (value.date, value.time, value.offset) {
        (Some(date), None, None) if is_real_date(date) => Ok(date),
        _ => Err(CampaignError::Invalid(format!("{}的截止日期应是一个日期，如 2026-01-20", step.label()))),
    }
}

/// Checks every deadline: a known step, a real date, and no step due before one it follows.
pub(super) fn check_deadlines(deadlines: &BTreeMap<String, Datetime>) -> Result<BTreeMap<Step, Date>, CampaignError> {
    let mut dates = BTreeMap::new();
    for (code, value) in deadlines {
        let step = Step::from_code(code).ok_or_else(|| {
            let known: Vec<&str> = Step::ALL.iter().map(|s| s.code()).collect();
            CampaignError::Invalid(format!("没有名为“{code}”的步骤，截止日期可用的步骤有：{}", known.join("、")))
        })?;
        dates.insert(step, date_of(step, value)?);
    }
    for (&step, &date) in &dates {
        for earlier in step.not_after() {
            let Some(&before) = dates.get(earlier) else { continue };
            if key(before) > key(date) {
                return Err(CampaignError::Invalid(format!(
                    "{}的截止日期（{}）不能晚于{}的截止日期（{}）",
                    earlier.label(),
                    before,
                    step.label(),
                    date
                )));
            }
        }
    }
    Ok(dates)
}

fn key(date: Date) -> (u16, u8, u8) {
    (date.year, date.month, date.day)
}

/// Whether a date exists in the Gregorian calendar (TOML's parser allows 2026-02-30).
pub fn is_real_date(date: Date) -> bool {
    let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
    let days = match date.month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&date.day)
}

/// Days since 1970-01-01 of a Gregorian date (negative before), for counting days left.
pub fn days_from_civil(date: Date) -> i64 {
    // Howard Hinnant's algorithm: years counted from March, so the leap day is last.
    let (month, day) = (i64::from(date.month), i64::from(date.day));
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn days_are_counted_across_months_and_leap_years() {
        assert_eq!(days_from_civil(date(1970, 1, 1)), 0);
        assert_eq!(days_from_civil(date(2026, 1, 1)), 20_454);
        assert_eq!(days_from_civil(date(2024, 3, 1)) - days_from_civil(date(2024, 2, 28)), 2);
        assert_eq!(days_from_civil(date(2025, 3, 1)) - days_from_civil(date(2025, 2, 28)), 1);
    }

    #[test]
    fn impossible_dates_are_not_real() {
        assert!(is_real_date(date(2024, 2, 29)));
        assert!(!is_real_date(date(2025, 2, 29)));
        assert!(!is_real_date(date(2026, 4, 31)));
        assert!(!is_real_date(date(2026, 13, 1)));
    }

    #[test]
    fn steps_round_trip_their_codes() {
        for step in Step::ALL {
            assert_eq!(Step::from_code(step.code()), Some(step));
        }
        assert_eq!(Step::from_code("meting"), None);
    }
}
