//! A campaign's appraisal settings, edited by the superior admin who owns the campaign: who votes, who is graded,
//! the quorum and the cap on 优秀. They only ever produce warnings; no grade is given automatically.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{AppraisalSettings, Fraction, StoreError};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::scope::Scope;
use crate::{AppError, AppState};

/// A preset share: its form value, label, fraction and whether "more than".
type Preset = (&'static str, &'static str, Fraction, bool);

pub(super) const QUORUMS: [Preset; 4] = [
    ("none", "不设要求", Fraction::NONE, false),
    ("half", "应到人数过半（超过二分之一）", Fraction { num: 1, den: 2 }, true),
    ("two_thirds", "应到人数的三分之二以上（含）", Fraction { num: 2, den: 3 }, false),
    ("p95", "应到人数的 95% 以上（含）", Fraction { num: 95, den: 100 }, false),
];

pub(super) const CAPS: [Preset; 4] = [
    ("none", "不设比例", Fraction::NONE, false),
    ("third", "不超过被测评人数的三分之一", Fraction { num: 1, den: 3 }, false),
    ("quarter", "不超过被测评人数的四分之一", Fraction { num: 1, den: 4 }, false),
    ("fifth", "不超过被测评人数的五分之一", Fraction { num: 1, den: 5 }, false),
];

/// The label of the preset a stored share matches, or the share itself.
pub(super) fn describe(presets: &[Preset], share: Fraction, strict: bool) -> String {
    presets
        .iter()
        .find(|p| (p.2.is_none() && share.is_none()) || (p.2 == share && p.3 == strict))
        .map_or_else(|| format!("{}/{}", share.num, share.den), |p| p.1.to_owned())
}

fn code_of(presets: &[Preset], share: Fraction, strict: bool) -> &'static str {
    presets
        .iter()
        .find(|p| (p.2.is_none() && share.is_none()) || (p.2 == share && p.3 == strict))
        .map_or("none", |p| p.0)
}

#[derive(Template)]
#[template(path = "appraisal/settings.html")]
struct SettingsPage {
    campaign_id: String,
    campaign_title: String,
    csrf: String,
    version: i64,
    probationary_vote: bool,
    probationary_graded: bool,
    quorum: &'static str,
    cap: &'static str,
    quorums: Vec<(&'static str, &'static str)>,
    caps: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

impl SettingsPage {
    fn new(campaign: &mingjing_storage::Campaign, user: &CurrentUser, settings: &AppraisalSettings) -> Self {
        Self {
            campaign_id: campaign.id.clone(),
            campaign_title: campaign.title.clone(),
            csrf: user.csrf.as_str().to_owned(),
            version: settings.version,
            probationary_vote: settings.probationary_vote,
            probationary_graded: settings.probationary_graded,
            quorum: code_of(&QUORUMS, settings.quorum, settings.quorum_strict),
            cap: code_of(&CAPS, settings.excellent_cap, false),
            quorums: QUORUMS.iter().map(|p| (p.0, p.1)).collect(),
            caps: CAPS.iter().map(|p| (p.0, p.1)).collect(),
            error: None,
        }
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if user.role() != mingjing_storage::Role::SuperiorAdmin {
        return Err(AppError::Forbidden);
    }
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let settings = state.store.appraisal_settings(&campaign.id).await?;
    render(&htmx, "民主评议设置", Some(&user.view()), &SettingsPage::new(&campaign, &user, &settings))
}

#[derive(Debug, Deserialize)]
pub(super) struct SettingsForm {
    csrf: String,
    version: String,
    #[serde(default)]
    probationary_vote: String,
    #[serde(default)]
    probationary_graded: String,
    #[serde(default)]
    quorum: String,
    #[serde(default)]
    cap: String,
}

pub(super) async fn save(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    if user.role() != mingjing_storage::Role::SuperiorAdmin {
        return Err(AppError::Forbidden);
    }
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let version: i64 =
        form.version.trim().parse().map_err(|_| AppError::BadRequest("页面已过期，请刷新后重试".into()))?;
    let quorum = QUORUMS.iter().find(|p| p.0 == form.quorum);
    let cap = CAPS.iter().find(|p| p.0 == form.cap);
    let (Some(quorum), Some(cap)) = (quorum, cap) else {
        let mut page = SettingsPage::new(&campaign, &user, &state.store.appraisal_settings(&campaign.id).await?);
        page.error = Some("请从列表中选择到会人数要求和优秀比例".to_owned());
        let mut response = render(&htmx, "民主评议设置", Some(&user.view()), &page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    let settings = AppraisalSettings {
        probationary_vote: form.probationary_vote == "yes",
        probationary_graded: form.probationary_graded == "yes",
        quorum: quorum.2,
        quorum_strict: quorum.3,
        excellent_cap: cap.2,
        version,
    };
    match state.store.save_appraisal_settings(&campaign.id, &settings, state.clock.now_ms()).await {
        Ok(saved) => {
            let detail = format!("第 {} 版", saved.version);
            user.audit(&state, "appraisal.settings", Some(&campaign.id), "ok", &detail).await?;
            Ok(Redirect::to(&format!("/campaigns/{}/settings/appraisal", campaign.id)).into_response())
        }
        Err(StoreError::Stale) => {
            let current = state.store.appraisal_settings(&campaign.id).await?;
            let mut page = SettingsPage::new(&campaign, &user, &settings);
            page.version = current.version;
            page.error = Some(
                "保存失败：设置在您打开本页之后已被他人修改。下面保留了您的选择，确认无误后再次保存将以您的选择为准。"
                    .to_owned(),
            );
            let mut response = render(&htmx, "民主评议设置", Some(&user.view()), &page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
