//! A member's own page: the opinions about them once at least k exist, in random order and
//! without dates; below k only that there are fewer than k, and the secretary's summary.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::{member_may_read, shuffle};
use crate::auth::CurrentUser;
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "opinions/mine.html")]
struct MinePage {
    campaign_id: String,
    campaign_title: String,
    threshold: i64,
    /// The opinions, when there are at least `threshold`; `None` below it.
    opinions: Option<Vec<String>>,
    summary: Option<String>,
}

/// GET /campaigns/{id}/opinions/mine
pub(super) async fn mine_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let member_id = user.account.member_id.as_deref().ok_or(AppError::Forbidden)?;
    let campaign = state.store.campaign(&id).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&user.org) {
        return Err(AppError::NotFound);
    }
    let about = state.store.opinions_about(&campaign.id, member_id).await?;
    let opinions = if member_may_read(&state, &campaign.id, about.len()).await? {
        let mut bodies: Vec<String> = about.into_iter().map(|o| o.body).collect();
        shuffle(&mut bodies);
        Some(bodies)
    } else {
        None
    };
    let page = MinePage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        threshold: state.store.opinion_threshold(&campaign.id).await?,
        opinions,
        summary: state.store.opinion_summary(&campaign.id, member_id).await?.map(|s| s.body),
    };
    render(&htmx, "关于我的意见", Some(&user.view()), &page)
}
