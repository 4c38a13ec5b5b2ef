//! The record's page: the secretary's form (a refused save shows what was typed again,
//! with why), and the read view with the lock's hash and the correction notes.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{Meeting, MeetingError, MeetingNote, Member, Presence, StoreError};
use serde::Deserialize;

use super::form::{Names, Posted, problem_message};
use super::{Access, Context, context, names_of};
use crate::audit::beijing_time;
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

struct AttendanceField {
    index: usize,
    member_id: String,
    name: String,
    standing: &'static str,
    state: String,
    reason: String,
}

struct CriticismField {
    index: usize,
    from: String,
    to: String,
    text: String,
}

/// The secretary's form, filled with what is stored or what was just typed.
struct FormView {
    version: i64,
    date: String,
    time: String,
    place: String,
    agenda: String,
    observer_name: String,
    observer_post: String,
    rectification_report: String,
    minutes: String,
    attendance: Vec<AttendanceField>,
    criticisms: Vec<CriticismField>,
    /// (id, name) of every member, for the criticism rows' choices.
    people: Vec<(String, String)>,
    /// False when the typed text is shown only to be copied (the record was locked meanwhile).
    can_save: bool,
}

struct AttendanceLine {
    name: String,
    present: bool,
    reason: String,
}

struct CriticismLine {
    from: String,
    to: String,
    text: String,
}

/// The record as read.
struct RecordView {
    date: String,
    time: String,
    place: String,
    agenda: Vec<String>,
    observer_name: String,
    observer_post: String,
    rectification_report: String,
    minutes: String,
    attendance: Vec<AttendanceLine>,
    present: usize,
    absent: usize,
    criticisms: Vec<CriticismLine>,
    /// Entries this reader may not see (criticism between two other members).
    hidden_criticisms: usize,
    updated_at: String,
}

struct LockView {
    at: String,
    by: String,
    hash: String,
    /// The stored hash is the hash of the content as it is now.
    holds: bool,
    /// The notes' chain follows from the hash.
    chain_holds: bool,
}

struct NoteView {
    seq: i64,
    author: String,
    at: String,
    text: String,
}

#[derive(Template)]
#[template(path = "meeting/record.html")]
struct RecordPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    path: String,
    csrf: String,
    recorder: bool,
    form: Option<FormView>,
    record: Option<RecordView>,
    lock: Option<LockView>,
    notes: Vec<NoteView>,
    can_note: bool,
    /// Criticism addressed to the member reading (members only).
    to_me: Option<Vec<CriticismLine>>,
    message: Option<String>,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    locked: Option<String>,
    #[serde(default)]
    noted: Option<String>,
}

/// GET …/meeting: the form for the branch's secretary until the lock, the record for everyone else.
pub(super) async fn show(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    let meeting = state.store.meeting(&ctx.campaign.id, &ctx.org.id).await?;
    let notice = match (&query.saved, &query.locked, &query.noted) {
        (Some(_), _, _) => Some("已保存。"),
        (_, Some(_), _) => Some("会议记录已锁定，内容不能再修改；如需更正，请在下方添加更正说明。"),
        (_, _, Some(_)) => Some("更正说明已添加。"),
        _ => None,
    };
    let editing = ctx.access == Access::Recorder && meeting.as_ref().is_none_or(|m| m.lock.is_none());
    let mut page = if editing {
        let mut posted = Posted::from_stored(meeting.as_ref(), &ctx.roster);
        // Until the secretary writes it, the report starts from last year's ledger.
        if posted.rectification_report.trim().is_empty() {
            posted.rectification_report =
                crate::rectification::links::last_year_report(&state, &ctx.campaign, &ctx.org).await?;
        }
        page_with_form(&state, &user, &ctx, meeting.as_ref(), &posted, true).await?
    } else {
        read_page(&state, &user, &ctx, meeting.as_ref()).await?
    };
    page.notice = notice;
    user.audit(&state, "meeting.view", Some(&target(&ctx)), "ok", "").await?;
    render(&htmx, "组织生活会记录", Some(&user.view()), &page)
}

pub(super) fn target(ctx: &Context) -> String {
    format!("meeting:{}/{}", ctx.campaign.id, ctx.org.id)
}

fn base_page(user: &CurrentUser, ctx: &Context) -> RecordPage {
    RecordPage {
        campaign_id: ctx.campaign.id.clone(),
        campaign_title: ctx.campaign.title.clone(),
        org_name: ctx.org.name.clone(),
        path: ctx.path(),
        csrf: user.csrf.as_str().to_owned(),
        recorder: ctx.access == Access::Recorder,
        form: None,
        record: None,
        lock: None,
        notes: Vec::new(),
        can_note: false,
        to_me: None,
        message: None,
        errors: Vec::new(),
        notice: None,
    }
}

async fn page_with_form(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    meeting: Option<&Meeting>,
    posted: &Posted,
    can_save: bool,
) -> Result<RecordPage, AppError> {
    let mut page = base_page(user, ctx);
    page.form = Some(form_view(ctx, posted, can_save));
    if let Some(meeting) = meeting.filter(|m| m.lock.is_some()) {
        // Locked meanwhile: the record as locked is shown too, with its notes.
        let read = read_page(state, user, ctx, Some(meeting)).await?;
        (page.record, page.lock, page.notes, page.can_note) = (read.record, read.lock, read.notes, read.can_note);
    }
    Ok(page)
}

fn form_view(ctx: &Context, posted: &Posted, can_save: bool) -> FormView {
    // The rows as posted (of members still on the roster), then anyone added to the roster
    // since the page was loaded; numbered afresh, since the form reads rows up to the first gap.
    let mut rows: Vec<(&Member, String, String)> = posted
        .attendance
        .iter()
        .filter_map(|row| {
            let member = ctx.roster.iter().find(|m| m.id == row.member_id)?;
            Some((member, row.state.clone(), row.reason.clone()))
        })
        .collect();
    for member in &ctx.roster {
        if !rows.iter().any(|(m, _, _)| m.id == member.id) {
            rows.push((member, String::new(), String::new()));
        }
    }
    let attendance = rows
        .into_iter()
        .enumerate()
        .map(|(index, (member, state, reason))| AttendanceField {
            index,
            member_id: member.id.clone(),
            name: member.name.clone(),
            standing: member.standing.label(),
            state,
            reason,
        })
        .collect();
    let criticisms = posted
        .criticism_rows()
        .into_iter()
        .enumerate()
        .map(|(index, row)| CriticismField { index, from: row.from, to: row.to, text: row.text })
        .collect();
    FormView {
        version: posted.version,
        date: posted.date.clone(),
        time: posted.time.clone(),
        place: posted.place.clone(),
        agenda: posted.agenda.clone(),
        observer_name: posted.observer_name.clone(),
        observer_post: posted.observer_post.clone(),
        rectification_report: posted.rectification_report.clone(),
        minutes: posted.minutes.clone(),
        attendance,
        criticisms,
        people: ctx.roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect(),
        can_save,
    }
}

/// The read view of a record, with what this reader may see of its criticism.
async fn read_page(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    meeting: Option<&Meeting>,
) -> Result<RecordPage, AppError> {
    let mut page = base_page(user, ctx);
    let Some(meeting) = meeting else { return Ok(page) };
    let content = &meeting.content;
    let mut ids: Vec<&str> = content.attendance.iter().map(|a| a.member_id.as_str()).collect();
    ids.extend(content.criticisms.iter().flat_map(|c| [c.from_member_id.as_str(), c.to_member_id.as_str()]));
    let names = names_of(state, ctx, &ids).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    let line = |c: &mingjing_storage::Criticism| CriticismLine {
        from: name(&c.from_member_id),
        to: name(&c.to_member_id),
        text: c.text.clone(),
    };
    let visible: Vec<CriticismLine> = content
        .criticisms
        .iter()
        .filter(|c| ctx.access.sees_criticism(&c.from_member_id, &c.to_member_id))
        .map(line)
        .collect();
    if let Access::Member { member_id } = &ctx.access {
        page.to_me = Some(content.criticisms.iter().filter(|c| &c.to_member_id == member_id).map(line).collect());
    }
    let attendance: Vec<AttendanceLine> = content
        .attendance
        .iter()
        .map(|a| match &a.presence {
            Presence::Present => AttendanceLine { name: name(&a.member_id), present: true, reason: String::new() },
            Presence::Absent { reason } => {
                AttendanceLine { name: name(&a.member_id), present: false, reason: reason.clone() }
            }
        })
        .collect();
    page.record = Some(RecordView {
        date: content.date.clone(),
        time: content.time.clone(),
        place: content.place.clone(),
        agenda: content.agenda.clone(),
        observer_name: content.observer_name.clone(),
        observer_post: content.observer_post.clone(),
        rectification_report: content.rectification_report.clone(),
        minutes: content.minutes.clone(),
        present: attendance.iter().filter(|a| a.present).count(),
        absent: attendance.iter().filter(|a| !a.present).count(),
        attendance,
        hidden_criticisms: content.criticisms.len() - visible.len(),
        criticisms: visible,
        updated_at: beijing_time(meeting.updated_at),
    });
    if let Some(lock) = &meeting.lock {
        let notes = state.store.meeting_notes(&meeting.id).await?;
        let by = match state.store.account(&lock.by).await {
            Ok(account) => account.display_name,
            Err(StoreError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        };
        page.lock = Some(LockView {
            at: beijing_time(lock.at),
            by,
            hash: lock.content_hash.clone(),
            holds: meeting.hash_holds() == Some(true),
            chain_holds: mingjing_storage::notes_chain_holds(&lock.content_hash, &notes),
        });
        page.notes = notes.iter().map(note_view).collect();
        page.can_note = ctx.access.notes();
    }
    Ok(page)
}

fn note_view(note: &MeetingNote) -> NoteView {
    NoteView {
        seq: note.seq,
        author: note.author_name.clone(),
        at: beijing_time(note.created_at),
        text: note.text.clone(),
    }
}

/// Refuses a write to a reader of the record (a member, a superior): 403, audited.
pub(super) async fn refuse_write(state: &AppState, user: &CurrentUser, ctx: &Context, why: &str) -> AppError {
    match user.audit(state, "access_denied", Some(&target(ctx)), "denied", why).await {
        Ok(()) => AppError::Forbidden,
        Err(e) => e,
    }
}

/// POST …/meeting: saves the form if the record is still at the version it showed.
pub(super) async fn save(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    let mut posted = Posted::read(fields);
    require_csrf(&user, &posted.csrf)?;
    if ctx.access != Access::Recorder {
        return Err(refuse_write(&state, &user, &ctx, "只有本支部书记可以修改组织生活会记录").await);
    }
    let content = match posted.content(&ctx.roster) {
        Ok(content) => content,
        Err(errors) => return again(&state, &htmx, &user, &ctx, &posted, Again::Invalid(errors)).await,
    };
    let now = state.clock.now_ms();
    let saved =
        state.store.save_meeting(&ctx.campaign.id, &ctx.org.id, posted.version, &content, &user.account.id, now);
    match saved.await {
        Ok(meeting) => {
            let detail = format!("第 {} 版", meeting.version);
            user.audit(&state, "meeting.save", Some(&target(&ctx)), "ok", &detail).await?;
            Ok(Redirect::to(&format!("{}?saved=1", ctx.path())).into_response())
        }
        Err(MeetingError::Stale) => {
            user.audit(&state, "meeting.save", Some(&target(&ctx)), "failed", "版本冲突，未保存").await?;
            let current = state.store.meeting(&ctx.campaign.id, &ctx.org.id).await?;
            let version = current.as_ref().map_or(0, |m| m.version);
            posted.version = version;
            let message = format!(
                "会议记录已在另一个窗口或设备上保存为第 {version} 版，您这次的修改还没有保存。下面是您刚才填写的内容；\
                 如果确认以它为准，请再点一次“保存”（将替换第 {version} 版）。"
            );
            again(&state, &htmx, &user, &ctx, &posted, Again::Conflict(message)).await
        }
        Err(MeetingError::Locked) => {
            user.audit(&state, "meeting.save", Some(&target(&ctx)), "failed", "记录已锁定，未保存").await?;
            again(&state, &htmx, &user, &ctx, &posted, Again::Locked).await
        }
        Err(MeetingError::Invalid(problems)) => {
            let names = Names::new(&ctx.roster);
            let errors = problems.iter().map(|p| problem_message(p, &names)).collect();
            again(&state, &htmx, &user, &ctx, &posted, Again::Invalid(errors)).await
        }
        Err(MeetingError::Store(e)) => Err(e.into()),
        Err(other) => Err(AppError::Internal(other.into())),
    }
}

/// Why the form is shown again.
enum Again {
    Invalid(Vec<String>),
    Conflict(String),
    Locked,
}

/// The form again with what was typed, and why it was not saved.
async fn again(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    ctx: &Context,
    posted: &Posted,
    why: Again,
) -> Result<Response, AppError> {
    let meeting = state.store.meeting(&ctx.campaign.id, &ctx.org.id).await?;
    let locked = matches!(why, Again::Locked);
    let mut page = page_with_form(state, user, ctx, meeting.as_ref(), posted, !locked).await?;
    let status = match why {
        Again::Invalid(errors) => {
            page.errors = errors;
            StatusCode::BAD_REQUEST
        }
        Again::Conflict(message) => {
            page.message = Some(message);
            StatusCode::CONFLICT
        }
        Again::Locked => {
            page.message = Some(
                "会议记录已经锁定，不能再修改，这次的修改没有保存。下面是您刚才填写的内容，如需更正，\
                 请复制要更正的部分，在记录下方添加更正说明。"
                    .to_owned(),
            );
            StatusCode::CONFLICT
        }
    };
    let mut response = render(htmx, "组织生活会记录", Some(&user.view()), &page)?;
    *response.status_mut() = status;
    Ok(response)
}
