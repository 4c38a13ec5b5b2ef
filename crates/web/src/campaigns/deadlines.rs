//! A campaign's deadlines as the home page shows them: each step's date, the days left
//! in Beijing time, and the steps whose date has passed.

use mingjing_review::Campaign as Definition;
use mingjing_review::campaign::days_from_civil;

const DAY_MS: i64 = 86_400_000;
/// Beijing time is UTC+8 all year, with no daylight saving.
const BEIJING_OFFSET_MS: i64 = 8 * 3_600_000;

/// One step's deadline on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineView {
    pub step: &'static str,
    pub date: String,
    /// 还剩 N 天 / 今天截止 / 已过截止日期 N 天
    pub note: String,
    pub overdue: bool,
    /// Due today or within three days.
    pub soon: bool,
}

/// The day number (days since 1970-01-01) of a Unix millisecond time, in Beijing.
pub fn beijing_day(now_ms: i64) -> i64 {
    (now_ms + BEIJING_OFFSET_MS).div_euclid(DAY_MS)
}

/// The deadlines a stored definition sets, in the order the steps happen. A definition
/// that no longer parses shows none rather than failing the whole home page.
pub fn deadlines(definition: &str, today: i64) -> Vec<DeadlineView> {
    let def = match Definition::from_toml(definition) {
        Ok(def) => def,
        Err(error) => {
            tracing::warn!(%error, "a stored campaign definition does not parse");
            return Vec::new();
        }
    };
    def.step_deadlines()
        .into_iter()
        .map(|(step, date)| {
            // A deadline day lasts until its midnight: on the day itself nothing is late yet.
            let left = days_from_civil(date) - today;
            let note = match left {
                0 => "今天截止".to_owned(),
                n if n > 0 => format!("还剩 {n} 天"),
                n => format!("已过截止日期 {} 天", -n),
            };
            DeadlineView {
                step: step.label(),
                date: date.to_string(),
                note,
                overdue: left < 0,
                soon: (0..=3).contains(&left),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01 00:00 Beijing time.
    const NEW_YEAR_MS: i64 = 1_767_196_800_000;
    const DEFINITION: &str = "id = \"x\"\nyear = 2025\nname = \"n\"\n[deadlines]\nmaterials = 2026-01-20\nmeeting = 2026-01-31\n[[aspects.member]]\ntitle = \"政治\"\n";

    #[test]
    fn days_are_counted_in_beijing_time() {
        assert_eq!(beijing_day(NEW_YEAR_MS), 20_454);
        assert_eq!(beijing_day(NEW_YEAR_MS - 1), 20_453, "one millisecond earlier is still 2025 in Beijing");
    }

    #[test]
    fn days_left_today_and_overdue() {
        let on = |day_offset: i64| deadlines(DEFINITION, beijing_day(NEW_YEAR_MS) + day_offset);
        let first = on(0);
        assert_eq!(first[0].step, "对照检查材料");
        assert_eq!((first[0].date.as_str(), first[0].note.as_str()), ("2026-01-20", "还剩 19 天"));
        assert!(!first[0].overdue && !first[0].soon);
        assert_eq!(on(19)[0].note, "今天截止");
        assert!(on(19)[0].soon);
        let late = on(21);
        assert_eq!(late[0].note, "已过截止日期 2 天");
        assert!(late[0].overdue && !late[1].overdue);
    }

    #[test]
    fn a_broken_definition_shows_no_deadlines() {
        assert!(deadlines("id = \"2025\"", 0).is_empty());
    }
}
