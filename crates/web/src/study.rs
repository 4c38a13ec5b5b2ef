//! Study sessions (学习研讨) in the browser: the branch's list for the campaign, and the secretary's form to record,
//! edit or delete a session — the day, the place, the readings covered, who attended (and why the others could not),
//! short notes. No clocking, no per-member time, no ranking.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_storage::{Attendance, NewStudySession, StoreError, StudySession};

use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::prep::{self, Branch, check_date, check_text};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/study", get(prep::study_index))
        .route("/campaigns/{id}/orgs/{org}/study", get(list_page).post(create))
        .route("/campaigns/{id}/orgs/{org}/study/new", get(new_page))
        .route("/campaigns/{id}/orgs/{org}/study/{session}", post(update))
        .route("/campaigns/{id}/orgs/{org}/study/{session}/edit", get(edit_page))
        .route("/campaigns/{id}/orgs/{org}/study/{session}/delete", post(delete))
}

const MAX_PLACE: usize = 100;
const MAX_NOTES: usize = 2000;
const MAX_REASON: usize = 100;
const MAX_READING: usize = 200;

/// One session as the list shows it.
struct SessionView {
    id: String,
    version: i64,
    held_on: String,
    place: String,
    readings: Vec<String>,
    notes: String,
    present: usize,
    /// (name, reason); shown to the secretary and superiors only.
    absent: Vec<(String, String)>,
    /// The member's own attendance, when a member reads the list.
    mine: Option<String>,
}

#[derive(Template)]
#[template(path = "study/list.html")]
struct ListPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    new_url: String,
    base_url: String,
    records: bool,
    member_view: bool,
    sessions: Vec<SessionView>,
    csrf: String,
}

fn session_view(branch: &Branch, session: StudySession) -> SessionView {
    let mine = branch.access.member().map(|me| match session.attendance.iter().find(|a| a.member_id == me.id) {
        Some(a) if a.present => "出席".to_owned(),
        Some(a) => format!("缺席（{}）", a.absence_reason.clone().unwrap_or_default()),
        None => "未记录".to_owned(),
    });
    let absent = if branch.access.member().is_some() {
        Vec::new()
    } else {
        session
            .attendance
            .iter()
            .filter(|a| !a.present)
            .map(|a| (branch.member_name(&a.member_id), a.absence_reason.clone().unwrap_or_default()))
            .collect()
    };
    SessionView {
        present: session.attendance.iter().filter(|a| a.present).count(),
        absent,
        mine,
        id: session.id,
        version: session.version,
        held_on: session.held_on,
        place: session.place,
        readings: session.readings,
        notes: session.notes,
    }
}

async fn list_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let branch = prep::branch(&state, &user, &id, &org).await?;
    let sessions = state.store.study_sessions(&branch.campaign.id, &branch.org.id).await?;
    let page = ListPage {
        campaign_id: branch.campaign.id.clone(),
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        new_url: branch.url("study/new"),
        base_url: branch.url("study"),
        records: branch.access.records(),
        member_view: branch.access.member().is_some(),
        sessions: sessions.into_iter().map(|s| session_view(&branch, s)).collect(),
        csrf: user.csrf.as_str().to_owned(),
    };
    render(&htmx, &format!("{}：学习研讨", page.org_name), Some(&user.view()), &page)
}

/// One roster line of the attendance part of the form.
struct AttendeeView {
    id: String,
    name: String,
    absent: bool,
    reason: String,
}

/// The form as shown: stored values, or what was typed with the error.
#[derive(Template)]
#[template(path = "study/form.html")]
struct FormPage {
    campaign_title: String,
    org_name: String,
    list_url: String,
    action: String,
    csrf: String,
    /// The new form's own token (empty when editing).
    submission: String,
    version: i64,
    held_on: String,
    place: String,
    notes: String,
    /// (title, chosen)
    readings: Vec<(String, bool)>,
    attendees: Vec<AttendeeView>,
    error: Option<String>,
}

/// The readings offered: the campaign's, and any the session already names that the campaign since dropped.
fn offered_readings(branch: &Branch, kept: &[String]) -> Vec<String> {
    let mut titles: Vec<String> =
        branch.definition().map(|d| d.readings.into_iter().map(|r| r.title).collect()).unwrap_or_default();
    for title in kept {
        if !titles.contains(title) {
            titles.push(title.clone());
        }
    }
    titles
}

fn form_page(branch: &Branch, user: &CurrentUser, action: String, typed: Typed, error: Option<String>) -> FormPage {
    let readings = offered_readings(branch, &typed.readings).into_iter().map(|t| {
        let chosen = typed.readings.contains(&t);
        (t, chosen)
    });
    let attendees = branch
        .roster
        .iter()
        .map(|m| {
            let entry = typed.attendance.get(&m.id);
            AttendeeView {
                id: m.id.clone(),
                name: m.name.clone(),
                absent: entry.is_some_and(|(present, _)| !present),
                reason: entry.map(|(_, r)| r.clone()).unwrap_or_default(),
            }
        })
        .collect();
    FormPage {
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        list_url: branch.url("study"),
        action,
        csrf: user.csrf.as_str().to_owned(),
        submission: typed.submission,
        version: typed.version,
        held_on: typed.held_on,
        place: typed.place,
        notes: typed.notes,
        readings: readings.collect(),
        attendees,
        error,
    }
}

/// What the form holds, parsed from the posted pairs or taken from a stored session.
#[derive(Debug, Default)]
struct Typed {
    csrf: String,
    submission: String,
    version: i64,
    held_on: String,
    place: String,
    notes: String,
    readings: Vec<String>,
    /// member id → (present, reason)
    attendance: HashMap<String, (bool, String)>,
}

impl Typed {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut typed = Self::default();
        let mut reasons: HashMap<String, String> = HashMap::new();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => typed.csrf = value,
                "submission" => typed.submission = value,
                "version" => typed.version = value.trim().parse().unwrap_or(-1),
                "held_on" => typed.held_on = value,
                "place" => typed.place = value,
                "notes" => typed.notes = value,
                "reading" => typed.readings.push(value),
                _ => {
                    if let Some(member) = key.strip_prefix("attend.") {
                        typed.attendance.insert(member.to_owned(), (value != "absent", String::new()));
                    } else if let Some(member) = key.strip_prefix("reason.") {
                        reasons.insert(member.to_owned(), value);
                    }
                }
            }
        }
        for (member, reason) in reasons {
            if let Some(entry) = typed.attendance.get_mut(&member) {
                entry.1 = reason;
            }
        }
        typed
    }

    fn of(session: &StudySession) -> Self {
        Self {
            version: session.version,
            held_on: session.held_on.clone(),
            place: session.place.clone(),
            notes: session.notes.clone(),
            readings: session.readings.clone(),
            attendance: session
                .attendance
                .iter()
                .map(|a| (a.member_id.clone(), (a.present, a.absence_reason.clone().unwrap_or_default())))
                .collect(),
            ..Self::default()
        }
    }
}

/// A checked form, ready for the store.
struct Checked {
    held_on: String,
    place: String,
    notes: String,
    readings: Vec<String>,
    attendance: Vec<Attendance>,
}

fn check(branch: &Branch, typed: &Typed, kept: &[String], now_ms: i64) -> Result<Checked, String> {
    let held_on = check_date(&typed.held_on, branch.campaign.year, now_ms)?;
    let place = check_text(&typed.place, "地点", MAX_PLACE, true)?;
    let notes = check_text(&typed.notes, "简要情况", MAX_NOTES, false)?;
    let offered = offered_readings(branch, kept);
    let mut readings = Vec::new();
    for title in &typed.readings {
        let title = check_text(title, "篇目", MAX_READING, true)?;
        if !offered.contains(&title) {
            return Err("所选篇目不在本次规定篇目中，请刷新页面后重选".to_owned());
        }
        if !readings.contains(&title) {
            readings.push(title);
        }
    }
    if typed.attendance.is_empty() {
        return Err("请登记参加人员".to_owned());
    }
    let mut attendance = Vec::with_capacity(typed.attendance.len());
    for (member_id, (present, reason)) in &typed.attendance {
        let name = branch.roster.iter().find(|m| &m.id == member_id).map(|m| m.name.as_str());
        let Some(name) = name else { return Err("所选人员不在本支部党员名册上".to_owned()) };
        let reason = check_text(reason, &format!("{name}的缺席原因"), MAX_REASON, !present)?;
        attendance.push(Attendance {
            member_id: member_id.clone(),
            present: *present,
            absence_reason: (!present).then_some(reason),
        });
    }
    Ok(Checked { held_on, place, notes, readings, attendance })
}

impl Checked {
    fn new_session<'a>(&'a self, branch: &'a Branch) -> NewStudySession<'a> {
        NewStudySession {
            campaign_id: &branch.campaign.id,
            org_id: &branch.org.id,
            held_on: &self.held_on,
            place: &self.place,
            readings: &self.readings,
            notes: &self.notes,
            attendance: &self.attendance,
        }
    }
}

/// The form again with its error, as a 400; nothing stored changed.
fn refused(
    htmx: &HtmxRequest,
    branch: &Branch,
    user: &CurrentUser,
    action: String,
    typed: Typed,
    error: String,
) -> Result<Response, AppError> {
    let page = form_page(branch, user, action, typed, Some(error));
    let mut response = render(htmx, "学习研讨", Some(&user.view()), &page)?;
    *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(response)
}

async fn new_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "学习研讨").await?;
    // Everyone present unless marked otherwise: the usual case takes no clicks.
    let typed = Typed {
        submission: mingjing_storage::new_id(),
        attendance: branch.roster.iter().map(|m| (m.id.clone(), (true, String::new()))).collect(),
        ..Typed::default()
    };
    let page = form_page(&branch, &user, branch.url("study"), typed, None);
    render(&htmx, "记录学习研讨", Some(&user.view()), &page)
}

async fn create(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let typed = Typed::from_pairs(pairs);
    require_csrf(&user, &typed.csrf)?;
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "学习研讨").await?;
    if typed.submission.is_empty() || typed.submission.len() > 64 {
        return Err(AppError::BadRequest("表单已失效，请刷新页面后重新填写".to_owned()));
    }
    let now = state.clock.now_ms();
    let checked = match check(&branch, &typed, &[], now) {
        Ok(checked) => checked,
        Err(why) => return refused(&htmx, &branch, &user, branch.url("study"), typed, why),
    };
    let new = checked.new_session(&branch);
    match state.store.create_study_session(&new, &typed.submission, &user.account.id, now).await {
        Ok((session, created)) => {
            if created {
                let detail = format!("{} {}", session.held_on, session.place);
                user.audit(&state, "study.save", Some(&format!("study_session:{}", session.id)), "ok", &detail).await?;
            }
            Ok(Redirect::to(&branch.url("study")).into_response())
        }
        Err(e) => match prep::rule_message(&e) {
            Some(why) => refused(&htmx, &branch, &user, branch.url("study"), typed, why.to_owned()),
            None => Err(e.into()),
        },
    }
}

/// The session `session_id` of this branch and campaign; another branch's id is refused as missing.
async fn session_of(
    state: &AppState,
    user: &CurrentUser,
    branch: &Branch,
    session_id: &str,
) -> Result<StudySession, AppError> {
    match state.store.study_session(session_id).await {
        Ok(s) if s.org_id == branch.org.id && s.campaign_id == branch.campaign.id => Ok(s),
        Ok(_) => Err(prep::refuse(state, user, "study_session", session_id, "不属于该支部").await),
        Err(StoreError::NotFound) => Err(prep::refuse(state, user, "study_session", session_id, "不存在").await),
        Err(e) => Err(e.into()),
    }
}

async fn edit_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org, session_id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "学习研讨").await?;
    let session = session_of(&state, &user, &branch, &session_id).await?;
    let page = form_page(&branch, &user, branch.url(&format!("study/{}", session.id)), Typed::of(&session), None);
    render(&htmx, "修改学习研讨记录", Some(&user.view()), &page)
}

async fn update(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((id, org, session_id)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let typed = Typed::from_pairs(pairs);
    require_csrf(&user, &typed.csrf)?;
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "学习研讨").await?;
    let session = session_of(&state, &user, &branch, &session_id).await?;
    let action = branch.url(&format!("study/{}", session.id));
    let now = state.clock.now_ms();
    let checked = match check(&branch, &typed, &session.readings, now) {
        Ok(checked) => checked,
        Err(why) => return refused(&htmx, &branch, &user, action, typed, why),
    };
    match state.store.update_study_session(&session.id, typed.version, &checked.new_session(&branch), now).await {
        Ok(saved) => {
            let detail = format!("{} {}（修改）", saved.held_on, saved.place);
            user.audit(&state, "study.save", Some(&format!("study_session:{}", saved.id)), "ok", &detail).await?;
            Ok(Redirect::to(&branch.url("study")).into_response())
        }
        Err(e) => match prep::rule_message(&e) {
            Some(why) => refused(&htmx, &branch, &user, action, typed, why.to_owned()),
            None => Err(e.into()),
        },
    }
}

async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, org, session_id)): Path<(String, String, String)>,
    Form(form): Form<prep::DeleteForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let branch = prep::branch(&state, &user, &id, &org).await?;
    branch.require_recorder(&state, &user, "学习研讨").await?;
    let session = session_of(&state, &user, &branch, &session_id).await?;
    state.store.delete_study_session(&session.id, form.version).await?;
    let detail = format!("{} {}", session.held_on, session.place);
    user.audit(&state, "study.delete", Some(&format!("study_session:{}", session.id)), "ok", &detail).await?;
    Ok(Redirect::to(&branch.url("study")).into_response())
}
