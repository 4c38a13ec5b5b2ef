//! Materials in the browser: a member writes theirs block by block (or uploads a file the
//! engine splits into those blocks), drafts save themselves, and a submission is reviewed
//! against the campaign's other materials and the reference templates; the secretary reads
//! the review with every finding marked, and approves or returns it with passage notes.

mod editor;
mod export;
mod matters;
mod review;

use axum::Router;
use axum::routing::{get, post};
use mingjing_review::Audience;
use mingjing_review::Campaign as Definition;
use mingjing_storage::{Campaign, Member, Org, Role};

use crate::auth::CurrentUser;
use crate::{AppError, AppState};

pub use editor::review_material;
pub use review::ReviewedVersions;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}", get(editor::campaign_page))
        .route("/campaigns/{id}/material", post(editor::save_material))
        .route("/campaigns/{id}/upload", post(editor::upload_material))
        .route("/campaigns/{id}/matters", get(matters::matters_page).post(matters::save_matters))
        .route("/materials/{id}", get(review::material_page))
        .route("/materials/{id}/decision", post(review::decide))
        .route("/materials/{id}/versions", get(review::versions_page))
        .route("/materials/{id}/document.docx", get(export::material_docx))
}

fn definition(text: &str) -> Result<Definition, AppError> {
    Definition::from_toml(text).map_err(|e| AppError::Internal(e.into()))
}

/// Percent with one decimal, or a dash.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// The campaign, if the user's organization takes part in it (or, for a superior, opened it
/// above or within their subtree). Anything else looks like a missing page.
async fn campaign_in_reach(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Campaign, Org), AppError> {
    let campaign = state.store.campaign(id).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&user.org) && !user.org.contains(&opener) {
        return Err(AppError::NotFound);
    }
    Ok((campaign, opener))
}

/// The member the signed-in account writes as, in a campaign their organization takes part in.
async fn writer(state: &AppState, user: &CurrentUser, campaign_id: &str) -> Result<(Campaign, Org, Member), AppError> {
    let member_id = user.account.member_id.as_deref().ok_or(AppError::Forbidden)?;
    if user.role() != Role::Member && user.role() != Role::Secretary {
        return Err(AppError::Forbidden);
    }
    let (campaign, opener) = campaign_in_reach(state, user, campaign_id).await?;
    if !opener.contains(&user.org) {
        return Err(AppError::NotFound);
    }
    let member = state.store.member(member_id).await?;
    Ok((campaign, opener, member))
}

/// Whether `user` reviews materials of members of `member_org` (and is not their author).
fn reviews(user: &CurrentUser, member: &Member, member_org: &Org) -> bool {
    matches!(user.role(), Role::Secretary | Role::SuperiorAdmin)
        && user.org.contains(member_org)
        && user.account.member_id.as_deref() != Some(member.id.as_str())
}

/// Whether `member` files the 有关事项报告 in a campaign: it is for leading cadres, and only when the campaign asks
/// for it at all (some years' notices leave it out).
fn files_matters_report(def: &Definition, member: &Member) -> Result<(), &'static str> {
    if !def.requires_matters_report(Audience::Member) && !def.requires_matters_report(Audience::Committee) {
        return Err("本次活动不要求填写有关事项报告");
    }
    if !member.leading_cadre {
        return Err("只有党员领导干部需要填写有关事项报告");
    }
    Ok(())
}
