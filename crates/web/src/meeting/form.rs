//! The record's form as posted: read field by field, checked for sizes and formats, and
//! turned into the stored content; or the stored content turned back into the form. What
//! was typed is kept as typed, so a refused save shows it again untouched.

use std::collections::HashMap;

use mingjing_storage::{
    Criticism, LockGap, Meeting, MeetingAttendance, MeetingContent, Member, Presence, RecordProblem,
};

const MAX_PLACE: usize = 200;
const MAX_OBSERVER_NAME: usize = 50;
const MAX_OBSERVER_POST: usize = 100;
const MAX_AGENDA_ITEMS: usize = 30;
const MAX_AGENDA_ITEM: usize = 200;
const MAX_REPORT: usize = 20_000;
const MAX_MINUTES: usize = 100_000;
const MAX_REASON: usize = 200;
const MAX_CRITICISM: usize = 2_000;
const MAX_CRITICISMS: usize = 300;
/// Most rows of attendance or criticism read from one form.
const MAX_ROWS: usize = 1000;
/// How many empty criticism rows the form offers after the filled ones.
const BLANK_CRITICISM_ROWS: usize = 3;

/// One roster member's attendance row as typed: `state` is `present`, `absent` or empty.
#[derive(Debug, Clone, Default)]
pub(super) struct AttendanceRow {
    pub member_id: String,
    pub state: String,
    pub reason: String,
}

/// One criticism row as typed; a row whose text is empty is dropped (that is how an entry is removed).
#[derive(Debug, Clone, Default)]
pub(super) struct CriticismRow {
    pub from: String,
    pub to: String,
    pub text: String,
}

/// The form's fields, as typed or as stored.
#[derive(Debug, Clone, Default)]
pub(super) struct Posted {
    pub csrf: String,
    pub version: i64,
    pub date: String,
    pub time: String,
    pub place: String,
    /// One item a line.
    pub agenda: String,
    pub observer_name: String,
    pub observer_post: String,
    pub rectification_report: String,
    pub minutes: String,
    pub attendance: Vec<AttendanceRow>,
    pub criticisms: Vec<CriticismRow>,
}

impl Posted {
    /// Reads the posted fields; unknown ones are ignored.
    pub fn read(fields: Vec<(String, String)>) -> Self {
        let mut map: HashMap<String, String> = fields.into_iter().collect();
        let map = &mut map;
        let mut posted = Self {
            csrf: take(map, "csrf"),
            version: take(map, "version").trim().parse().unwrap_or(0),
            date: take(map, "date").trim().to_owned(),
            time: take(map, "time").trim().to_owned(),
            place: take(map, "place"),
            agenda: take(map, "agenda"),
            observer_name: take(map, "observer_name"),
            observer_post: take(map, "observer_post"),
            rectification_report: take(map, "rectification_report"),
            minutes: take(map, "minutes"),
            ..Self::default()
        };
        // The form numbers its rows from 0 without gaps.
        for i in 0..MAX_ROWS {
            if !map.contains_key(&format!("att_member_{i}")) {
                break;
            }
            posted.attendance.push(AttendanceRow {
                member_id: take(map, &format!("att_member_{i}")),
                state: take(map, &format!("att_{i}")),
                reason: take(map, &format!("reason_{i}")),
            });
        }
        for i in 0..MAX_ROWS {
            let names = [format!("crit_from_{i}"), format!("crit_to_{i}"), format!("crit_text_{i}")];
            if !names.iter().any(|name| map.contains_key(name)) {
                break;
            }
            let [from, to, text] = names.map(|name| take(map, &name));
            posted.criticisms.push(CriticismRow { from, to, text });
        }
        posted
    }

    /// The stored record as the form shows it: a row for every member of the roster.
    pub fn from_stored(meeting: Option<&Meeting>, roster: &[Member]) -> Self {
        let Some(meeting) = meeting else {
            let attendance = roster.iter().map(|m| AttendanceRow { member_id: m.id.clone(), ..Default::default() });
            return Self { attendance: attendance.collect(), ..Self::default() };
        };
        let content = &meeting.content;
        let recorded: HashMap<&str, &Presence> =
            content.attendance.iter().map(|a| (a.member_id.as_str(), &a.presence)).collect();
        let attendance = roster
            .iter()
            .map(|m| {
                let (state, reason) = match recorded.get(m.id.as_str()) {
                    Some(Presence::Present) => ("present", String::new()),
                    Some(Presence::Absent { reason }) => ("absent", reason.clone()),
                    None => ("", String::new()),
                };
                AttendanceRow { member_id: m.id.clone(), state: state.to_owned(), reason }
            })
            .collect();
        let criticisms = content
            .criticisms
            .iter()
            .map(|c| CriticismRow { from: c.from_member_id.clone(), to: c.to_member_id.clone(), text: c.text.clone() })
            .collect();
        Self {
            csrf: String::new(),
            version: meeting.version,
            date: content.date.clone(),
            time: content.time.clone(),
            place: content.place.clone(),
            agenda: content.agenda.join("\n"),
            observer_name: content.observer_name.clone(),
            observer_post: content.observer_post.clone(),
            rectification_report: content.rectification_report.clone(),
            minutes: content.minutes.clone(),
            attendance,
            criticisms,
        }
    }

    /// The criticism rows the form shows: the filled ones, then a few blank ones to add more.
    pub fn criticism_rows(&self) -> Vec<CriticismRow> {
        let mut rows: Vec<CriticismRow> = self
            .criticisms
            .iter()
            .filter(|r| !(r.from.is_empty() && r.to.is_empty() && r.text.is_empty()))
            .cloned()
            .collect();
        rows.extend(std::iter::repeat_with(CriticismRow::default).take(BLANK_CRITICISM_ROWS));
        rows
    }

    /// The content to store, or every problem with the form in Chinese. `roster` names the
    /// people in messages.
    pub fn content(&self, roster: &[Member]) -> Result<MeetingContent, Vec<String>> {
        let mut errors = Vec::new();
        let date = check_date(&self.date, &mut errors);
        let time = check_time(&self.time, &mut errors);
        limit(&self.place, MAX_PLACE, "会议地点", &mut errors);
        limit(&self.observer_name, MAX_OBSERVER_NAME, "列席指导人员姓名", &mut errors);
        limit(&self.observer_post, MAX_OBSERVER_POST, "列席指导人员职务", &mut errors);
        limit(&self.rectification_report, MAX_REPORT, "上年度整改情况通报", &mut errors);
        limit(&self.minutes, MAX_MINUTES, "会议记录", &mut errors);
        let agenda: Vec<String> =
            self.agenda.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        if agenda.len() > MAX_AGENDA_ITEMS {
            errors.push(format!("会议议程最多 {MAX_AGENDA_ITEMS} 项，请合并部分议程"));
        }
        if agenda.iter().any(|item| item.chars().count() > MAX_AGENDA_ITEM) {
            errors.push(format!("每项议程不超过 {MAX_AGENDA_ITEM} 字"));
        }
        let names = Names::new(roster);
        let mut attendance = Vec::new();
        for row in &self.attendance {
            let name = names.get(&row.member_id);
            let presence = match row.state.as_str() {
                "" => continue,
                "present" => Presence::Present,
                "absent" => Presence::Absent { reason: row.reason.trim().to_owned() },
                _ => {
                    errors.push(format!("{name}的出席情况无法识别，请重新选择"));
                    continue;
                }
            };
            if row.reason.chars().count() > MAX_REASON {
                errors.push(format!("{name}的缺席原因不超过 {MAX_REASON} 字"));
            }
            attendance.push(MeetingAttendance { member_id: row.member_id.clone(), presence });
        }
        let mut criticisms = Vec::new();
        for (i, row) in self.criticisms.iter().enumerate() {
            if row.text.trim().is_empty() {
                continue;
            }
            let n = i + 1;
            if row.from.is_empty() || row.to.is_empty() {
                errors.push(format!("第 {n} 条批评意见请选择提出人和被批评人"));
                continue;
            }
            if row.text.chars().count() > MAX_CRITICISM {
                errors.push(format!("第 {n} 条批评意见不超过 {MAX_CRITICISM} 字"));
            }
            criticisms.push(Criticism {
                from_member_id: row.from.clone(),
                to_member_id: row.to.clone(),
                text: row.text.trim().to_owned(),
            });
        }
        if criticisms.len() > MAX_CRITICISMS {
            errors.push(format!("批评意见最多记录 {MAX_CRITICISMS} 条"));
        }
        let content = MeetingContent {
            date,
            time,
            place: self.place.trim().to_owned(),
            agenda,
            observer_name: self.observer_name.trim().to_owned(),
            observer_post: self.observer_post.trim().to_owned(),
            rectification_report: self.rectification_report.trim_end().to_owned(),
            minutes: self.minutes.trim_end().to_owned(),
            attendance,
            criticisms,
        };
        let ids: Vec<&str> = roster.iter().map(|m| m.id.as_str()).collect();
        errors.extend(content.problems(&ids).iter().map(|p| problem_message(p, &names)));
        if errors.is_empty() { Ok(content) } else { Err(errors) }
    }
}

/// Member id → name, for messages.
pub(super) struct Names<'a>(HashMap<&'a str, &'a str>);

impl<'a> Names<'a> {
    pub fn new(roster: &'a [Member]) -> Self {
        Self(roster.iter().map(|m| (m.id.as_str(), m.name.as_str())).collect())
    }

    pub fn get(&self, id: &str) -> String {
        self.0.get(id).map_or_else(|| "（非本支部人员）".to_owned(), |name| (*name).to_owned())
    }
}

/// A storage rule's refusal in Chinese.
pub(super) fn problem_message(problem: &RecordProblem, names: &Names<'_>) -> String {
    match problem {
        RecordProblem::NotInBranch { .. } => {
            "所选人员不在本支部党员名单中，请重新选择（只能记录本支部党员）".to_owned()
        }
        RecordProblem::DuplicateAttendance { member_id } => format!("{}的出席情况填了两次", names.get(member_id)),
        RecordProblem::AbsentWithoutReason { member_id } => {
            format!("{}缺席，请填写缺席原因", names.get(member_id))
        }
        RecordProblem::CriticismToSelf { member_id } => format!(
            "{}的批评意见不能提给本人：自我批评写在本人的对照检查材料里，这里只记录对他人的批评",
            names.get(member_id)
        ),
        RecordProblem::EmptyCriticism { entry } => format!("第 {entry} 条批评意见没有内容"),
    }
}

/// What a record still lacks before the lock, in Chinese.
pub(super) fn gap_message(gap: &LockGap, names: &Names<'_>) -> String {
    match gap {
        LockGap::NoDate => "还没有填写会议日期和时间".to_owned(),
        LockGap::NoPlace => "还没有填写会议地点".to_owned(),
        LockGap::NoAttendance => "还没有记录出席情况".to_owned(),
        LockGap::AttendanceMissing { member_ids } => {
            let who: Vec<String> = member_ids.iter().map(|id| names.get(id)).collect();
            format!("以下党员的出席情况还没有记录：{}", who.join("、"))
        }
        LockGap::NoMinutes => "会议记录（发言和讨论情况）还是空的".to_owned(),
    }
}

fn take(map: &mut HashMap<String, String>, name: &str) -> String {
    map.remove(name).unwrap_or_default().replace("\r\n", "\n")
}

fn limit(value: &str, max: usize, label: &str, errors: &mut Vec<String>) {
    if value.chars().count() > max {
        errors.push(format!("{label}不超过 {max} 字"));
    }
}

/// `YYYY-MM-DD` of a real day, or empty.
fn check_date(value: &str, errors: &mut Vec<String>) -> String {
    if value.is_empty() || is_date(value) {
        value.to_owned()
    } else {
        errors.push("会议日期的格式应为 2026-01-15 这样的年-月-日".to_owned());
        String::new()
    }
}

fn is_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y, 4) && all_digits(m, 2) && all_digits(d, 2)) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (2000..=2100).contains(&y) && (1..=days).contains(&d)
}

/// `HH:MM`, or empty; browsers that send seconds (`HH:MM:SS`) have them dropped.
fn check_time(value: &str, errors: &mut Vec<String>) -> String {
    let value = if value.len() == 8 && value.as_bytes().get(5) == Some(&b':') { &value[..5] } else { value };
    let valid = value.len() == 5
        && value.as_bytes()[2] == b':'
        && matches!((value[..2].parse::<u32>(), value[3..].parse::<u32>()), (Ok(h), Ok(m)) if h < 24 && m < 60);
    if value.is_empty() || valid {
        value.to_owned()
    } else {
        errors.push("会议时间的格式应为 09:00 这样的时:分".to_owned());
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_checked() {
        for good in ["2026-01-15", "2024-02-29", "2100-12-31"] {
            assert!(is_date(good), "{good}");
        }
        for bad in ["2026-1-15", "2025-02-29", "2026-13-01", "2026-04-31", "二〇二六年", "1999-01-01", "2026-01-15x"]
        {
            assert!(!is_date(bad), "{bad}");
        }
        let mut errors = Vec::new();
        assert_eq!(check_time("09:30", &mut errors), "09:30");
        assert_eq!(check_time("09:30:00", &mut errors), "09:30");
        assert!(errors.is_empty());
        assert_eq!(check_time("24:00", &mut errors), "");
        assert_eq!(check_time("9点", &mut errors), "");
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn a_criticism_row_without_text_is_dropped_and_one_without_people_is_refused() {
        let fields = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let posted = Posted::read(fields(&[
            ("crit_from_0", "a"),
            ("crit_to_0", "b"),
            ("crit_text_0", ""),
            ("crit_from_1", ""),
            ("crit_to_1", "b"),
            ("crit_text_1", "意见"),
        ]));
        assert_eq!(posted.criticisms.len(), 2);
        let errors = posted.content(&[]).unwrap_err();
        assert_eq!(errors, vec!["第 2 条批评意见请选择提出人和被批评人".to_owned()]);
    }
}
