//! Democratic appraisal (民主评议党员) in the browser: the campaign's settings, members' self-evaluations and mutual
//! evaluations, the secret ballot (on phones, with printed codes, or counted on paper), the committee's decisions
//! and the follow-up of a 不合格. How the ballot stays secret is in docs/anonymity.md.

mod ballot;
mod boxes;
mod branch;
mod export;
mod member;
mod settings;

use axum::Router;
use axum::routing::{get, post};
use mingjing_storage::{Campaign, Member, Org, Role, StoreError};

use crate::auth::CurrentUser;
use crate::scope::Scope;
use crate::{AppError, AppState};

pub use boxes::BallotBoxes;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/appraisal", get(member::entry))
        .route("/campaigns/{id}/appraisal/mine", get(member::mine))
        .route("/campaigns/{id}/appraisal/self", post(member::save_self))
        .route("/campaigns/{id}/appraisal/mutual", post(member::add_mutual))
        .route("/campaigns/{id}/settings/appraisal", get(settings::page).post(settings::save))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal", get(branch::page))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/rounds", post(branch::open_round))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/rounds/{rid}/codes", get(branch::codes))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/rounds/{rid}/close", post(branch::close))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/rounds/{rid}/void", post(branch::void))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/rounds/{rid}/tally", post(branch::tally))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/decisions", post(branch::decide))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/followups/{fid}", post(branch::decide_followup))
        .route("/ballots/{id}", get(ballot::phone_page).post(ballot::phone_vote))
        .route("/ballot", get(ballot::code_page).post(ballot::code_enter))
        .route("/ballot/vote", post(ballot::code_vote))
        .route("/campaigns/{cid}/orgs/{oid}/appraisal/results.docx", get(export::results_docx))
}

/// Longest self-evaluation, mutual evaluation and decision reason, in characters.
const SELF_EVALUATION_MAX: usize = 3000;
const MUTUAL_EVALUATION_MAX: usize = 1000;
const REASON_MAX: usize = 500;

/// The campaign, if the organization `org` takes part in it (it was opened at or above `org`).
async fn campaign_for(state: &AppState, campaign_id: &str, org: &Org) -> Result<Campaign, AppError> {
    let campaign = match state.store.campaign(campaign_id).await {
        Ok(campaign) => campaign,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let opener = state.store.org(&campaign.org_id).await?;
    if opener.contains(org) { Ok(campaign) } else { Err(AppError::NotFound) }
}

/// A branch's appraisal as the secretary (their own branch) or a superior admin (their subtree) runs or follows it.
async fn branch_in_reach(
    state: &AppState,
    user: &CurrentUser,
    campaign_id: &str,
    org_id: &str,
) -> Result<(Campaign, Org), AppError> {
    if !matches!(user.role(), Role::Secretary | Role::SuperiorAdmin) {
        return Err(AppError::Forbidden);
    }
    let org = Scope::new(state, user).org(org_id).await?;
    let campaign = campaign_for(state, campaign_id, &org).await?;
    Ok((campaign, org))
}

/// The member the signed-in account is, with their campaign: members and secretaries who are members themselves.
async fn as_member(state: &AppState, user: &CurrentUser, campaign_id: &str) -> Result<(Campaign, Member), AppError> {
    if !matches!(user.role(), Role::Member | Role::Secretary) {
        return Err(AppError::Forbidden);
    }
    let member_id = user.account.member_id.as_deref().ok_or(AppError::Forbidden)?;
    let member = state.store.member(member_id).await?;
    let org = state.store.org(&member.org_id).await?;
    let campaign = campaign_for(state, campaign_id, &org).await?;
    Ok((campaign, member))
}

/// Text from a form, trimmed, refused when empty (if `required`) or longer than `max` characters.
fn text_field(value: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(format!("请填写{what}"));
    }
    let length = value.chars().count();
    if length > max {
        return Err(format!("{what}不能超过 {max} 字（现有 {length} 字）"));
    }
    Ok(value.to_owned())
}
