//! Heart-to-heart talks (谈心谈话) in the browser: the branch's coverage — which required pairs have talked, who
//! still needs a talk before the meeting — the secretary's form to record, edit or delete a talk, a member's own
//! talks, and the superior admin's settings of which pairs a campaign requires.

pub mod coverage;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_review::campaign::Step;
use mingjing_storage::{CommitteePost, Member, NewTalk, StoreError, Talk, TalkSettings};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::prep::{self, Branch, check_date, check_text};
use crate::scope::Scope;
use crate::{AppError, AppState};
use coverage::{Rules, Seat};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/talks", get(prep::talks_index))
        .route("/campaigns/{id}/settings/talks", get(settings_page).post(save_settings))
        .route("/campaigns/{id}/orgs/{org}/talks", get(talks_page).post(create))
        .route("/campaigns/{id}/orgs/{org}/talks/{talk}", post(update))
        .route("/campaigns/{id}/orgs/{org}/talks/{talk}/edit", get(edit_page))
        .route("/campaigns/{id}/orgs/{org}/talks/{talk}/delete", post(delete))
}

/// Points raised are a short summary, not minutes.
const MAX_POINTS: usize = 500;

pub(crate) fn seat(member: &Member) -> Seat {
    match member.committee_post {
        Some(CommitteePost::Secretary) => Seat::Secretary,
        Some(CommitteePost::Committee) => Seat::Committee,
        None => Seat::Member,
    }
}

pub(crate) fn rules(settings: &TalkSettings) -> Rules {
    Rules {
        committee_pairs: settings.committee_pairs,
        committee_with_members: settings.committee_with_members,
        member_pairs: settings.member_pairs,
    }
}

/// One person's row of the coverage.
struct PersonView {
    name: String,
    post: &'static str,
    done: Vec<String>,
    missing: Vec<String>,
}

/// One talk as listed.
struct TalkView {
    id: String,
    version: i64,
    held_on: String,
    pair: String,
    points: String,
}

/// The record form, as stored or as typed.
#[derive(Debug, Default, Deserialize)]
struct TalkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    submission: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    one: String,
    #[serde(default)]
    other: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    points: String,
}

#[derive(Template)]
#[template(path = "talks/page.html")]
struct TalksPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    base_url: String,
    records: bool,
    member_view: bool,
    csrf: String,
    deadline: Option<String>,
    has_secretary: bool,
    required_pairs: usize,
    done_pairs: usize,
    missing_pairs: usize,
    people: Vec<PersonView>,
    talks: Vec<TalkView>,
    /// (id, name) for the form's choices.
    roster: Vec<(String, String)>,
    form: TalkForm,
    error: Option<String>,
    /// For a member: whom they still must talk with.
    my_missing: Vec<String>,
}

async fn talks_view(
    state: &AppState,
    user: &CurrentUser,
    branch: &Branch,
    form: TalkForm,
    error: Option<String>,
) -> Result<TalksPage, AppError> {
    let settings = state.store.talk_settings(&branch.campaign.id).await?;
    let all = state.store.talks(&branch.campaign.id, &branch.org.id).await?;
    let roster: Vec<(&str, Seat)> = branch.roster.iter().map(|m| (m.id.as_str(), seat(m))).collect();
    let covered = coverage::coverage(
        &roster,
        all.iter().map(|t| (t.first_member_id.as_str(), t.second_member_id.as_str())),
        &rules(&settings),
    );
    let name = |i: &usize| branch.roster[*i].name.clone();
    let me = branch.access.member();
    let my_missing = me
        .and_then(|me| branch.roster.iter().position(|m| m.id == me.id))
        .map(|i| covered.rows[i].missing.iter().map(name).collect())
        .unwrap_or_default();
    // A member sees the coverage of no one but themselves, and only their own talks.
    let people = if me.is_some() {
        Vec::new()
    } else {
        branch
            .roster
            .iter()
            .zip(&covered.rows)
            .map(|(m, row)| PersonView {
                name: m.name.clone(),
                post: m.committee_post.map_or("党员", CommitteePost::label),
                done: row.done.iter().map(name).collect(),
                missing: row.missing.iter().map(name).collect(),
            })
            .collect()
    };
    let talks = all
        .into_iter()
        .filter(|t| me.is_none_or(|me| t.involves(&me.id)))
        .map(|t| TalkView {
            pair: format!("{} — {}", branch.member_name(&t.first_member_id), branch.member_name(&t.second_member_id)),
            id: t.id,
            version: t.version,
            held_on: t.held_on,
            points: t.points,
        })
        .collect();
    let deadline = branch.definition().and_then(|d| d.deadline(Step::Talks)).map(|d| d.to_string());
    Ok(TalksPage {
        campaign_id: branch.campaign.id.clone(),
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        base_url: branch.url("talks"),
        records: branch.access.records(),
        member_view: me.is_some(),
        csrf: user.csrf.as_str().to_owned(),
        deadline,
        has_secretary: branch.roster.iter().any(|m| m.committee_post == Some(CommitteePost::Secretary)),
        required_pairs: covered.required_pairs,
        done_pairs: covered.done_pairs,
        missing_pairs: covered.missing_pairs(),
        people,
        talks,
        roster: branch.roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect(),
        form,
        error,
        my_missing,
    })
}

fn new_form() -> TalkForm {
    TalkForm { submission: mingjing_storage::new_id(), ..TalkForm::default() }
}

async fn talks_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let branch = prep::branch(&state, &user, &id, &org).await?;
    let page = talks_view(&state, &user, &branch, new_form(), None).await?;
    let title =
        if page.member_view { "我的谈心谈话".to_owned() } else { format!("{}：谈心谈话", page.org_name) };
    render(&htmx, &title, Some(&user.view()), &page)
}

/// A checked talk form.
struct Checked {
    held_on: String,
    points: String,
}

fn check(branch: &Branch, form: &TalkForm, now_ms: i64) -> Result<Checked, String> {
    let on_roster = |id: &str| branch.roster.iter().any(|m| m.id == id);
    if form.one.is_empty() || form.other.is_empty() {
        return Err("请选择谈话双方".to_owned());
    }
    if form.one == form.other {
        return Err("谈话双方不能是同一个人".to_owned());
    }
    if !on_roster(&form.one) || !on_roster(&form.other) {
        return Err("所选人员不在本支部党员名册上".to_owned());
    }
    let held_on = check_date(&form.held_on, branch.campaign.year, now_ms)?;
    let points = check_text(&form.points, "谈话中提出的主要问题和意见", MAX_POINTS, true)?;
    Ok(Checked { held_on, points })
}

fn new_talk<'a>(branch: &'a Branch, form: &'a TalkForm, checked: &'a Checked) -> NewTalk<'a> {
    NewTalk {
        campaign_id: &branch.campaign.id,
        org_id: &branch.org.id,
        one: &form.one,
        other: &form.other,
        held_on: &checked.held_on,
        points: &checked.points,
    }
}

fn bad_request(mut response: Response) -> Response {
    *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    response
}

async fn create(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org)): Path<(String, String)>,
    Form(form): Form<TalkForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "谈心谈话").await?;
    if form.submission.is_empty() || form.submission.len() > 64 {
        return Err(AppError::BadRequest("表单已失效，请刷新页面后重新填写".to_owned()));
    }
    let now = state.clock.now_ms();
    let outcome = match check(&branch, &form, now) {
        Ok(checked) => {
            match state
                .store
                .create_talk(&new_talk(&branch, &form, &checked), &form.submission, &user.account.id, now)
                .await
            {
                Ok((talk, created)) => {
                    if created {
                        audit_talk(&state, &user, &branch, &talk, "talk.save").await?;
                    }
                    return Ok(Redirect::to(&branch.url("talks")).into_response());
                }
                Err(e) => prep::rule_message(&e).map(str::to_owned).ok_or(e)?,
            }
        }
        Err(why) => why,
    };
    let page = talks_view(&state, &user, &branch, form, Some(outcome)).await?;
    Ok(bad_request(render(&htmx, "谈心谈话", Some(&user.view()), &page)?))
}

async fn audit_talk(
    state: &AppState,
    user: &CurrentUser,
    branch: &Branch,
    talk: &Talk,
    action: &str,
) -> Result<(), AppError> {
    // The pair and the day only: the points raised stay out of the log.
    let detail = format!(
        "{} {}、{}",
        talk.held_on,
        branch.member_name(&talk.first_member_id),
        branch.member_name(&talk.second_member_id)
    );
    user.audit(state, action, Some(&format!("talk:{}", talk.id)), "ok", &detail).await
}

/// The talk `talk_id` of this branch and campaign; another branch's id is refused as missing.
async fn talk_of(state: &AppState, user: &CurrentUser, branch: &Branch, talk_id: &str) -> Result<Talk, AppError> {
    match state.store.talk(talk_id).await {
        Ok(t) if t.org_id == branch.org.id && t.campaign_id == branch.campaign.id => Ok(t),
        Ok(_) => Err(prep::refuse(state, user, "talk", talk_id, "不属于该支部").await),
        Err(StoreError::NotFound) => Err(prep::refuse(state, user, "talk", talk_id, "不存在").await),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "talks/edit.html")]
struct EditPage {
    campaign_title: String,
    org_name: String,
    list_url: String,
    action: String,
    csrf: String,
    roster: Vec<(String, String)>,
    form: TalkForm,
    error: Option<String>,
}

fn edit_view(branch: &Branch, user: &CurrentUser, talk_id: &str, form: TalkForm, error: Option<String>) -> EditPage {
    EditPage {
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        list_url: branch.url("talks"),
        action: branch.url(&format!("talks/{talk_id}")),
        csrf: user.csrf.as_str().to_owned(),
        roster: branch.roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect(),
        form,
        error,
    }
}

async fn edit_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org, talk_id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "谈心谈话").await?;
    let talk = talk_of(&state, &user, &branch, &talk_id).await?;
    let form = TalkForm {
        version: talk.version,
        one: talk.first_member_id.clone(),
        other: talk.second_member_id.clone(),
        held_on: talk.held_on.clone(),
        points: talk.points.clone(),
        ..TalkForm::default()
    };
    render(&htmx, "修改谈心谈话记录", Some(&user.view()), &edit_view(&branch, &user, &talk.id, form, None))
}

async fn update(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org, talk_id)): Path<(String, String, String)>,
    Form(form): Form<TalkForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "谈心谈话").await?;
    let talk = talk_of(&state, &user, &branch, &talk_id).await?;
    let now = state.clock.now_ms();
    let outcome = match check(&branch, &form, now) {
        Ok(checked) => {
            match state.store.update_talk(&talk.id, form.version, &new_talk(&branch, &form, &checked), now).await {
                Ok(saved) => {
                    audit_talk(&state, &user, &branch, &saved, "talk.save").await?;
                    return Ok(Redirect::to(&branch.url("talks")).into_response());
                }
                Err(e) => prep::rule_message(&e).map(str::to_owned).ok_or(e)?,
            }
        }
        Err(why) => why,
    };
    let page = edit_view(&branch, &user, &talk.id, form, Some(outcome));
    Ok(bad_request(render(&htmx, "修改谈心谈话记录", Some(&user.view()), &page)?))
}

async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, org, talk_id)): Path<(String, String, String)>,
    Form(form): Form<prep::DeleteForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "谈心谈话").await?;
    let talk = talk_of(&state, &user, &branch, &talk_id).await?;
    state.store.delete_talk(&talk.id, form.version).await?;
    audit_talk(&state, &user, &branch, &talk, "talk.delete").await?;
    Ok(Redirect::to(&branch.url("talks")).into_response())
}

#[derive(Template)]
#[template(path = "talks/settings.html")]
struct SettingsPage {
    campaign_id: String,
    campaign_title: String,
    csrf: String,
    settings: TalkSettings,
    saved: bool,
}

#[derive(Debug, Deserialize)]
struct SettingsQuery {
    saved: Option<String>,
}

async fn settings_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<SettingsQuery>,
) -> Result<Response, AppError> {
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let page = SettingsPage {
        settings: state.store.talk_settings(&campaign.id).await?,
        campaign_id: campaign.id,
        campaign_title: campaign.title,
        csrf: user.csrf.as_str().to_owned(),
        saved: query.saved.is_some(),
    };
    render(&htmx, "谈心谈话要求", Some(&user.view()), &page)
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    committee_pairs: Option<String>,
    committee_with_members: Option<String>,
    member_pairs: Option<String>,
}

async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let campaign = Scope::new(&state, &user).managed_campaign(&id).await?;
    let settings = TalkSettings {
        committee_pairs: form.committee_pairs.is_some(),
        committee_with_members: form.committee_with_members.is_some(),
        member_pairs: form.member_pairs.is_some(),
        version: form.version,
    };
    let saved = state.store.save_talk_settings(&campaign.id, &settings, state.clock.now_ms()).await?;
    let yes_no = |on: bool| if on { "要求" } else { "不要求" };
    let detail = format!(
        "支委之间{}，支委与党员{}，党员之间{}",
        yes_no(saved.committee_pairs),
        yes_no(saved.committee_with_members),
        yes_no(saved.member_pairs)
    );
    user.audit(&state, "talk_settings.save", Some(&format!("campaign:{}", campaign.id)), "ok", &detail).await?;
    Ok(Redirect::to(&format!("/campaigns/{}/settings/talks?saved=1", campaign.id)).into_response())
}

/// A branch's coverage of the required talk pairs, for the branch statistics.
pub(crate) async fn branch_coverage(state: &AppState, branch: &Branch) -> Result<coverage::Coverage, AppError> {
    let settings = state.store.talk_settings(&branch.campaign.id).await?;
    let all = state.store.talks(&branch.campaign.id, &branch.org.id).await?;
    let roster: Vec<(&str, Seat)> = branch.roster.iter().map(|m| (m.id.as_str(), seat(m))).collect();
    Ok(coverage::coverage(
        &roster,
        all.iter().map(|t| (t.first_member_id.as_str(), t.second_member_id.as_str())),
        &rules(&settings),
    ))
}
