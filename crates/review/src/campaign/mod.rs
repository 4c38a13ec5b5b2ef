//! A campaign (one year's 组织生活会 and 民主评议党员) as data: its required aspects per
//! audience, the standards to compare against, readings, deadlines and the wording every
//! material must contain. Built-in campaigns ship as TOML; users supply their own file.

mod step;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::value::Date;

pub use step::{Step, days_from_civil, is_real_date};

/// Who writes the material: aspect lists differ for members and the branch committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Member,
    Committee,
}

/// One required check aspect (检视方面).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aspect {
    /// The heading as the notice words it.
    pub title: String,
    /// Words a section on this aspect usually uses; helps match short titles (政治、思想…).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// One required reading (规定篇目).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    pub title: String,
    /// Where to find it (出版社, 报刊, 文件号); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The required aspects, per audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Aspects {
    #[serde(default)]
    pub member: Vec<Aspect>,
    #[serde(default)]
    pub committee: Vec<Aspect>,
}

/// A campaign definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub id: String,
    /// The year the meetings review (年度), not the year they are held.
    pub year: u16,
    pub name: String,
    /// Title of the superior's notice, which materials cite and so is never copying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_title: Option<String>,
    /// The standards to compare against (四个对照 …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standards: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<Reading>,
    /// Step code ([`Step::code`]) → date (`materials = 2022-01-10`); see [`Campaign::deadline`].
    #[serde(default)]
    pub deadlines: BTreeMap<String, toml::value::Datetime>,
    /// Wording every material must contain (names of the theory, of documents…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mandated_phrases: Vec<String>,
    /// The audiences whose material must include the 有关事项报告 (`["committee"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matters_report: Vec<Audience>,
    pub aspects: Aspects,
}

/// Why a campaign definition was refused. `Display` is shown to users, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("没有编号为“{0}”的内置年度工作，可用的有：{1}")]
    UnknownBuiltin(String, String),
    #[error("年度工作定义文件格式有误：{0}")]
    Syntax(String),
    #[error("年度工作定义有误：{0}")]
    Invalid(String),
}

/// Built-in campaigns: id and TOML text.
const BUILTIN: &[(&str, &str)] = &[
    ("2021-county", include_str!("builtin/2021-county.toml")),
    ("2021-annual", include_str!("builtin/2021-annual.toml")),
    ("2022-annual", include_str!("builtin/2022-annual.toml")),
    ("2025-annual", include_str!("builtin/2025-annual.toml")),
];

/// Phrases every material may contain whatever the campaign: names of the theory and
/// of standing slogans. They are never repetition or copying.
pub const COMMON_MANDATED: &[&str] = &[
    "习近平新时代中国特色社会主义思想",
    "中国特色社会主义",
    "四个意识",
    "四个自信",
    "两个维护",
    "两个确立",
    "中央八项规定精神",
    "全面从严治党",
    "形式主义官僚主义",
    "组织生活会",
    "民主评议党员",
    "对照检查材料",
];

impl Campaign {
    /// Ids of the built-in campaigns.
    pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(id, _)| *id)
    }

    /// A built-in campaign by id.
    pub fn builtin(id: &str) -> Result<Self, CampaignError> {
        let (_, text) = BUILTIN.iter().find(|(known, _)| *known == id).ok_or_else(|| {
            CampaignError::UnknownBuiltin(id.to_owned(), Self::builtin_ids().collect::<Vec<_>>().join("、"))
        })?;
        Self::from_toml(text)
    }

    /// Parses and checks a campaign definition.
    pub fn from_toml(text: &str) -> Result<Self, CampaignError> {
        let campaign: Self = toml::from_str(text).map_err(|e| CampaignError::Syntax(e.to_string()))?;
        campaign.validate()?;
        Ok(campaign)
    }

    fn validate(&self) -> Result<(), CampaignError> {
        if self.id.trim().is_empty() {
            return Err(CampaignError::Invalid("缺少编号（id）".into()));
        }
        if self.aspects.member.is_empty() && self.aspects.committee.is_empty() {
            return Err(CampaignError::Invalid("至少要为党员或支部委员会规定一个检视方面".into()));
        }
        for aspect in self.aspects.member.iter().chain(&self.aspects.committee) {
            if aspect.title.trim().is_empty() {
                return Err(CampaignError::Invalid("检视方面的标题不能为空".into()));
            }
        }
        step::check_deadlines(&self.deadlines)?;
        Ok(())
    }

    /// The deadline of a step, if the campaign sets one. A definition that passed
    /// [`Campaign::from_toml`] holds only plain dates.
    pub fn deadline(&self, step: Step) -> Option<Date> {
        self.deadlines.get(step.code()).and_then(|value| step::date_of(step, value).ok())
    }

    /// Every deadline the campaign sets, in the order the steps happen.
    pub fn step_deadlines(&self) -> Vec<(Step, Date)> {
        Step::ALL.into_iter().filter_map(|step| self.deadline(step).map(|date| (step, date))).collect()
    }

    /// Whether an audience's material must include the 有关事项报告.
    pub fn requires_matters_report(&self, audience: Audience) -> bool {
        self.matters_report.contains(&audience)
    }

    /// The aspects required of an audience; a campaign that lists none for the
    /// committee holds the committee to the members' list.
    pub fn aspects_for(&self, audience: Audience) -> &[Aspect] {
        match audience {
            Audience::Committee if !self.aspects.committee.is_empty() => &self.aspects.committee,
            Audience::Committee => &self.aspects.member,
            Audience::Member if !self.aspects.member.is_empty() => &self.aspects.member,
            Audience::Member => &self.aspects.committee,
        }
    }

    /// Everything a material must or may quote, net of which text is not copying.
    pub fn mandated_phrases(&self, audience: Audience) -> Vec<String> {
        let mut phrases: Vec<String> = COMMON_MANDATED.iter().map(|p| (*p).to_owned()).collect();
        phrases.extend(self.mandated_phrases.iter().cloned());
        phrases.extend(self.notice_title.iter().cloned());
        phrases.extend(self.standards.iter().cloned());
        phrases.extend(self.readings.iter().map(|r| r.title.clone()));
        phrases.extend(self.aspects_for(audience).iter().map(|a| a.title.clone()));
        phrases
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_has_aspects() {
        for id in Campaign::builtin_ids() {
            let campaign = Campaign::builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(campaign.id, id);
            assert!(!campaign.aspects_for(Audience::Member).is_empty(), "{id}");
        }
    }

    #[test]
    fn builtin_aspect_counts_follow_the_notices() {
        let count = |id| Campaign::builtin(id).map(|c| c.aspects.member.len()).ok();
        assert_eq!(count("2021-county"), Some(5));
        assert_eq!(count("2021-annual"), Some(7));
        assert_eq!(count("2022-annual"), Some(6));
        assert_eq!(count("2025-annual"), Some(6));
    }

    #[test]
    fn every_builtin_round_trips_through_toml() {
        for id in Campaign::builtin_ids() {
            let campaign = Campaign::builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            let text = toml::to_string(&campaign).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(Campaign::from_toml(&text), Ok(campaign), "{id}:\n{text}");
        }
    }

    #[test]
    fn a_full_definition_round_trips_through_toml() {
        let text = r#"
            id = "2026-county"
            year = 2026
            name = "2026年度组织生活会"
            notice_title = "关于召开2026年度组织生活会的通知"
            standards = ["党中央和总书记的要求", "合格党员标准"]
            mandated_phrases = ["党的二十届四中全会精神"]
            matters_report = ["committee"]
            [[readings]]
            title = "习近平新时代中国特色社会主义思想学习纲要"
            source = "学习出版社"
            [[readings]]
            title = "中国共产党章程"
            [deadlines]
            talks = 2027-01-10
            materials = 2027-01-15
            meeting = 2027-01-25
            appraisal = 2027-01-25
            report = 2027-02-05
            [[aspects.member]]
            title = "政治纪律"
            keywords = ["两个维护"]
        "#;
        let campaign = Campaign::from_toml(text).expect("valid");
        assert!(campaign.requires_matters_report(Audience::Committee));
        assert!(!campaign.requires_matters_report(Audience::Member));
        assert_eq!(campaign.readings[0].source.as_deref(), Some("学习出版社"));
        let steps: Vec<Step> = campaign.step_deadlines().into_iter().map(|(s, _)| s).collect();
        assert_eq!(steps, Step::ALL.to_vec(), "in the order the steps happen");
        let again = toml::to_string(&campaign).expect("serializes");
        assert_eq!(Campaign::from_toml(&again), Ok(campaign));
    }

    #[test]
    fn deadlines_must_be_known_steps_real_dates_and_in_order() {
        let with = |deadlines: &str| {
            Campaign::from_toml(&format!(
                "id = \"x\"\nyear = 2025\nname = \"n\"\n[deadlines]\n{deadlines}\n[[aspects.member]]\ntitle = \"政治\"\n"
            ))
        };
        assert!(with("materials = 2026-01-20\nmeeting = 2026-01-20").is_ok(), "the same day is fine");
        let err = with("materials = 2026-01-25\nmeeting = 2026-01-20").unwrap_err().to_string();
        assert!(err.contains("对照检查材料的截止日期（2026-01-25）不能晚于组织生活会"), "{err}");
        let err = with("meting = 2026-01-20").unwrap_err().to_string();
        assert!(err.contains("没有名为“meting”的步骤"), "{err}");
        assert!(with("meeting = 2026-02-30").is_err(), "the TOML reader itself refuses impossible dates");
        let err = with("meeting = 2026-01-20T09:00:00").unwrap_err().to_string();
        assert!(err.contains("应是一个日期"), "{err}");
        assert!(with("report = 2026-01-01\nappraisal = 2026-01-02").is_err());
    }

    #[test]
    fn unknown_builtin_lists_the_known_ones() {
        let err = Campaign::builtin("1999").unwrap_err().to_string();
        assert!(err.contains("2021-county"), "{err}");
    }

    #[test]
    fn user_file_with_unknown_key_is_refused_in_chinese() {
        let err = Campaign::from_toml("id = \"x\"\nyear = 2024\nname = \"n\"\ncolour = 1\n[aspects]\n").unwrap_err();
        assert!(matches!(err, CampaignError::Syntax(_)), "{err:?}");
        assert!(err.to_string().starts_with("年度工作定义文件格式有误"));
    }

    #[test]
    fn campaign_without_aspects_is_invalid() {
        let err = Campaign::from_toml("id = \"x\"\nyear = 2024\nname = \"n\"\n[aspects]\n").unwrap_err();
        assert!(matches!(err, CampaignError::Invalid(_)), "{err:?}");
    }

    #[test]
    fn user_file_with_committee_aspects_and_deadlines() {
        let text = r#"
            id = "2025-county"
            year = 2025
            name = "2025年度组织生活会"
            [deadlines]
            materials = 2026-01-20
            [[aspects.member]]
            title = "政治纪律"
            [[aspects.committee]]
            title = "组织纪律"
            keywords = ["民主集中制"]
        "#;
        let campaign = Campaign::from_toml(text).expect("valid");
        assert_eq!(campaign.aspects_for(Audience::Committee)[0].title, "组织纪律");
        assert_eq!(campaign.deadlines["materials"].to_string(), "2026-01-20");
        assert!(campaign.mandated_phrases(Audience::Member).contains(&"政治纪律".to_owned()));
    }
}
