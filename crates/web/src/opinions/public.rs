//! The public opinion form at /o/{token}: no sign-in, no cookie, nothing kept of the
//! person. The form needs no CSRF token, because there is no ambient authority to abuse
//! (no session, nothing a forged post could do that its sender could not do openly) and
//! the unguessable token in the path is what a poster must know; a post that names a
//! foreign Origin is still refused by the Origin check (csrf.rs).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{CHANNEL_CLOSED, Member, OpinionChannel, StoreError};
use serde::Deserialize;

use super::gate::Refusal;
use super::{MAX_OPINION_CHARS, is_token, new_token, today};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// The addressee value that means the branch committee.
const COMMITTEE: &str = "committee";

#[derive(Template)]
#[template(path = "opinions/public.html")]
struct PublicPage {
    token: String,
    /// What the page is about; empty when the link is unknown.
    org_name: String,
    campaign_title: String,
    /// (id, name) of the branch's members, by name.
    members: Vec<(String, String)>,
    /// The addressee and text to show again after a refusal, so nothing typed is lost.
    selected: String,
    body: String,
    /// A random id for this rendering of the form, so that submitting it twice is noticed.
    form_id: String,
    error: Option<String>,
    sent: bool,
    state: Shown,
    max_chars: usize,
}

/// Which page the link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Form,
    Closed,
    Unknown,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SentQuery {
    #[serde(default)]
    sent: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct OpinionForm {
    #[serde(default)]
    addressee: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    form_id: String,
}

/// GET /o/{token}
pub(super) async fn form_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    Path(token): Path<String>,
    Query(query): Query<SentQuery>,
) -> Result<Response, AppError> {
    let Some(channel) = channel(&state, &token).await? else {
        return respond(&htmx, StatusCode::NOT_FOUND, unknown(token));
    };
    let mut page = page_for(&state, &channel).await?;
    page.sent = query.sent.is_some();
    respond(&htmx, StatusCode::OK, page)
}

/// POST /o/{token}
pub(super) async fn submit(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    Path(token): Path<String>,
    Form(form): Form<OpinionForm>,
) -> Result<Response, AppError> {
    let Some(channel) = channel(&state, &token).await? else {
        return respond(&htmx, StatusCode::NOT_FOUND, unknown(token));
    };
    let mut page = page_for(&state, &channel).await?;
    if page.state == Shown::Closed {
        return again(&htmx, StatusCode::CONFLICT, page, form, None);
    }
    let body = form.body.trim();
    let chars = body.chars().count();
    if body.is_empty() {
        return again(&htmx, StatusCode::BAD_REQUEST, page, form, Some("请填写意见内容后再提交。".to_owned()));
    }
    if chars > MAX_OPINION_CHARS {
        let message = format!("意见不能超过 {MAX_OPINION_CHARS} 字，现在是 {chars} 字，请精简后再提交。");
        return again(&htmx, StatusCode::BAD_REQUEST, page, form, Some(message));
    }
    let member_id = match form.addressee.as_str() {
        COMMITTEE => None,
        id if page.members.iter().any(|(member, _)| member == id) => Some(id.to_owned()),
        _ => {
            let message = "请从名单中选择意见对象（党支部委员会或一名党员）。".to_owned();
            return again(&htmx, StatusCode::BAD_REQUEST, page, form, Some(message));
        }
    };
    if !is_token(&form.form_id) {
        return again(&htmx, StatusCode::BAD_REQUEST, page, form, Some("页面已过期，请重新提交。".to_owned()));
    }
    match state.opinion_gate.admit(&channel.id, &form.form_id, state.clock.now_ms()) {
        Ok(()) => {}
        Err(Refusal::AlreadyUsed) => {
            page.error = Some("这条意见已经收到，无需重复提交。".to_owned());
            page.sent = true;
            return respond(&htmx, StatusCode::CONFLICT, page);
        }
        Err(Refusal::TooFast) => {
            let message = "此刻提交意见的人较多，请稍等一两分钟后再点“提交”，您写的内容还在。".to_owned();
            return again(&htmx, StatusCode::TOO_MANY_REQUESTS, page, form, Some(message));
        }
    }
    match state.store.add_opinion(&channel.id, member_id.as_deref(), body, &today(&state)).await {
        Ok(()) => Ok(Redirect::to(&format!("/o/{token}?sent=1")).into_response()),
        Err(error) => {
            state.opinion_gate.release(&channel.id, &form.form_id);
            match error {
                StoreError::State(s) if s == CHANNEL_CLOSED => {
                    page.state = Shown::Closed;
                    again(&htmx, StatusCode::CONFLICT, page, form, None)
                }
                other => Err(other.into()),
            }
        }
    }
}

/// The channel a well-formed token names.
async fn channel(state: &AppState, token: &str) -> Result<Option<OpinionChannel>, AppError> {
    if !is_token(token) {
        return Ok(None);
    }
    Ok(state.store.opinion_channel_by_token(token).await?)
}

/// A fresh form for the channel (or the closed notice).
async fn page_for(state: &AppState, channel: &OpinionChannel) -> Result<PublicPage, AppError> {
    let org = state.store.org(&channel.org_id).await?;
    let campaign = state.store.campaign(&channel.campaign_id).await?;
    let members: Vec<Member> = state.store.members_of(&org.id).await?;
    Ok(PublicPage {
        token: channel.token.clone(),
        org_name: org.name,
        campaign_title: campaign.title,
        members: members.into_iter().map(|m| (m.id, m.name)).collect(),
        selected: COMMITTEE.to_owned(),
        body: String::new(),
        form_id: new_token()?,
        error: None,
        sent: false,
        state: if channel.open { Shown::Form } else { Shown::Closed },
        max_chars: MAX_OPINION_CHARS,
    })
}

impl PublicPage {
    fn open(&self) -> bool {
        self.state == Shown::Form
    }

    fn closed(&self) -> bool {
        self.state == Shown::Closed
    }
}

fn unknown(token: String) -> PublicPage {
    PublicPage {
        token,
        org_name: String::new(),
        campaign_title: String::new(),
        members: Vec::new(),
        selected: String::new(),
        body: String::new(),
        form_id: String::new(),
        error: None,
        sent: false,
        state: Shown::Unknown,
        max_chars: MAX_OPINION_CHARS,
    }
}

/// The form again with what was typed, the same form id (nothing was stored) and why.
fn again(
    htmx: &HtmxRequest,
    status: StatusCode,
    mut page: PublicPage,
    form: OpinionForm,
    error: Option<String>,
) -> Result<Response, AppError> {
    page.selected = form.addressee;
    page.body = form.body;
    if is_token(&form.form_id) {
        page.form_id = form.form_id;
    }
    page.error = error;
    respond(htmx, status, page)
}

/// The page with headers that keep it out of caches and search engines, and no cookie.
fn respond(htmx: &HtmxRequest, status: StatusCode, page: PublicPage) -> Result<Response, AppError> {
    let title =
        if page.org_name.is_empty() { "征求意见".to_owned() } else { format!("{}征求意见", page.org_name) };
    let mut response = render(htmx, &title, None, &page)?;
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(HeaderName::from_static("x-robots-tag"), HeaderValue::from_static("noindex, nofollow"));
    Ok(response)
}
