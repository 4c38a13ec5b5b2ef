//! The secretary's side (and the superior admin's, for the branches of their subtree):
//! open, close and reopen the channel, show its link and QR code, read every opinion
//! grouped by addressee in random order with the day only, and write the summary relayed
//! to each member.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{Campaign, Org, Role, StoreError};
use serde::Deserialize;

use super::{MAX_SUMMARY_CHARS, new_token, shuffle};
use crate::auth::{CurrentUser, require_csrf};
use crate::csrf::TokenForm;
use crate::pages::{HtmxRequest, render};
use crate::scope::Scope;
use crate::{AppError, AppState};

/// The campaign and the organization a channel URL names, if the user is the secretary
/// or a superior admin over it and the organization takes part in the campaign. Anyone
/// else (a member, the auditor) gets the audited 404 of [`Scope::org`].
pub(super) async fn in_scope(
    state: &AppState,
    user: &CurrentUser,
    cid: &str,
    oid: &str,
) -> Result<(Campaign, Org), AppError> {
    let org = Scope::new(state, user).org(oid).await?;
    let campaign = state.store.campaign(cid).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&org) {
        return Err(AppError::NotFound);
    }
    Ok((campaign, org))
}

/// The public link of a channel: on the first configured allowed origin (the address the
/// site is published at), else on the host the secretary reached the server by.
pub(super) fn public_link(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    link(&state.config.allowed_origins, state.config.behind_tls, host, token)
}

fn link(allowed_origins: &[String], behind_tls: bool, host: Option<&str>, token: &str) -> String {
    let base = match allowed_origins.first() {
        Some(origin) => origin.clone(),
        None => {
            let scheme = if behind_tls { "https" } else { "http" };
            format!("{scheme}://{}", host.unwrap_or("localhost"))
        }
    };
    format!("{base}/o/{token}")
}

struct OpinionView {
    body: String,
    day: String,
}

struct MemberOpinions {
    member_id: String,
    name: String,
    opinions: Vec<OpinionView>,
    summary: String,
    version: i64,
    /// The member already reads the opinions themselves (at least k).
    readable: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "opinions/channel.html")]
struct ChannelPage {
    campaign_id: String,
    campaign_title: String,
    org_id: String,
    org_name: String,
    /// None: never opened.
    open: Option<bool>,
    link: String,
    threshold: i64,
    total: usize,
    committee: Vec<OpinionView>,
    members: Vec<MemberOpinions>,
    saved: bool,
    manages_campaign: bool,
    csrf: String,
}

/// A summary the secretary typed that could not be saved, shown again in its box.
struct Typed {
    member_id: String,
    body: String,
    version: i64,
    error: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// GET /campaigns/{cid}/orgs/{oid}/opinions
pub(super) async fn channel_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let (campaign, org) = in_scope(&state, &user, &cid, &oid).await?;
    let mut page = build(&state, &user, &headers, &campaign, &org, None).await?;
    page.saved = query.saved.is_some();
    user.audit(&state, "opinion.view", Some(&target(&campaign, &org)), "ok", "").await?;
    render(&htmx, &format!("{}征求意见", org.name), Some(&user.view()), &page)
}

fn target(campaign: &Campaign, org: &Org) -> String {
    format!("campaign:{}/org:{}", campaign.id, org.id)
}

async fn build(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    campaign: &Campaign,
    org: &Org,
    typed: Option<Typed>,
) -> Result<ChannelPage, AppError> {
    let channel = state.store.opinion_channel(&campaign.id, &org.id).await?;
    let opinions = match &channel {
        Some(channel) => state.store.opinions_of_channel(&channel.id).await?,
        None => Vec::new(),
    };
    let total = opinions.len();
    let threshold = state.store.opinion_threshold(&campaign.id).await?;
    let summaries: HashMap<String, (String, i64)> = state
        .store
        .opinion_summaries(&campaign.id, &org.id)
        .await?
        .into_iter()
        .map(|s| (s.member_id, (s.body, s.version)))
        .collect();
    let mut committee = Vec::new();
    let mut by_member: HashMap<String, Vec<OpinionView>> = HashMap::new();
    for opinion in opinions {
        let view = OpinionView { body: opinion.body, day: opinion.day };
        match opinion.member_id {
            Some(id) => by_member.entry(id).or_default().push(view),
            None => committee.push(view),
        }
    }
    shuffle(&mut committee);
    let mut members = Vec::new();
    let roster = state.store.members_of(&org.id).await?;
    let mut names: Vec<(String, String)> = roster.into_iter().map(|m| (m.id, m.name)).collect();
    // Opinions about someone who has since moved to another branch stay readable here.
    for id in by_member.keys() {
        if !names.iter().any(|(member, _)| member == id) {
            let member = state.store.member(id).await?;
            names.push((member.id, format!("{}（已不在本支部）", member.name)));
        }
    }
    for (member_id, name) in names {
        let mut opinions = by_member.remove(&member_id).unwrap_or_default();
        shuffle(&mut opinions);
        let (summary, version) = summaries.get(&member_id).cloned().unwrap_or_default();
        let readable = i64::try_from(opinions.len()).unwrap_or(i64::MAX) >= threshold;
        let mut view = MemberOpinions { member_id, name, opinions, summary, version, readable, error: None };
        if let Some(typed) = typed.as_ref().filter(|t| t.member_id == view.member_id) {
            view.summary.clone_from(&typed.body);
            view.version = typed.version;
            view.error = Some(typed.error.clone());
        }
        members.push(view);
    }
    let opener = state.store.org(&campaign.org_id).await?;
    Ok(ChannelPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        org_id: org.id.clone(),
        org_name: org.name.clone(),
        open: channel.as_ref().map(|c| c.open),
        link: channel.as_ref().map(|c| public_link(state, headers, &c.token)).unwrap_or_default(),
        threshold,
        total,
        committee,
        members,
        saved: false,
        manages_campaign: user.role() == Role::SuperiorAdmin && user.org.contains(&opener),
        csrf: user.csrf.as_str().to_owned(),
    })
}

fn back(campaign: &Campaign, org: &Org) -> String {
    format!("/campaigns/{}/orgs/{}/opinions", campaign.id, org.id)
}

/// POST …/opinions/open: opens (or reopens) the channel.
pub(super) async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (campaign, org) = in_scope(&state, &user, &cid, &oid).await?;
    let token = new_token()?;
    state.store.open_opinion_channel(&campaign.id, &org.id, &token, state.clock.now_ms()).await?;
    user.audit(&state, "opinion.open", Some(&target(&campaign, &org)), "ok", "").await?;
    Ok(Redirect::to(&back(&campaign, &org)).into_response())
}

/// POST …/opinions/close: stops taking opinions; what came in stays.
pub(super) async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (campaign, org) = in_scope(&state, &user, &cid, &oid).await?;
    let channel = state
        .store
        .opinion_channel(&campaign.id, &org.id)
        .await?
        .ok_or_else(|| AppError::Conflict("还没有开启意见征集，无需关闭".to_owned()))?;
    state.store.set_opinion_channel_open(&channel.id, false, state.clock.now_ms()).await?;
    user.audit(&state, "opinion.close", Some(&target(&campaign, &org)), "ok", "").await?;
    Ok(Redirect::to(&back(&campaign, &org)).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct SummaryForm {
    csrf: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    body: String,
}

/// POST …/opinions/summary: the summary relayed to one member.
pub(super) async fn save_summary(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    Form(form): Form<SummaryForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (campaign, org) = in_scope(&state, &user, &cid, &oid).await?;
    let member = match state.store.member(&form.member_id).await {
        Ok(member) if member.org_id == org.id => member,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(AppError::BadRequest("这名党员不在本支部名单中，请刷新页面".to_owned()));
        }
        Err(e) => return Err(e.into()),
    };
    let seen: i64 = form.version.trim().parse().unwrap_or(-1);
    let body = form.body.trim();
    let chars = body.chars().count();
    let refusal = if seen < 0 {
        Some((StatusCode::BAD_REQUEST, "页面已过期，请刷新后重试。".to_owned()))
    } else if body.is_empty() {
        Some((StatusCode::BAD_REQUEST, "请填写要转达给本人的意见摘要。".to_owned()))
    } else if chars > MAX_SUMMARY_CHARS {
        Some((StatusCode::BAD_REQUEST, format!("摘要不能超过 {MAX_SUMMARY_CHARS} 字，现在是 {chars} 字。")))
    } else {
        match state.store.save_opinion_summary(&campaign.id, &member.id, seen, body, state.clock.now_ms()).await {
            Ok(_) => None,
            Err(StoreError::Stale) => Some((
                StatusCode::CONFLICT,
                "摘要已在别处（可能是另一个窗口）修改过。下面是您刚写的内容，再次保存将替换已保存的摘要。".to_owned(),
            )),
            Err(e) => return Err(e.into()),
        }
    };
    let Some((status, error)) = refusal else {
        user.audit(&state, "opinion.summary", Some(&format!("member:{}", member.id)), "ok", "").await?;
        return Ok(Redirect::to(&format!("{}?saved=1#m{}", back(&campaign, &org), member.id)).into_response());
    };
    let version = match status {
        // Shown again on the stored version, so saving again replaces it knowingly.
        StatusCode::CONFLICT => state.store.opinion_summary(&campaign.id, &member.id).await?.map_or(0, |s| s.version),
        _ => seen.max(0),
    };
    let typed = Typed { member_id: member.id.clone(), body: form.body, version, error };
    let page = build(&state, &user, &headers, &campaign, &org, Some(typed)).await?;
    let mut response = render(&htmx, &format!("{}征求意见", org.name), Some(&user.view()), &page)?;
    *response.status_mut() = status;
    Ok(response)
}

struct OrgRow {
    id: String,
    name: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "opinions/list.html")]
struct ListPage {
    campaign_id: String,
    campaign_title: String,
    rows: Vec<OrgRow>,
    manages_campaign: bool,
}

/// GET /campaigns/{id}/opinions: a member goes to the opinions about them, a secretary to
/// their branch's channel, a superior admin gets the organizations of their subtree.
pub(super) async fn campaign_opinions(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match user.role() {
        Role::Member => return Ok(Redirect::to(&format!("/campaigns/{id}/opinions/mine")).into_response()),
        Role::Secretary => {
            return Ok(Redirect::to(&format!("/campaigns/{id}/orgs/{}/opinions", user.org.id)).into_response());
        }
        Role::SuperiorAdmin => {}
        Role::Auditor | Role::SystemAdmin | Role::SecurityAdmin => return Err(AppError::Forbidden),
    }
    let campaign = state.store.campaign(&id).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&user.org) && !user.org.contains(&opener) {
        return Err(AppError::NotFound);
    }
    let channels: HashMap<String, bool> =
        state.store.opinion_channels_of(&campaign.id).await?.into_iter().map(|c| (c.org_id, c.open)).collect();
    let with_members: HashMap<String, i64> = state.store.member_counts(&user.org.path).await?.into_iter().collect();
    let rows = state
        .store
        .subtree(&user.org)
        .await?
        .into_iter()
        .filter(|org| opener.contains(org) && with_members.contains_key(&org.id))
        .map(|org| OrgRow {
            state: match channels.get(&org.id) {
                Some(true) => "征集中",
                Some(false) => "已暂停",
                None => "未开启",
            },
            id: org.id,
            name: org.name,
        })
        .collect();
    let page = ListPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        rows,
        manages_campaign: user.org.contains(&opener),
    };
    render(&htmx, "征求意见", Some(&user.view()), &page)
}

#[cfg(test)]
mod tests {
    use super::link;

    #[test]
    fn the_link_uses_the_published_origin_else_the_host_asked() {
        let published = vec!["https://dj.example.cn".to_owned()];
        assert_eq!(link(&published, false, Some("10.0.0.5:8080"), "ab"), "https://dj.example.cn/o/ab");
        assert_eq!(link(&[], false, Some("10.0.0.5:8080"), "ab"), "http://10.0.0.5:8080/o/ab");
        assert_eq!(link(&[], true, Some("dj.example.cn"), "ab"), "https://dj.example.cn/o/ab");
        assert_eq!(link(&[], false, None, "ab"), "http://localhost/o/ab");
    }
}
