//! A member's own appraisal page: their self-evaluation (个人自评), mutual evaluations (党员互评) written and
//! received, and the ballot rounds they vote in by phone. The entry link sends each role to its page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{Campaign, Channel, Member, Role};
use serde::Deserialize;

use super::{MUTUAL_EVALUATION_MAX, SELF_EVALUATION_MAX, as_member, text_field};
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// `/campaigns/{id}/appraisal`: a member to their own page, a secretary to their branch's, a superior admin to the
/// list of organizations in their subtree.
pub(super) async fn entry(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match user.role() {
        Role::Member => Ok(Redirect::to(&format!("/campaigns/{id}/appraisal/mine")).into_response()),
        Role::Secretary => Ok(Redirect::to(&format!("/campaigns/{id}/orgs/{}/appraisal", user.org.id)).into_response()),
        Role::SuperiorAdmin => super::branch::index(&state, &htmx, &user, &id).await,
        Role::Auditor | Role::SystemAdmin | Role::SecurityAdmin => Err(AppError::Forbidden),
    }
}

/// A comment as its addressee or author reads it.
#[derive(Debug)]
struct CommentView {
    other: String,
    body: String,
}

#[derive(Template)]
#[template(path = "appraisal/mine.html")]
struct MinePage {
    campaign_id: String,
    campaign_title: String,
    csrf: String,
    self_evaluation: String,
    saved: bool,
    error: Option<String>,
    mutual_draft: String,
    mutual_to: String,
    colleagues: Vec<(String, String)>,
    received: Vec<CommentView>,
    written: Vec<CommentView>,
    /// Open rounds in which this member votes by phone and has not voted.
    ballots: Vec<String>,
}

async fn mine_page(
    state: &AppState,
    user: &CurrentUser,
    campaign: &Campaign,
    member: &Member,
) -> Result<MinePage, AppError> {
    let colleagues: Vec<Member> =
        state.store.members_of(&member.org_id).await?.into_iter().filter(|m| m.id != member.id).collect();
    let name_of =
        |id: &str| colleagues.iter().find(|m| m.id == id).map_or_else(|| "（已调出）".to_owned(), |m| m.name.clone());
    let mut received = Vec::new();
    let mut written = Vec::new();
    for comment in state.store.mutual_evaluations(&campaign.id, &member.org_id, Some(&member.id)).await? {
        if comment.to_member_id == member.id {
            received.push(CommentView { other: name_of(&comment.from_member_id), body: comment.body });
        } else {
            written.push(CommentView { other: name_of(&comment.to_member_id), body: comment.body });
        }
    }
    let mut ballots = Vec::new();
    for round in state.store.ballot_rounds(&campaign.id, &member.org_id).await? {
        if !round.is_open() {
            continue;
        }
        let voters = state.store.round_voters(&round.id).await?;
        if voters.iter().any(|v| v.member_id == member.id && v.channel == Channel::Phone && !v.voted) {
            ballots.push(round.id);
        }
    }
    Ok(MinePage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        csrf: user.csrf.as_str().to_owned(),
        self_evaluation: state.store.self_evaluation(&campaign.id, &member.id).await?.unwrap_or_default(),
        saved: false,
        error: None,
        mutual_draft: String::new(),
        mutual_to: String::new(),
        colleagues: colleagues.into_iter().map(|m| (m.id, m.name)).collect(),
        received,
        written,
        ballots,
    })
}

pub(super) async fn mine(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (campaign, member) = as_member(&state, &user, &id).await?;
    let page = mine_page(&state, &user, &campaign, &member).await?;
    render(&htmx, "民主评议", Some(&user.view()), &page)
}

#[derive(Debug, Deserialize)]
pub(super) struct SelfForm {
    csrf: String,
    body: String,
}

pub(super) async fn save_self(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<SelfForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (campaign, member) = as_member(&state, &user, &id).await?;
    let mut page = mine_page(&state, &user, &campaign, &member).await?;
    match text_field(&form.body, "个人自评", SELF_EVALUATION_MAX, true) {
        Ok(body) => {
            state.store.save_self_evaluation(&campaign.id, &member.id, &body, state.clock.now_ms()).await?;
            user.audit(&state, "appraisal.self_evaluation", Some(&campaign.id), "ok", "").await?;
            page.self_evaluation = body;
            page.saved = true;
            render(&htmx, "民主评议", Some(&user.view()), &page)
        }
        Err(message) => {
            // What was typed comes back, so nothing is lost.
            page.self_evaluation = form.body;
            page.error = Some(message);
            let mut response = render(&htmx, "民主评议", Some(&user.view()), &page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct MutualForm {
    csrf: String,
    to: String,
    body: String,
}

pub(super) async fn add_mutual(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<MutualForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (campaign, member) = as_member(&state, &user, &id).await?;
    let mut page = mine_page(&state, &user, &campaign, &member).await?;
    let addressee = page.colleagues.iter().any(|(id, _)| *id == form.to);
    let checked = if addressee {
        text_field(&form.body, "互评意见", MUTUAL_EVALUATION_MAX, true)
    } else {
        Err("请从列表中选择本支部的一名党员".to_owned())
    };
    match checked {
        Ok(body) => {
            state
                .store
                .add_mutual_evaluation(&campaign.id, &member.org_id, &member.id, &form.to, &body, state.clock.now_ms())
                .await?;
            user.audit(&state, "appraisal.mutual_evaluation", Some(&campaign.id), "ok", "").await?;
            Ok(Redirect::to(&format!("/campaigns/{}/appraisal/mine", campaign.id)).into_response())
        }
        Err(message) => {
            page.mutual_draft = form.body;
            page.mutual_to = form.to;
            page.error = Some(message);
            let mut response = render(&htmx, "民主评议", Some(&user.view()), &page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}
