//! The campaign's opinion setting, for the superior admin who runs the campaign: k, the
//! fewest opinions about a member before that member may read them (default 5, never
//! below 3, where a member could tell who wrote what).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::MIN_OPINION_THRESHOLD;
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::scope::Scope;
use crate::{AppError, AppState};

/// A threshold above this would hide every opinion from every member of a normal branch.
const MAX_THRESHOLD: i64 = 50;

#[derive(Template)]
#[template(path = "opinions/settings.html")]
struct SettingsPage {
    campaign_id: String,
    campaign_title: String,
    threshold: String,
    min: i64,
    max: i64,
    saved: bool,
    error: Option<String>,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct SettingsForm {
    csrf: String,
    #[serde(default)]
    threshold: String,
}

/// GET /campaigns/{id}/settings/opinions
pub(super) async fn settings_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let page = SettingsPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        threshold: state.store.opinion_threshold(&campaign.id).await?.to_string(),
        min: MIN_OPINION_THRESHOLD,
        max: MAX_THRESHOLD,
        saved: query.saved.is_some(),
        error: None,
        csrf: user.csrf.as_str().to_owned(),
    };
    render(&htmx, "征求意见设置", Some(&user.view()), &page)
}

/// POST /campaigns/{id}/settings/opinions
pub(super) async fn save_settings(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let error = match form.threshold.trim().parse::<i64>() {
        Err(_) => Some("请填写一个整数。".to_owned()),
        Ok(k) if k < MIN_OPINION_THRESHOLD => {
            Some(format!("不能少于 {MIN_OPINION_THRESHOLD} 条：意见太少时，本人容易猜出是谁提的，匿名就失去了意义。"))
        }
        Ok(k) if k > MAX_THRESHOLD => Some(format!("不能多于 {MAX_THRESHOLD} 条，否则党员几乎看不到任何意见原文。")),
        Ok(k) => {
            state.store.set_opinion_threshold(&campaign.id, k, state.clock.now_ms()).await?;
            user.audit(&state, "opinion.settings", Some(&format!("campaign:{}", campaign.id)), "ok", &k.to_string())
                .await?;
            None
        }
    };
    let Some(error) = error else {
        return Ok(Redirect::to(&format!("/campaigns/{}/settings/opinions?saved=1", campaign.id)).into_response());
    };
    let page = SettingsPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        threshold: form.threshold,
        min: MIN_OPINION_THRESHOLD,
        max: MAX_THRESHOLD,
        saved: false,
        error: Some(error),
        csrf: user.csrf.as_str().to_owned(),
    };
    let mut response = render(&htmx, "征求意见设置", Some(&user.view()), &page)?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}
