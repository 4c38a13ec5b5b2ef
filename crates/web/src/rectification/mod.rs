//! 整改清单 / 台账 in the browser: the branch secretary keeps the ledger (raises items from a
//! material's problems, the minutes' criticism, opinions or by hand, verifies them, publishes
//! the ledger, exports it); an owner sees and updates their own items with progress and
//! evidence; superiors of the subtree read; once published every member of the branch reads
//! it. Also the two places the ledger reaches into other pages: the 年年有 flags of the
//! material page and the meeting's report on last year's rectification.

mod export;
mod item;
mod ledger;
pub mod links;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};
use mingjing_storage::{Campaign, Member, RectificationItem, RectificationStatus};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::prep::{Access, Branch};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{campaign_id}/rectification", get(ledger::index))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/rectification", get(ledger::show).post(ledger::create))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/rectification/new", get(ledger::new_form))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/rectification/sources", get(ledger::sources))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/rectification/publish", post(ledger::publish))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/rectification/export.xlsx", get(export::export))
        .route("/rectification/{id}", get(item::show))
        .route("/rectification/{id}/edit", post(item::edit))
        .route("/rectification/{id}/status", post(item::status))
        .route("/rectification/{id}/verify", post(item::verify))
        .route("/rectification/{id}/notes", post(item::add_note))
        .route("/rectification/attachments/{id}", get(item::attachment))
}

/// The address of a branch's ledger in a campaign.
pub fn ledger_path(campaign_id: &str, org_id: &str) -> String {
    format!("/campaigns/{campaign_id}/orgs/{org_id}/rectification")
}

/// Today in Beijing as `YYYY-MM-DD`, what deadlines are compared with.
pub fn today(now_ms: i64) -> String {
    crate::audit::beijing_time(now_ms).chars().take(10).collect()
}

/// A fresh one-time token for a form that creates something.
fn form_token() -> Result<String, crate::AppError> {
    Ok(crate::csrf::CsrfToken::generate()?.as_str().to_owned())
}

/// Whether a one-time token has the shape [`form_token`] gives.
fn is_form_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether the user may read this item of the branch's ledger: the secretary and superiors
/// all of it; a member their own items, and every item once the ledger is published.
fn reads_item(branch: &Branch, item: &RectificationItem, published: bool) -> bool {
    match &branch.access {
        Access::Records | Access::Reads => true,
        Access::Member(member) => {
            published || item.owner_member_id == member.id || item.member_id.as_deref() == Some(member.id.as_str())
        }
    }
}

/// Whether the user carries out this item: its owner, by their account's roster entry.
fn owns(user: &CurrentUser, item: &RectificationItem) -> bool {
    user.account.member_id.as_deref() == Some(item.owner_member_id.as_str())
}

/// The status a reader sees, with 逾期 when the deadline passed and it is not done.
#[derive(Debug)]
pub struct StatusView {
    pub label: &'static str,
    pub code: &'static str,
    pub overdue: bool,
}

fn status_view(item: &RectificationItem, today: &str) -> StatusView {
    let code = match item.status {
        RectificationStatus::NotStarted => "none",
        RectificationStatus::InProgress => "draft",
        RectificationStatus::Done => "submitted",
        RectificationStatus::Verified => "approved",
    };
    StatusView { label: item.status.label(), code, overdue: item.overdue(today) }
}

/// Names of the branch's members, with anyone since moved away named as such.
fn names(roster: &[Member]) -> HashMap<String, String> {
    roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect()
}

fn name_of(names: &HashMap<String, String>, id: Option<&str>) -> String {
    match id {
        None => "支部".to_owned(),
        Some(id) => names.get(id).cloned().unwrap_or_else(|| "（已转出）".to_owned()),
    }
}

/// The campaign the branch took part in before this one: the latest of an earlier year.
pub async fn previous_campaign(
    state: &AppState,
    campaign: &Campaign,
    org: &mingjing_storage::Org,
) -> Result<Option<Campaign>, crate::AppError> {
    let earlier = state.store.campaigns_for(org).await?.into_iter().filter(|c| c.year < campaign.year);
    Ok(earlier.max_by(|a, b| a.year.cmp(&b.year).then_with(|| a.id.cmp(&b.id))))
}
