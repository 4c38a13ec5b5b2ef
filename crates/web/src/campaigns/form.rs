//! The campaign form: what the superior admin types, turned into the engine's campaign
//! definition with every mistake listed in Chinese, and a definition turned back into
//! the form's text for editing.
//!
//! List fields are textareas, one entry per line, because that is what an admin can fill
//! by pasting from the notice: no script, no row buttons, order by moving lines.

use std::collections::BTreeMap;

use mingjing_review::campaign::{Aspect, Aspects, CampaignError, Reading, Step, is_real_date};
use mingjing_review::{Audience, Campaign as Definition};
use serde::Deserialize;
use toml::value::{Date, Datetime};

/// Longest title, notice title and aspect title accepted, in characters.
const MAX_TITLE: usize = 100;
const MAX_LINE: usize = 300;
/// Longest notice text, in characters.
const MAX_NOTICE: usize = 20_000;
/// Most entries in one list field; notices have 4 to 7 aspects and a handful of readings.
const MAX_ENTRIES: usize = 30;

/// The form as submitted, every field as typed, so that a refused form comes back intact.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    pub csrf: String,
    /// The version the edit started from; empty when creating.
    pub version: String,
    pub title: String,
    pub year: String,
    pub notice_title: String,
    pub notice: String,
    pub org_id: String,
    pub member_aspects: String,
    pub committee_aspects: String,
    pub matters_member: Option<String>,
    pub matters_committee: Option<String>,
    pub standards: String,
    pub readings: String,
    pub mandated_phrases: String,
    pub deadline_talks: String,
    pub deadline_materials: String,
    pub deadline_meeting: String,
    pub deadline_appraisal: String,
    pub deadline_report: String,
}

/// What a valid form becomes: the stored columns and the engine's definition.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub title: String,
    pub year: i64,
    pub notice: String,
    pub definition: Definition,
}

impl CampaignForm {
    /// The form showing a definition, for a new campaign from a template or an edit.
    pub fn from_definition(def: &Definition, notice: &str, org_id: &str) -> Self {
        let date = |step| def.deadline(step).map(|d| d.to_string()).unwrap_or_default();
        Self {
            title: def.name.clone(),
            year: def.year.to_string(),
            notice_title: def.notice_title.clone().unwrap_or_default(),
            notice: notice.to_owned(),
            org_id: org_id.to_owned(),
            member_aspects: aspects_text(&def.aspects.member),
            committee_aspects: aspects_text(&def.aspects.committee),
            matters_member: def.requires_matters_report(Audience::Member).then(|| "on".to_owned()),
            matters_committee: def.requires_matters_report(Audience::Committee).then(|| "on".to_owned()),
            standards: def.standards.join("\n"),
            readings: readings_text(&def.readings),
            mandated_phrases: def.mandated_phrases.join("\n"),
            deadline_talks: date(Step::Talks),
            deadline_materials: date(Step::Materials),
            deadline_meeting: date(Step::Meeting),
            deadline_appraisal: date(Step::Appraisal),
            deadline_report: date(Step::Report),
            ..Self::default()
        }
    }

    /// The date field of a step, as typed.
    pub fn deadline_field(&self, step: Step) -> &str {
        match step {
            Step::Talks => &self.deadline_talks,
            Step::Materials => &self.deadline_materials,
            Step::Meeting => &self.deadline_meeting,
            Step::Appraisal => &self.deadline_appraisal,
            Step::Report => &self.deadline_report,
        }
    }

    /// The definition the form describes, under `id`, or every mistake in it. The
    /// participating organization is the caller's to check: it needs the database.
    pub fn parse(&self, id: &str) -> Result<Parsed, Vec<String>> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() {
            errors.push("请填写标题".to_owned());
        } else if title.chars().count() > MAX_TITLE {
            errors.push(format!("标题不能超过 {MAX_TITLE} 个字"));
        }
        let year = match parse_year(&self.year) {
            Ok(year) => year,
            Err(message) => {
                errors.push(message);
                0
            }
        };
        let notice_title = self.notice_title.trim();
        if notice_title.chars().count() > MAX_LINE {
            errors.push(format!("通知标题不能超过 {MAX_LINE} 个字"));
        }
        if self.notice.chars().count() > MAX_NOTICE {
            errors.push(format!("通知正文不能超过 {MAX_NOTICE} 个字"));
        }
        let before = errors.len();
        let member = parse_aspects("党员的检视方面", &self.member_aspects, &mut errors);
        // When lines were refused, their own messages say why the list is empty.
        if member.is_empty() && errors.len() == before {
            errors.push("请至少填写一个党员的检视方面".to_owned());
        }
        let committee = parse_aspects("支部委员会的检视方面", &self.committee_aspects, &mut errors);
        let standards = parse_lines("对照标准", &self.standards, &mut errors);
        let readings = parse_readings(&self.readings, &mut errors);
        let mandated_phrases = parse_lines("规定表述", &self.mandated_phrases, &mut errors);
        let deadlines = self.parse_deadlines(&mut errors);
        let mut matters_report = Vec::new();
        if self.matters_member.is_some() {
            matters_report.push(Audience::Member);
        }
        if self.matters_committee.is_some() {
            matters_report.push(Audience::Committee);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let definition = Definition {
            id: id.to_owned(),
            year,
            name: title.to_owned(),
            notice_title: (!notice_title.is_empty()).then(|| notice_title.to_owned()),
            standards,
            readings,
            deadlines,
            mandated_phrases,
            matters_report,
            aspects: Aspects { member, committee },
        };
        // The engine's own checks (the order of the deadlines) on exactly what is stored.
        let text = toml::to_string(&definition).map_err(|e| vec![format!("无法保存年度工作定义：{e}")])?;
        let definition = Definition::from_toml(&text).map_err(|e| {
            vec![match e {
                CampaignError::Invalid(message) | CampaignError::Syntax(message) => message,
                other => other.to_string(),
            }]
        })?;
        Ok(Parsed { title: title.to_owned(), year: i64::from(year), notice: self.notice.trim().to_owned(), definition })
    }

    fn parse_deadlines(&self, errors: &mut Vec<String>) -> BTreeMap<String, Datetime> {
        let mut deadlines = BTreeMap::new();
        for step in Step::ALL {
            let typed = self.deadline_field(step).trim();
            if typed.is_empty() {
                continue;
            }
            match parse_date(typed) {
                Some(date) => {
                    deadlines.insert(step.code().to_owned(), Datetime { date: Some(date), time: None, offset: None });
                }
                None => errors
                    .push(format!("{}的截止日期“{typed}”不是有效的日期，请按 2026-01-20 的格式填写", step.label())),
            }
        }
        deadlines
    }
}

fn parse_year(typed: &str) -> Result<u16, String> {
    let typed = typed.trim().trim_end_matches('年');
    match typed.parse::<u16>() {
        Ok(year) if (2000..=2100).contains(&year) => Ok(year),
        _ => Err("年度应是四位数的年份，如 2025".to_owned()),
    }
}

/// A date as people type it: 2026-01-20, 2026/1/20, 2026.1.20 or 2026年1月20日.
pub fn parse_date(typed: &str) -> Option<Date> {
    let unified: String = typed
        .trim()
        .trim_end_matches('日')
        .chars()
        .map(|c| if matches!(c, '年' | '月' | '/' | '.' | '－') { '-' } else { c })
        .collect();
    let mut parts = unified.split('-').map(|p| p.trim().parse::<u32>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let date = Date {
        year: u16::try_from(year).ok().filter(|y| (1000..=9999).contains(y))?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
    };
    is_real_date(date).then_some(date)
}

/// Non-empty lines, trimmed, without a leading list number the notice had.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| (i + 1, strip_number(line.trim()))).filter(|(_, line)| !line.is_empty())
}

/// Removes a leading （一） (1) 一、 1. 1、 ① from a line pasted from a notice.
fn strip_number(line: &str) -> &str {
    const NUMERALS: &str = "一二三四五六七八九十0123456789";
    let is_numeral = |c: char| NUMERALS.contains(c);
    for (open, close) in [('（', '）'), ('(', ')')] {
        let Some(rest) = line.strip_prefix(open) else { continue };
        let Some(end) = rest.find(close) else { continue };
        if end > 0 && rest[..end].chars().all(is_numeral) {
            return rest[end + close.len_utf8()..].trim_start();
        }
    }
    let digits_end = line.find(|c: char| !is_numeral(c)).unwrap_or(line.len());
    if digits_end > 0 {
        let rest = &line[digits_end..];
        for mark in ['、', '.', '．'] {
            if let Some(rest) = rest.strip_prefix(mark) {
                return rest.trim_start();
            }
        }
    }
    line.trim_start_matches(|c: char| ('①'..='⑳').contains(&c)).trim_start()
}

fn too_many(what: &str, count: usize, errors: &mut Vec<String>) -> bool {
    if count > MAX_ENTRIES {
        errors.push(format!("{what}最多 {MAX_ENTRIES} 条"));
        true
    } else {
        false
    }
}

/// `标题：关键词1、关键词2` per line; the keywords follow the last colon, so a title that
/// has a colon of its own is written with a colon at the end.
fn parse_aspects(what: &str, text: &str, errors: &mut Vec<String>) -> Vec<Aspect> {
    let mut aspects = Vec::new();
    for (number, line) in lines(text) {
        let (title, keywords) = match line.rfind(['：', ':']) {
            Some(at) => {
                let colon = line[at..].chars().next().map_or(1, char::len_utf8);
                (line[..at].trim(), &line[at + colon..])
            }
            None => (line, ""),
        };
        if title.is_empty() {
            errors.push(format!("{what}第 {number} 行没有标题"));
            continue;
        }
        if title.chars().count() > MAX_LINE {
            errors.push(format!("{what}第 {number} 行的标题超过 {MAX_LINE} 个字"));
            continue;
        }
        let keywords = keywords
            .split(['、', '，', ',', '；', ';', ' ', '　'])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        aspects.push(Aspect { title: title.to_owned(), keywords });
    }
    if too_many(what, aspects.len(), errors) {
        aspects.clear();
    }
    aspects
}

fn parse_lines(what: &str, text: &str, errors: &mut Vec<String>) -> Vec<String> {
    let mut entries = Vec::new();
    for (number, line) in lines(text) {
        if line.chars().count() > MAX_LINE {
            errors.push(format!("{what}第 {number} 行超过 {MAX_LINE} 个字"));
        } else {
            entries.push(line.to_owned());
        }
    }
    too_many(what, entries.len(), errors);
    entries
}

/// `篇目｜出处` per line, the source optional.
fn parse_readings(text: &str, errors: &mut Vec<String>) -> Vec<Reading> {
    let mut readings = Vec::new();
    for (number, line) in lines(text) {
        let (title, source) = match line.split_once(['｜', '|']) {
            Some((title, source)) => (title.trim(), Some(source.trim()).filter(|s| !s.is_empty())),
            None => (line, None),
        };
        if title.is_empty() {
            errors.push(format!("学习篇目第 {number} 行没有篇目名称"));
        } else if line.chars().count() > MAX_LINE {
            errors.push(format!("学习篇目第 {number} 行超过 {MAX_LINE} 个字"));
        } else {
            readings.push(Reading { title: title.to_owned(), source: source.map(str::to_owned) });
        }
    }
    too_many("学习篇目", readings.len(), errors);
    readings
}

fn aspects_text(aspects: &[Aspect]) -> String {
    let line = |a: &Aspect| {
        if a.keywords.is_empty() && !a.title.contains(['：', ':']) {
            a.title.clone()
        } else {
            format!("{}：{}", a.title, a.keywords.join("、"))
        }
    };
    aspects.iter().map(line).collect::<Vec<_>>().join("\n")
}

fn readings_text(readings: &[Reading]) -> String {
    let line = |r: &Reading| match &r.source {
        Some(source) => format!("{}｜{source}", r.title),
        None => r.title.clone(),
    };
    readings.iter().map(line).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CampaignForm {
        CampaignForm {
            title: "2025年度组织生活会".into(),
            year: "2025".into(),
            member_aspects: "（一）政治纪律：两个维护、政治方向\n2. 组织纪律\n\n廉洁纪律：八项规定".into(),
            ..CampaignForm::default()
        }
    }

    #[test]
    fn every_builtin_survives_the_form() {
        for id in Definition::builtin_ids() {
            let def = Definition::builtin(id).expect("built in");
            let parsed = CampaignForm::from_definition(&def, "", "org").parse(id).expect("valid");
            assert_eq!(parsed.definition, def, "{id}");
        }
    }

    #[test]
    fn aspects_lose_their_numbers_and_keep_their_order() {
        let parsed = form().parse("x").expect("valid");
        let aspects = &parsed.definition.aspects.member;
        let titles: Vec<&str> = aspects.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["政治纪律", "组织纪律", "廉洁纪律"]);
        assert_eq!(aspects[0].keywords, ["两个维护", "政治方向"]);
        assert!(aspects[1].keywords.is_empty());
    }

    #[test]
    fn a_title_with_a_colon_round_trips() {
        let mut def = form().parse("x").expect("valid").definition;
        def.aspects.member[1].title = "纪律：政治纪律".into();
        let again = CampaignForm::from_definition(&def, "", "").parse("x").expect("valid");
        assert_eq!(again.definition.aspects.member[1].title, "纪律：政治纪律");
    }

    #[test]
    fn mistakes_are_listed_together_in_chinese() {
        let bad = CampaignForm {
            title: " ".into(),
            year: "25".into(),
            member_aspects: String::new(),
            deadline_meeting: "2026-02-30".into(),
            ..CampaignForm::default()
        };
        let errors = bad.parse("x").unwrap_err();
        assert!(errors.contains(&"请填写标题".to_owned()), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("年度应是四位数")), "{errors:?}");
        assert!(errors.contains(&"请至少填写一个党员的检视方面".to_owned()), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("组织生活会的截止日期“2026-02-30”不是有效的日期")), "{errors:?}");
    }

    #[test]
    fn deadlines_out_of_order_are_refused_by_the_engine_rule() {
        let bad =
            CampaignForm { deadline_materials: "2026-01-25".into(), deadline_meeting: "2026-01-20".into(), ..form() };
        let errors = bad.parse("x").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("不能晚于组织生活会的截止日期"), "{errors:?}");
    }

    #[test]
    fn dates_are_read_as_people_write_them() {
        let day = |y, m, d| Some(Date { year: y, month: m, day: d });
        assert_eq!(parse_date("2026-01-20"), day(2026, 1, 20));
        assert_eq!(parse_date("2026/1/5"), day(2026, 1, 5));
        assert_eq!(parse_date("2026年1月5日"), day(2026, 1, 5));
        assert_eq!(parse_date("2026.12.31"), day(2026, 12, 31));
        for bad in ["2026-1", "明天", "2026-01-20-1", "20260120", "2026-00-10", "99999-1-1"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn readings_take_an_optional_source() {
        let with = CampaignForm {
            readings: "《中国共产党章程》\n习近平新时代中国特色社会主义思想学习纲要｜学习出版社".into(),
            matters_committee: Some("on".into()),
            ..form()
        };
        let def = with.parse("x").expect("valid").definition;
        assert_eq!(def.readings[0], Reading { title: "《中国共产党章程》".into(), source: None });
        assert_eq!(def.readings[1].source.as_deref(), Some("学习出版社"));
        assert_eq!(def.matters_report, [Audience::Committee]);
    }
}
