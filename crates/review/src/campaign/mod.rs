//! A campaign (one year's 组织生活会 and 民主评议党员) as data: its required aspects per
//! audience, the standards to compare against, readings, deadlines and the wording every
//! material must contain. Built-in campaigns ship as TOML; users supply their own file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    #[serde(default)]
    pub notice_title: Option<String>,
    /// The standards to compare against (四个对照 …).
    #[serde(default)]
    pub standards: Vec<String>,
    #[serde(default)]
    pub readings: Vec<Reading>,
    /// Step name → date (`materials = 2022-01-10`).
    #[serde(default)]
    pub deadlines: BTreeMap<String, toml::value::Datetime>,
    /// Wording every material must contain (names of the theory, of documents…).
    #[serde(default)]
    pub mandated_phrases: Vec<String>,
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
        Ok(())
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
