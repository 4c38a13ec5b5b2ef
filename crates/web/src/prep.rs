//! What the branch pages before the meeting (学习研讨, 谈心谈话) share: who may open a branch's pages in a campaign
//! and in which capacity, the campaign's index of branches, and the rule for the dates recorded.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_review::Campaign as Definition;
use mingjing_review::campaign::{days_from_civil, is_real_date};
use mingjing_storage::{Campaign, Member, Org, OrgKind, Role, StoreError};

use crate::auth::CurrentUser;
use crate::campaigns::deadlines::beijing_day;
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// In what capacity the user opens a branch's pages.
#[derive(Debug, Clone)]
pub enum Access {
    /// The branch's secretary: records, edits and deletes.
    Records,
    /// A superior admin of the subtree: reads everything, records nothing (the records are the branch's own).
    Reads,
    /// A member of the branch: sees the branch's study sessions and their own talks.
    Member(Box<Member>),
}

impl Access {
    pub fn records(&self) -> bool {
        matches!(self, Self::Records)
    }

    /// The member the user is, when they open the pages as one.
    pub fn member(&self) -> Option<&Member> {
        match self {
            Self::Member(member) => Some(member),
            Self::Records | Self::Reads => None,
        }
    }
}

/// A branch in a campaign, opened by a user allowed to.
#[derive(Debug, Clone)]
pub struct Branch {
    pub campaign: Campaign,
    pub org: Org,
    pub access: Access,
    /// The branch's roster, its 党小组 included, by name.
    pub roster: Vec<Member>,
}

impl Branch {
    /// The campaign's definition, if it still parses (a broken one shows no readings rather than no page).
    pub fn definition(&self) -> Option<Definition> {
        Definition::from_toml(&self.campaign.definition).ok()
    }

    pub fn member_name(&self, id: &str) -> String {
        self.roster.iter().find(|m| m.id == id).map_or_else(|| "（已转出）".to_owned(), |m| m.name.clone())
    }

    /// The base of the branch's pages.
    pub fn url(&self, page: &str) -> String {
        format!("/campaigns/{}/orgs/{}/{page}", self.campaign.id, self.org.id)
    }

    /// Refuses, with 403 and an audit entry, anyone but the secretary trying to record.
    pub async fn require_recorder(&self, state: &AppState, user: &CurrentUser, what: &str) -> Result<(), AppError> {
        if self.access.records() {
            return Ok(());
        }
        let target = format!("org:{}", self.org.id);
        user.audit(state, "access_denied", Some(&target), "denied", &format!("无权记录{what}")).await?;
        Err(AppError::Forbidden)
    }
}

/// The delete button's form: the token, and the version the page showed, so a record changed since is not deleted.
#[derive(Debug, serde::Deserialize)]
pub struct DeleteForm {
    pub csrf: String,
    #[serde(default)]
    pub version: i64,
}

/// Records a refusal of something named in the URL and answers 404, as [`crate::Scope`] does.
pub async fn refuse(state: &AppState, user: &CurrentUser, kind: &str, id: &str, why: &str) -> AppError {
    let id: String = id.chars().take(64).collect();
    match user.audit(state, "access_denied", Some(&format!("{kind}:{id}")), "denied", why).await {
        Ok(()) => AppError::NotFound,
        Err(e) => e,
    }
}

/// The campaign `campaign_id` and the branch `org_id` taking part in it, if the user may open the branch's pages.
pub async fn branch(state: &AppState, user: &CurrentUser, campaign_id: &str, org_id: &str) -> Result<Branch, AppError> {
    let campaign = match state.store.campaign(campaign_id).await {
        Ok(campaign) => campaign,
        Err(StoreError::NotFound) => return Err(refuse(state, user, "campaign", campaign_id, "不存在").await),
        Err(e) => return Err(e.into()),
    };
    let org = match state.store.org(org_id).await {
        Ok(org) if org.kind == OrgKind::Branch && !org.dissolved => org,
        Ok(_) | Err(StoreError::NotFound) => return Err(refuse(state, user, "org", org_id, "不是党支部").await),
        Err(e) => return Err(e.into()),
    };
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&org) {
        return Err(refuse(state, user, "org", org_id, "不在本次工作范围").await);
    }
    let access = match user.role() {
        Role::Secretary if user.org.contains(&org) => Access::Records,
        Role::SuperiorAdmin if user.org.contains(&org) => Access::Reads,
        Role::Member => match own_member(state, user).await? {
            Some((member, member_org)) if org.contains(&member_org) => Access::Member(Box::new(member)),
            _ => return Err(refuse(state, user, "org", org_id, "超出权限范围").await),
        },
        _ => return Err(refuse(state, user, "org", org_id, "超出权限范围").await),
    };
    let roster = state.store.members_under(&org.path).await?;
    Ok(Branch { campaign, org, access, roster })
}

/// The member the account is, and their organization.
async fn own_member(state: &AppState, user: &CurrentUser) -> Result<Option<(Member, Org)>, AppError> {
    let Some(id) = user.account.member_id.as_deref() else { return Ok(None) };
    let member = state.store.member(id).await?;
    let org = state.store.org(&member.org_id).await?;
    Ok(Some((member, org)))
}

/// The branch a member or secretary belongs to: their organization, or the branch above their 党小组.
async fn own_branch(state: &AppState, user: &CurrentUser) -> Result<Option<Org>, AppError> {
    let org = match user.role() {
        Role::Secretary => user.org.clone(),
        Role::Member => match own_member(state, user).await? {
            Some((_, org)) => org,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    match (org.kind, org.parent_id.as_deref()) {
        (OrgKind::Branch, _) => Ok(Some(org)),
        (OrgKind::Group, Some(parent)) => {
            Ok(Some(state.store.org(parent).await?).filter(|o| o.kind == OrgKind::Branch))
        }
        _ => Ok(None),
    }
}

#[derive(Template)]
#[template(path = "prep/branches.html")]
struct BranchesPage {
    campaign_title: String,
    heading: &'static str,
    /// (url, branch name)
    branches: Vec<(String, String)>,
    settings_url: Option<String>,
}

/// GET /campaigns/{id}/study and /campaigns/{id}/talks: a secretary or member goes to their branch's page, a
/// superior admin picks one of the branches of their subtree that take part.
pub async fn index(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign_id: &str,
    page: &'static str,
) -> Result<Response, AppError> {
    if user.role() != Role::SuperiorAdmin {
        let Some(org) = own_branch(state, user).await? else {
            return Err(refuse(state, user, "campaign", campaign_id, "不属于任何党支部").await);
        };
        // The branch page checks the campaign and the user again.
        return Ok(Redirect::to(&format!("/campaigns/{campaign_id}/orgs/{}/{page}", org.id)).into_response());
    }
    let campaign = match state.store.campaign(campaign_id).await {
        Ok(campaign) => campaign,
        Err(StoreError::NotFound) => return Err(refuse(state, user, "campaign", campaign_id, "不存在").await),
        Err(e) => return Err(e.into()),
    };
    let opener = state.store.org(&campaign.org_id).await?;
    let root = if user.org.contains(&opener) {
        opener
    } else if opener.contains(&user.org) {
        user.org.clone()
    } else {
        return Err(refuse(state, user, "campaign", campaign_id, "超出权限范围").await);
    };
    let branches = state
        .store
        .subtree(&root)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Branch)
        .map(|o| (format!("/campaigns/{campaign_id}/orgs/{}/{page}", o.id), o.name))
        .collect();
    let manages = user.org.contains(&state.store.org(&campaign.org_id).await?);
    let view = BranchesPage {
        heading: match page {
            "study" => "学习研讨",
            "rectification" => "整改台账",
            _ => "谈心谈话",
        },
        settings_url: (manages && page == "talks").then(|| format!("/campaigns/{campaign_id}/settings/talks")),
        campaign_title: campaign.title,
        branches,
    };
    render(htmx, view.heading, Some(&user.view()), &view)
}

pub(crate) async fn study_index(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    index(&state, &htmx, &user, &id, "study").await
}

pub(crate) async fn talks_index(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    index(&state, &htmx, &user, &id, "talks").await
}

/// Checks a recorded day: a real `YYYY-MM-DD`, within the campaign's year or the first half of the next (when the
/// meetings of a 年度 are held), and not after today in Beijing: a record is of something that happened.
pub fn check_date(text: &str, campaign_year: i64, now_ms: i64) -> Result<String, String> {
    let text = text.trim();
    let date = match text.parse::<toml::value::Datetime>() {
        Ok(toml::value::Datetime { date: Some(date), time: None, offset: None }) if is_real_date(date) => date,
        _ => return Err("请按“2025-12-01”的格式填写日期".to_owned()),
    };
    let (year, month) = (i64::from(date.year), date.month);
    if year < campaign_year || year > campaign_year + 1 || (year == campaign_year + 1 && month > 6) {
        return Err(format!("日期应在 {campaign_year} 年 1 月 1 日至 {} 年 6 月 30 日之间", campaign_year + 1));
    }
    if days_from_civil(date) > beijing_day(now_ms) {
        return Err("日期不能晚于今天：请在活动开展后再记录".to_owned());
    }
    Ok(text.to_owned())
}

/// Trims a text field and checks its length in characters.
pub fn check_text(text: &str, label: &str, max: usize, required: bool) -> Result<String, String> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(format!("请填写{label}"));
    }
    if text.chars().count() > max {
        return Err(format!("{label}太长（最多 {max} 个字，现在 {} 个字）", text.chars().count()));
    }
    Ok(text.to_owned())
}

/// The Chinese message of a rule storage enforced, for the form to show.
pub fn rule_message(error: &StoreError) -> Option<&'static str> {
    match error {
        StoreError::State(s) if s == mingjing_storage::ABSENCE_WITHOUT_REASON => Some("缺席的党员必须填写缺席原因"),
        StoreError::State(s) if s == mingjing_storage::NOT_IN_BRANCH => Some("所选人员不在本支部党员名册上"),
        StoreError::State(s) if s == mingjing_storage::TALK_WITH_SELF => Some("谈话双方不能是同一个人"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01 00:00 Beijing time.
    const NEW_YEAR: i64 = 1_767_196_800_000;

    #[test]
    fn dates_lie_in_the_campaign_window_and_not_ahead() {
        assert_eq!(check_date(" 2025-12-01 ", 2025, NEW_YEAR), Ok("2025-12-01".to_owned()));
        assert_eq!(check_date("2026-01-01", 2025, NEW_YEAR), Ok("2026-01-01".to_owned()), "today is fine");
        assert!(check_date("2026-01-02", 2025, NEW_YEAR).is_err_and(|e| e.contains("不能晚于今天")));
        assert!(check_date("2024-12-31", 2025, NEW_YEAR).is_err_and(|e| e.contains("之间")));
        let summer = NEW_YEAR + 200 * 86_400_000;
        assert!(check_date("2026-06-30", 2025, summer).is_ok());
        assert!(check_date("2026-07-01", 2025, summer).is_err_and(|e| e.contains("6 月 30 日")));
        for bad in ["", "2025-02-30", "2025/12/01", "2025-12-01T10:00:00", "昨天"] {
            assert!(check_date(bad, 2025, NEW_YEAR).is_err_and(|e| e.contains("格式")), "{bad}");
        }
    }

    #[test]
    fn texts_are_trimmed_and_bounded_in_characters() {
        assert_eq!(check_text("  会议室 ", "地点", 3, true), Ok("会议室".to_owned()));
        assert!(check_text("   ", "地点", 3, true).is_err_and(|e| e == "请填写地点"));
        assert_eq!(check_text("", "备注", 3, false), Ok(String::new()));
        assert!(check_text("四个汉字", "地点", 3, true).is_err_and(|e| e.contains("最多 3 个字")));
    }
}
