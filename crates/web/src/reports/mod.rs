//! The branch's report upward on the meeting and the appraisal: drafted from the data (compose.rs), edited by the
//! branch secretary, submitted once (the form's one-time token; read-only afterwards), and acknowledged or returned
//! with a reason by the superior, after which the secretary edits and submits again. Every submission is kept as a
//! version. Members and other branches are refused with an audited 404.

pub mod compose;
mod export;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mingjing_storage::{BranchReport, OrgKind, ReportDecision, ReportError, ReportStatus, Role, StoreError, new_id};
use serde::Deserialize;

use crate::audit::beijing_time;
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::prep::{self, Branch};
use crate::{AppError, AppState};

/// The longest report, in characters (a usual one is two or three pages).
pub const MAX_REPORT: usize = 20_000;
/// The longest reason for a return.
const MAX_REASON: usize = 1_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{campaign_id}/reports", get(index))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/report", get(show).post(write))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/report/decision", post(decide))
        .route("/campaigns/{campaign_id}/orgs/{org_id}/report.docx", get(export::report_docx))
}

/// The address of a branch's report.
pub fn report_path(campaign_id: &str, org_id: &str) -> String {
    format!("/campaigns/{campaign_id}/orgs/{org_id}/report")
}

/// What the user may do with the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// The branch's own secretary: drafts, edits, submits.
    Writer,
    /// A superior admin of the subtree, or a secretary of an organization above: reads, acknowledges, returns.
    Superior,
}

struct Context {
    branch: Branch,
    access: Access,
}

impl Context {
    fn path(&self) -> String {
        report_path(&self.branch.campaign.id, &self.branch.org.id)
    }

    fn target(&self) -> String {
        format!("report:{}/{}", self.branch.campaign.id, self.branch.org.id)
    }
}

async fn context(state: &AppState, user: &CurrentUser, campaign_id: &str, org_id: &str) -> Result<Context, AppError> {
    let branch = prep::branch(state, user, campaign_id, org_id).await?;
    let access = match user.role() {
        Role::Secretary if user.org.id == branch.org.id => Access::Writer,
        Role::Secretary | Role::SuperiorAdmin if user.org.contains(&branch.org) => Access::Superior,
        _ => return Err(prep::refuse(state, user, "report", org_id, "超出权限范围").await),
    };
    Ok(Context { branch, access })
}

/// GET /campaigns/{id}/reports: a branch secretary goes to their branch's report; others to the campaign's
/// progress, which lists every branch's report.
async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(campaign_id): Path<String>,
) -> Result<Response, AppError> {
    match user.role() {
        Role::Secretary if user.org.kind == OrgKind::Branch => {
            Ok(Redirect::to(&report_path(&campaign_id, &user.org.id)).into_response())
        }
        Role::Secretary | Role::SuperiorAdmin => {
            Ok(Redirect::to(&format!("/campaigns/{campaign_id}/overview")).into_response())
        }
        _ => Err(prep::refuse(&state, &user, "report", &campaign_id, "超出权限范围").await),
    }
}

/// One submitted version as the history lists it.
struct VersionView {
    seq: i64,
    at: String,
    by: String,
    body: String,
    decision: String,
    reason: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "reports/report.html")]
struct ReportPage {
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    path: String,
    csrf: String,
    writer: bool,
    editable: bool,
    status: &'static str,
    status_code: &'static str,
    body: String,
    version: i64,
    /// The submit form's one-time token.
    submission: String,
    /// The text shown was composed just now from the data and is not saved yet.
    generated: bool,
    error: Option<String>,
    notice: Option<String>,
    /// The reason of the last return, for the secretary.
    returned_reason: Option<String>,
    /// The submission the superior may answer.
    pending: Option<i64>,
    reason: String,
    versions: Vec<VersionView>,
    max: usize,
}

impl ReportPage {
    fn respond(&self, htmx: &HtmxRequest, user: &CurrentUser, status: StatusCode) -> Result<Response, AppError> {
        let mut response = render(htmx, &format!("{}：情况报告", self.org_name), Some(&user.view()), self)?;
        *response.status_mut() = status;
        Ok(response)
    }
}

/// The page for `report` (None: none saved yet), with `body` in the editor when given (what was typed, or a fresh
/// draft) instead of the stored text.
async fn page(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    report: Option<&BranchReport>,
    body: Option<String>,
) -> Result<ReportPage, AppError> {
    let status = report.map(|r| r.status);
    let editable = status.is_none_or(ReportStatus::editable);
    let generated = report.is_none() && body.is_none();
    let body = match body {
        Some(body) => body,
        None => match report {
            Some(r) => r.body.clone(),
            None => draft(state, &ctx.branch).await?,
        },
    };
    let mut versions = Vec::new();
    for s in report.map(|r| r.submissions.as_slice()).unwrap_or_default() {
        versions.push(VersionView {
            seq: s.seq,
            at: beijing_time(s.submitted_at),
            by: account_name(state, &s.submitted_by).await?,
            body: s.body.clone(),
            decision: s.decision.map_or("待确认", ReportDecision::label).to_owned(),
            reason: s.reason.clone(),
            decided: match (&s.decided_by, s.decided_at) {
                (Some(by), Some(at)) => format!("{}，{}", account_name(state, by).await?, beijing_time(at)),
                _ => String::new(),
            },
        });
    }
    versions.reverse();
    let returned_reason = report
        .filter(|r| r.status == ReportStatus::Returned)
        .and_then(|r| r.submissions.last())
        .map(|s| s.reason.clone());
    Ok(ReportPage {
        campaign_id: ctx.branch.campaign.id.clone(),
        campaign_title: ctx.branch.campaign.title.clone(),
        org_name: ctx.branch.org.name.clone(),
        path: ctx.path(),
        csrf: user.csrf.as_str().to_owned(),
        writer: ctx.access == Access::Writer,
        editable,
        status: status.map_or("未上报", ReportStatus::label),
        status_code: status.map_or("none", badge),
        body,
        version: report.map_or(0, |r| r.version),
        submission: new_id(),
        generated,
        error: None,
        notice: None,
        returned_reason,
        pending: report.and_then(BranchReport::pending).map(|s| s.seq),
        reason: String::new(),
        versions,
        max: MAX_REPORT,
    })
}

/// The badge class of a status, in the colours the material statuses use.
fn badge(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Acknowledged => "approved",
        other => other.code(),
    }
}

async fn account_name(state: &AppState, id: &str) -> Result<String, AppError> {
    match state.store.account(id).await {
        Ok(account) => Ok(account.display_name),
        Err(StoreError::NotFound) => Ok("（账号已删除）".to_owned()),
        Err(e) => Err(e.into()),
    }
}

/// A fresh draft from the data as it is now.
async fn draft(state: &AppState, branch: &Branch) -> Result<String, AppError> {
    let today = beijing_time(state.clock.now_ms()).chars().take(10).collect();
    let facts = compose::gather(state, branch, today).await?;
    Ok(compose::compose(&facts))
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    /// `1`: put a fresh draft from the data in the editor (not saved until the secretary saves).
    #[serde(default)]
    regenerate: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// GET …/report
async fn show(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    let report = state.store.branch_report(&ctx.branch.campaign.id, &ctx.branch.org.id).await?;
    let editable = report.as_ref().is_none_or(|r| r.status.editable());
    let fresh = query.regenerate.as_deref() == Some("1") && ctx.access == Access::Writer && editable;
    let body = if fresh { Some(draft(&state, &ctx.branch).await?) } else { None };
    let mut page = page(&state, &user, &ctx, report.as_ref(), body).await?;
    page.generated |= fresh;
    page.notice = match query.done.as_deref() {
        Some("saved") => Some("草稿已保存。".to_owned()),
        Some("submitted") => Some("报告已上报，等待上级党组织确认。上报后不能再修改。".to_owned()),
        Some("acknowledged") => Some("已确认这份报告。".to_owned()),
        Some("returned") => Some("已退回这份报告，支部书记修改后会重新上报。".to_owned()),
        _ => None,
    };
    page.respond(&htmx, &user, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct WriteForm {
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    submission: String,
    #[serde(default)]
    body: String,
    /// `save` or `submit`.
    #[serde(default)]
    action: String,
}

/// POST …/report: saves the draft, or submits it.
async fn write(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(form): Form<WriteForm>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    require_csrf(&user, &form.csrf)?;
    if ctx.access != Access::Writer {
        user.audit(&state, "access_denied", Some(&ctx.target()), "denied", "只有本支部书记可以填写和上报情况报告")
            .await?;
        return Err(AppError::Forbidden);
    }
    let seen: i64 = form.version.trim().parse().map_err(|_| AppError::BadRequest("页面已过期，请刷新后重试".into()))?;
    let body = form.body.replace("\r\n", "\n").trim().to_owned();
    let submit = form.action == "submit";
    let (c, o) = (ctx.branch.campaign.id.clone(), ctx.branch.org.id.clone());
    let problem = if body.is_empty() {
        Some("报告内容是空的。可以点击“按最新数据重新生成”得到初稿。".to_owned())
    } else if body.chars().count() > MAX_REPORT {
        Some(format!("报告不超过 {MAX_REPORT} 字，现在是 {} 字。", body.chars().count()))
    } else if submit && (form.submission.is_empty() || form.submission.len() > 64) {
        Some("页面已过期，请核对内容后再次点击“上报”。".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        let report = state.store.branch_report(&c, &o).await?;
        let mut page = page(&state, &user, &ctx, report.as_ref(), Some(form.body)).await?;
        page.version = seen;
        page.error = Some(problem);
        return page.respond(&htmx, &user, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let now = state.clock.now_ms();
    let by = &user.account.id;
    let outcome = if submit {
        state.store.submit_report(&c, &o, seen, &form.submission, &body, by, now).await
    } else {
        state.store.save_report_draft(&c, &o, seen, &body, by, now).await
    };
    let action = if submit { "report.submit" } else { "report.save" };
    let message = match outcome {
        Ok(saved) => {
            let detail = match saved.submissions.last() {
                Some(s) if submit => format!("第 {} 次上报，{} 字", s.seq, body.chars().count()),
                _ => format!("草稿第 {} 版", saved.version),
            };
            user.audit(&state, action, Some(&ctx.target()), "ok", &detail).await?;
            let done = if submit { "submitted" } else { "saved" };
            return Ok(Redirect::to(&format!("{}?done={done}", ctx.path())).into_response());
        }
        Err(ReportError::AlreadySubmitted) => {
            user.audit(&state, action, Some(&ctx.target()), "failed", "重复提交").await?;
            return Err(AppError::Conflict("这份报告已经上报过了（可能重复提交了），上报的内容没有变化。".to_owned()));
        }
        Err(ReportError::NotEditable(status)) => format!(
            "报告现在是“{}”状态，不能修改或再次上报。如需修改，请联系上级党组织退回。您填写的内容保留在下面。",
            status.label()
        ),
        Err(ReportError::Stale) => {
            "保存失败：报告在您打开本页之后已被修改（可能在另一个窗口）。您填写的内容保留在下面，\
             请核对后再保存；再次保存将以您填写的内容为准。"
                .to_owned()
        }
        Err(ReportError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(AppError::Internal(other.into())),
    };
    user.audit(&state, action, Some(&ctx.target()), "failed", &message).await?;
    let report = state.store.branch_report(&c, &o).await?;
    let mut page = page(&state, &user, &ctx, report.as_ref(), Some(form.body)).await?;
    page.error = Some(message);
    page.respond(&htmx, &user, StatusCode::CONFLICT)
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    csrf: String,
    #[serde(default)]
    seq: String,
    /// `acknowledge` or `return`.
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// POST …/report/decision: the superior acknowledges the submission, or returns it with a reason.
async fn decide(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    require_csrf(&user, &form.csrf)?;
    if ctx.access != Access::Superior {
        user.audit(&state, "access_denied", Some(&ctx.target()), "denied", "只有上级党组织可以确认或退回情况报告")
            .await?;
        return Err(AppError::Forbidden);
    }
    let seq: i64 = form.seq.trim().parse().map_err(|_| AppError::BadRequest("页面已过期，请刷新后重试".into()))?;
    let decision = match form.decision.as_str() {
        "acknowledge" => ReportDecision::Acknowledged,
        "return" => ReportDecision::Returned,
        _ => return Err(AppError::BadRequest("请选择“确认”或“退回”".into())),
    };
    let reason = form.reason.replace("\r\n", "\n").trim().to_owned();
    let (c, o) = (ctx.branch.campaign.id.clone(), ctx.branch.org.id.clone());
    let problem = if decision == ReportDecision::Returned && reason.is_empty() {
        Some("退回时请写明退回的原因，支部书记会据此修改。".to_owned())
    } else if reason.chars().count() > MAX_REASON {
        Some(format!("退回原因不超过 {MAX_REASON} 字。"))
    } else {
        None
    };
    let outcome: Result<(), String> = match problem {
        Some(problem) => Err(problem),
        None => {
            let now = state.clock.now_ms();
            match state.store.decide_report(&c, &o, seq, decision, &reason, &user.account.id, now).await {
                Ok(_) => {
                    let (action, detail) = match decision {
                        ReportDecision::Acknowledged => ("report.acknowledge", format!("第 {seq} 次上报")),
                        ReportDecision::Returned => ("report.return", format!("第 {seq} 次上报：{reason}")),
                    };
                    user.audit(&state, action, Some(&ctx.target()), "ok", &detail).await?;
                    let done = if decision == ReportDecision::Acknowledged { "acknowledged" } else { "returned" };
                    return Ok(Redirect::to(&format!("{}?done={done}", ctx.path())).into_response());
                }
                Err(ReportError::NotPending) => {
                    Err("这份报告已经处理过了（可能重复提交了），或者支部还没有上报。".to_owned())
                }
                Err(ReportError::NoReason) => Err("退回时请写明退回的原因，支部书记会据此修改。".to_owned()),
                Err(ReportError::Store(e)) => return Err(e.into()),
                Err(other) => return Err(AppError::Internal(other.into())),
            }
        }
    };
    let message = outcome.err().unwrap_or_default();
    let report = state.store.branch_report(&c, &o).await?;
    let mut page = page(&state, &user, &ctx, report.as_ref(), None).await?;
    page.reason = form.reason;
    page.error = Some(message);
    let status = if page.pending.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::CONFLICT };
    page.respond(&htmx, &user, status)
}
