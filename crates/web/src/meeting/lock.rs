//! The lock's confirmation step (what is still missing, or a summary to confirm) and the
//! lock itself; correction notes appended once it is locked.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{Meeting, MeetingContent, MeetingError, Presence, StoreError};
use serde::Deserialize;

use super::form::{Names, gap_message};
use super::page::{refuse_write, target};
use super::{Access, Context, context};
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// The longest correction note.
const MAX_NOTE: usize = 2_000;

#[derive(Template)]
#[template(path = "meeting/lock.html")]
struct LockPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    path: String,
    csrf: String,
    version: i64,
    gaps: Vec<String>,
    message: Option<String>,
    date: String,
    time: String,
    place: String,
    present: usize,
    absent: usize,
    criticisms: usize,
    minutes_chars: usize,
}

fn lock_page(user: &CurrentUser, ctx: &Context, meeting: Option<&Meeting>, message: Option<String>) -> LockPage {
    let empty = MeetingContent::default();
    let content = meeting.map_or(&empty, |m| &m.content);
    let names = Names::new(&ctx.roster);
    let roster: Vec<&str> = ctx.roster.iter().map(|m| m.id.as_str()).collect();
    let gaps = content.lock_gaps(&roster).iter().map(|g| gap_message(g, &names)).collect();
    let present = content.attendance.iter().filter(|a| a.presence == Presence::Present).count();
    LockPage {
        campaign_id: ctx.campaign.id.clone(),
        campaign_title: ctx.campaign.title.clone(),
        org_name: ctx.org.name.clone(),
        path: ctx.path(),
        csrf: user.csrf.as_str().to_owned(),
        version: meeting.map_or(0, |m| m.version),
        gaps,
        message,
        date: content.date.clone(),
        time: content.time.clone(),
        place: content.place.clone(),
        present,
        absent: content.attendance.len() - present,
        criticisms: content.criticisms.len(),
        minutes_chars: content.minutes.chars().count(),
    }
}

/// GET …/meeting/lock: what locking means, what is still missing, and the confirmation.
pub(super) async fn confirm_lock(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    if ctx.access != Access::Recorder {
        return Err(refuse_write(&state, &user, &ctx, "只有本支部书记可以锁定组织生活会记录").await);
    }
    let meeting = state.store.meeting(&ctx.campaign.id, &ctx.org.id).await?;
    if meeting.as_ref().is_some_and(|m| m.lock.is_some()) {
        return Ok(Redirect::to(&ctx.path()).into_response());
    }
    render(&htmx, "锁定组织生活会记录", Some(&user.view()), &lock_page(&user, &ctx, meeting.as_ref(), None))
}

#[derive(Debug, Deserialize)]
pub(super) struct LockForm {
    csrf: String,
    version: i64,
}

/// POST …/meeting/lock: locks the version the confirmation showed.
pub(super) async fn lock(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(form): Form<LockForm>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    require_csrf(&user, &form.csrf)?;
    if ctx.access != Access::Recorder {
        return Err(refuse_write(&state, &user, &ctx, "只有本支部书记可以锁定组织生活会记录").await);
    }
    let now = state.clock.now_ms();
    let locked = state.store.lock_meeting(&ctx.campaign.id, &ctx.org.id, form.version, &user.account.id, now).await;
    let (status, message) = match locked {
        Ok(meeting) => {
            let hash = meeting.lock.map(|l| l.content_hash).unwrap_or_default();
            user.audit(&state, "meeting.lock", Some(&target(&ctx)), "ok", &format!("校验码 {hash}")).await?;
            return Ok(Redirect::to(&format!("{}?locked=1", ctx.path())).into_response());
        }
        Err(MeetingError::Locked) => {
            user.audit(&state, "meeting.lock", Some(&target(&ctx)), "failed", "已经锁定（重复提交）").await?;
            return Err(AppError::Conflict(
                "会议记录已经锁定（可能重复提交了），记录内容和校验码都没有变化。".to_owned(),
            ));
        }
        Err(MeetingError::Stale) => (
            StatusCode::CONFLICT,
            Some("会议记录在您打开确认页之后又被修改过，请核对下面的最新情况后再确认锁定。".to_owned()),
        ),
        Err(MeetingError::Incomplete(_) | MeetingError::Store(StoreError::NotFound)) => {
            (StatusCode::BAD_REQUEST, Some("会议记录还不完整，不能锁定。请先补全下面列出的内容。".to_owned()))
        }
        Err(MeetingError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(AppError::Internal(other.into())),
    };
    user.audit(&state, "meeting.lock", Some(&target(&ctx)), "failed", message.as_deref().unwrap_or_default()).await?;
    let meeting = state.store.meeting(&ctx.campaign.id, &ctx.org.id).await?;
    let mut response =
        render(&htmx, "锁定组织生活会记录", Some(&user.view()), &lock_page(&user, &ctx, meeting.as_ref(), message))?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(super) struct NoteForm {
    csrf: String,
    #[serde(default)]
    text: String,
}

/// POST …/meeting/notes: appends a correction to a locked record.
pub(super) async fn add_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    require_csrf(&user, &form.csrf)?;
    if !ctx.access.notes() {
        return Err(refuse_write(&state, &user, &ctx, "党员不能添加组织生活会记录的更正说明").await);
    }
    let text = form.text.replace("\r\n", "\n").trim().to_owned();
    if text.is_empty() {
        return Err(AppError::BadRequest("更正说明是空的，请写明要更正的内容".to_owned()));
    }
    if text.chars().count() > MAX_NOTE {
        return Err(AppError::BadRequest(format!("更正说明不超过 {MAX_NOTE} 字")));
    }
    let now = state.clock.now_ms();
    let added = state
        .store
        .add_meeting_note(&ctx.campaign.id, &ctx.org.id, &user.account.id, &user.account.display_name, &text, now)
        .await;
    match added {
        Ok(note) => {
            user.audit(&state, "meeting.note", Some(&target(&ctx)), "ok", &format!("第 {} 条", note.seq)).await?;
            Ok(Redirect::to(&format!("{}?noted=1#notes", ctx.path())).into_response())
        }
        Err(MeetingError::NotLocked | MeetingError::Store(StoreError::NotFound)) => {
            Err(AppError::Conflict("会议记录锁定后才能添加更正说明；锁定前请由支部书记直接修改记录。".to_owned()))
        }
        Err(MeetingError::Store(e)) => Err(e.into()),
        Err(other) => Err(AppError::Internal(other.into())),
    }
}
