//! One item: its origin and measure, progress notes with evidence, the owner's and the
//! secretary's status changes, the secretary's edits and the verification (销号). Each
//! change is checked against the version the page showed; a refused one shows the page
//! again with what was typed and why.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{
    AttachmentProblem, MAX_ATTACHMENT_BYTES, NewAttachment, OriginKind, RectificationEdit, RectificationError,
    RectificationItem, RectificationStatus, StoreError,
};
use serde::Deserialize;

use super::{StatusView, form_token, is_form_token, ledger_path, name_of, names, owns, reads_item, status_view, today};
use crate::audit::beijing_time;
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::prep::{Branch, branch, check_text, refuse};
use crate::{AppError, AppState};

/// Most files one progress note carries.
const MAX_FILES: usize = 5;
const MAX_NOTE_CHARS: usize = 2000;

/// An item and its branch, if the user may read it; anything else is the same audited 404.
async fn context(state: &AppState, user: &CurrentUser, id: &str) -> Result<(RectificationItem, Branch), AppError> {
    let item = match state.store.rectification(id).await {
        Ok(item) => item,
        Err(StoreError::NotFound) => return Err(refuse(state, user, "rectification", id, "不存在").await),
        Err(e) => return Err(e.into()),
    };
    let branch = branch(state, user, &item.campaign_id, &item.org_id).await?;
    let published = state.store.rectification_publication(&item.campaign_id, &item.org_id).await?.is_some();
    if !reads_item(&branch, &item, published) {
        return Err(refuse(state, user, "rectification", id, "超出权限范围").await);
    }
    Ok((item, branch))
}

fn target(item: &RectificationItem) -> String {
    format!("rectification:{}", item.id)
}

struct AttachmentView {
    url: String,
    name: String,
    size: String,
}

struct NoteView {
    author: String,
    at: String,
    body: String,
    attachments: Vec<AttachmentView>,
}

/// The secretary's edit form, as stored or as typed.
struct EditView {
    owner: String,
    measure: String,
    deadline: String,
}

#[derive(Template)]
#[template(path = "rectification/item.html")]
struct ItemPage {
    campaign_title: String,
    org_name: String,
    ledger_url: String,
    id: String,
    version: i64,
    csrf: String,
    subject: String,
    owner: String,
    origin: &'static str,
    origin_url: Option<String>,
    problem: String,
    measure: String,
    deadline: String,
    status: StatusView,
    done: Option<String>,
    verified: Option<String>,
    verify_note: String,
    notes: Vec<NoteView>,
    /// The secretary may edit (before verification).
    edit: Option<EditView>,
    /// (code, label) of the statuses the user may set; empty when they may not.
    statuses: Vec<(&'static str, &'static str)>,
    /// A new one-time token for the progress form, when the user may add progress.
    note_token: Option<String>,
    note_body: String,
    can_verify: bool,
    /// Why the secretary may not verify (they own it).
    verify_blocked: bool,
    people: Vec<(String, String)>,
    notice: Option<&'static str>,
    message: Option<String>,
    errors: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ItemQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    again: Option<String>,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    noted: Option<String>,
    #[serde(default)]
    verified: Option<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    item: &RectificationItem,
    branch: &Branch,
) -> Result<ItemPage, AppError> {
    let names = names(&branch.roster);
    let stored = state.store.rectification_notes(&item.id).await?;
    let mut accounts: Vec<&str> = stored.iter().map(|n| n.author_id.as_str()).collect();
    accounts.extend(item.done_by.as_deref());
    accounts.extend(item.verified_by.as_deref());
    let mut account_names = std::collections::HashMap::new();
    for id in accounts {
        if account_names.contains_key(id) {
            continue;
        }
        let name = match state.store.account(id).await {
            Ok(account) => account.display_name,
            Err(StoreError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        };
        account_names.insert(id.to_owned(), name);
    }
    let account_name = |id: &str| account_names.get(id).cloned().unwrap_or_default();
    let notes = stored
        .iter()
        .map(|note| NoteView {
            author: account_name(&note.author_id),
            at: beijing_time(note.created_at),
            body: note.body.clone(),
            attachments: note
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    url: format!("/rectification/attachments/{}", a.id),
                    size: format!("{:.1} KB", a.size as f64 / 1024.0),
                    name: a.file_name.clone(),
                })
                .collect(),
        })
        .collect();
    let done = match (&item.done_by, item.done_at) {
        (Some(by), Some(at)) => Some(format!("{}于{}标记完成", account_name(by), beijing_time(at))),
        _ => None,
    };
    let verified = match (&item.verified_by, item.verified_at) {
        (Some(by), Some(at)) => Some(format!("{}于{}验收销号", account_name(by), beijing_time(at))),
        _ => None,
    };
    let open = item.status != RectificationStatus::Verified;
    let records = branch.access.records();
    let updates = open && (records || owns(user, item));
    Ok(ItemPage {
        campaign_title: branch.campaign.title.clone(),
        org_name: branch.org.name.clone(),
        ledger_url: ledger_path(&branch.campaign.id, &branch.org.id),
        id: item.id.clone(),
        version: item.version,
        csrf: user.csrf.as_str().to_owned(),
        subject: name_of(&names, item.member_id.as_deref()),
        owner: name_of(&names, Some(&item.owner_member_id)),
        origin: item.origin_kind.label(),
        origin_url: (item.origin_kind == OriginKind::Material)
            .then(|| item.origin_ref.split(':').next().map(|id| format!("/materials/{id}")))
            .flatten(),
        problem: item.problem.clone(),
        measure: item.measure.clone(),
        deadline: item.deadline.clone(),
        status: status_view(item, &today(state.clock.now_ms())),
        done,
        verified,
        verify_note: item.verify_note.clone(),
        notes,
        edit: (open && records).then(|| EditView {
            owner: item.owner_member_id.clone(),
            measure: item.measure.clone(),
            deadline: item.deadline.clone(),
        }),
        statuses: if updates {
            [RectificationStatus::NotStarted, RectificationStatus::InProgress, RectificationStatus::Done]
                .into_iter()
                .map(|s| (s.code(), s.label()))
                .collect()
        } else {
            Vec::new()
        },
        note_token: if updates { Some(form_token()?) } else { None },
        note_body: String::new(),
        can_verify: records && item.status == RectificationStatus::Done && !owns(user, item),
        verify_blocked: records && item.status == RectificationStatus::Done && owns(user, item),
        people: branch.roster.iter().map(|m| (m.id.clone(), m.name.clone())).collect(),
        notice: None,
        message: None,
        errors: Vec::new(),
    })
}

/// GET /rectification/{id}
pub(super) async fn show(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<ItemQuery>,
) -> Result<Response, AppError> {
    let (item, branch) = context(&state, &user, &id).await?;
    let mut page = page(&state, &user, &item, &branch).await?;
    page.notice = if query.created.is_some() {
        Some("整改事项已建立。")
    } else if query.again.is_some() {
        Some("这张表已经提交过，事项已经建立，没有重复建立。")
    } else if query.saved.is_some() {
        Some("已保存。")
    } else if query.noted.is_some() {
        Some("整改进展已记录。")
    } else if query.verified.is_some() {
        Some("已验收销号。")
    } else {
        None
    };
    render(&htmx, "整改事项", Some(&user.view()), &page)
}

/// The page again with a message (and what was typed), under `status`.
async fn again(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    branch: &Branch,
    id: &str,
    status: StatusCode,
    fill: impl FnOnce(&mut ItemPage),
) -> Result<Response, AppError> {
    let item = state.store.rectification(id).await?;
    let mut page = page(state, user, &item, branch).await?;
    fill(&mut page);
    let mut response = render(htmx, "整改事项", Some(&user.view()), &page)?;
    *response.status_mut() = status;
    Ok(response)
}

const STALE: &str = "这个事项已在另一个窗口或由其他人修改，您这次的操作没有保存。下面是最新的内容，请确认后重新操作。";
const VERIFIED: &str = "这个事项已经验收销号，不能再修改。";

/// A refusal of storage as the page's message and status.
fn refusal(error: RectificationError) -> Result<(StatusCode, String), AppError> {
    Ok(match error {
        RectificationError::Stale => (StatusCode::CONFLICT, STALE.to_owned()),
        RectificationError::Verified => (StatusCode::CONFLICT, VERIFIED.to_owned()),
        RectificationError::SelfVerification => {
            (StatusCode::FORBIDDEN, "整改责任人不能为自己的事项验收销号，请由支部其他委员或上级党组织验收。".to_owned())
        }
        RectificationError::NotDone => (StatusCode::CONFLICT, "只有责任人标记“已完成”的事项才能验收销号。".to_owned()),
        RectificationError::NotInBranch => (StatusCode::BAD_REQUEST, "所选人员不在本支部党员名册上".to_owned()),
        RectificationError::Attachment(problem) => (StatusCode::BAD_REQUEST, attachment_message(&problem)),
        RectificationError::AlreadySubmitted(_) => (StatusCode::CONFLICT, "已经提交过了。".to_owned()),
        RectificationError::Store(e) => return Err(e.into()),
    })
}

pub(super) fn attachment_message(problem: &AttachmentProblem) -> String {
    match problem {
        AttachmentProblem::Empty { file_name } => format!("文件“{file_name}”是空的，请重新选择"),
        AttachmentProblem::TooLarge { file_name, size } => format!(
            "文件“{file_name}”有 {:.1} MB，超过了 5 MB 的上限，请压缩或拆分后再上传",
            *size as f64 / (1024.0 * 1024.0)
        ),
        AttachmentProblem::Kind { file_name } => {
            format!("文件“{file_name}”不是 PDF、JPG、PNG、Word（.docx）或 Excel（.xlsx）文件，不能作为佐证材料上传")
        }
    }
}

/// Refuses a write to a reader: 403, audited.
async fn refuse_write(state: &AppState, user: &CurrentUser, item: &RectificationItem, why: &str) -> AppError {
    match user.audit(state, "access_denied", Some(&target(item)), "denied", why).await {
        Ok(()) => AppError::Forbidden,
        Err(e) => e,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct EditForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    deadline: String,
}

/// POST /rectification/{id}/edit: the secretary changes the owner, measure or deadline.
pub(super) async fn edit(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (item, branch) = context(&state, &user, &id).await?;
    if !branch.access.records() {
        return Err(refuse_write(&state, &user, &item, "只有支部书记可以修改整改事项").await);
    }
    let now = state.clock.now_ms();
    let mut errors = Vec::new();
    let measure = check_text(&form.measure, "整改措施", 2000, true).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    // An existing deadline may stay as it is even when it has passed.
    let deadline = if form.deadline.trim() == item.deadline {
        item.deadline.clone()
    } else {
        super::ledger::check_deadline(&form.deadline, &today(now)).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    if !branch.roster.iter().any(|m| m.id == form.owner) {
        errors.push("请从本支部党员中选择整改责任人".to_owned());
    }
    let typed = |page: &mut ItemPage| {
        page.edit = Some(EditView {
            owner: form.owner.clone(),
            measure: form.measure.clone(),
            deadline: form.deadline.clone(),
        });
    };
    if !errors.is_empty() {
        return again(&state, &htmx, &user, &branch, &id, StatusCode::BAD_REQUEST, |page| {
            typed(page);
            page.errors = errors;
        })
        .await;
    }
    let change = RectificationEdit { owner_member_id: &form.owner, measure: &measure, deadline: &deadline };
    match state.store.edit_rectification(&item.id, form.version, &change, &user.account.id, now).await {
        Ok(saved) => {
            let detail = format!("第 {} 版", saved.version);
            user.audit(&state, "rectification.edit", Some(&target(&item)), "ok", &detail).await?;
            Ok(Redirect::to(&format!("/rectification/{}?saved=1", item.id)).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            user.audit(&state, "rectification.edit", Some(&target(&item)), "failed", &message).await?;
            again(&state, &htmx, &user, &branch, &id, status, |page| {
                if page.edit.is_some() {
                    typed(page);
                }
                page.message = Some(message);
            })
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    status: String,
}

/// POST /rectification/{id}/status: the owner or the secretary moves it on (or back).
pub(super) async fn status(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (item, branch) = context(&state, &user, &id).await?;
    if !(branch.access.records() || owns(&user, &item)) {
        return Err(refuse_write(&state, &user, &item, "只有整改责任人和支部书记可以更新整改状态").await);
    }
    let wanted = RectificationStatus::from_code(&form.status).filter(|s| *s != RectificationStatus::Verified);
    let Some(wanted) = wanted else {
        return again(&state, &htmx, &user, &branch, &id, StatusCode::BAD_REQUEST, |page| {
            page.errors = vec!["请选择未开始、整改中或已完成".to_owned()];
        })
        .await;
    };
    let now = state.clock.now_ms();
    match state.store.set_rectification_status(&item.id, form.version, wanted, &user.account.id, now).await {
        Ok(_) => {
            let detail = format!("{} → {}", item.status.label(), wanted.label());
            user.audit(&state, "rectification.status", Some(&target(&item)), "ok", &detail).await?;
            Ok(Redirect::to(&format!("/rectification/{}?saved=1", item.id)).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            user.audit(&state, "rectification.status", Some(&target(&item)), "failed", &message).await?;
            again(&state, &htmx, &user, &branch, &id, status, |page| page.message = Some(message)).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct VerifyForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    note: String,
}

/// POST /rectification/{id}/verify: 销号 by the secretary, never by the owner.
pub(super) async fn verify(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (item, branch) = context(&state, &user, &id).await?;
    if !branch.access.records() {
        return Err(refuse_write(&state, &user, &item, "只有支部书记可以验收销号").await);
    }
    let note = match check_text(&form.note, "验收意见", 500, false) {
        Ok(note) => note,
        Err(e) => {
            return again(&state, &htmx, &user, &branch, &id, StatusCode::BAD_REQUEST, |page| page.errors = vec![e])
                .await;
        }
    };
    let now = state.clock.now_ms();
    match state.store.verify_rectification(&item.id, form.version, &user.account.id, &note, now).await {
        Ok(_) => {
            user.audit(&state, "rectification.verify", Some(&target(&item)), "ok", "").await?;
            Ok(Redirect::to(&format!("/rectification/{}?verified=1", item.id)).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            user.audit(&state, "rectification.verify", Some(&target(&item)), "failed", &message).await?;
            again(&state, &htmx, &user, &branch, &id, status, |page| page.message = Some(message)).await
        }
    }
}

/// POST /rectification/{id}/notes (multipart): a progress note with up to five files.
pub(super) async fn add_note(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (mut csrf, mut token, mut body, mut files) = (String::new(), String::new(), String::new(), Vec::new());
    let mut too_many = false;
    while let Some(field) =
        multipart.next_field().await.map_err(|_| AppError::BadRequest("上传的内容不完整，请重试".into()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("form_token") => token = field.text().await.unwrap_or_default(),
            Some("body") => body = field.text().await.unwrap_or_default(),
            Some("files") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                // A file input left empty still sends a part with no name and no bytes.
                if name.is_empty() && bytes.is_empty() {
                    continue;
                }
                if files.len() == MAX_FILES {
                    too_many = true;
                    continue;
                }
                files.push((if name.is_empty() { "未命名文件".to_owned() } else { name }, bytes));
            }
            _ => {}
        }
    }
    require_csrf(&user, &csrf)?;
    let (item, branch) = context(&state, &user, &id).await?;
    if !(branch.access.records() || owns(&user, &item)) {
        return Err(refuse_write(&state, &user, &item, "只有整改责任人和支部书记可以记录整改进展").await);
    }
    if !is_form_token(&token) {
        return Err(AppError::BadRequest("页面已过期，请刷新后重新填写".into()));
    }
    let mut errors = Vec::new();
    let text = check_text(&body, "整改进展", MAX_NOTE_CHARS, true).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    if too_many {
        errors.push(format!("每次最多上传 {MAX_FILES} 个文件"));
    }
    let attachments: Vec<NewAttachment<'_>> =
        files.iter().map(|(name, bytes)| NewAttachment { file_name: name, bytes }).collect();
    for a in &attachments {
        if let Err(problem) = a.check() {
            errors.push(attachment_message(&problem));
        }
    }
    if !errors.is_empty() {
        if !files.is_empty() {
            errors.push("为安全起见，已选择的文件没有保留，请重新选择。".to_owned());
        }
        return again(&state, &htmx, &user, &branch, &id, StatusCode::BAD_REQUEST, |page| {
            page.note_body = body.clone();
            page.note_token = Some(token.clone());
            page.errors = errors;
        })
        .await;
    }
    let now = state.clock.now_ms();
    match state.store.add_rectification_note(&item.id, &text, &attachments, &token, &user.account.id, now).await {
        Ok(note) => {
            // The log says that evidence came, never what it says.
            let detail = format!("附件 {} 个", note.attachments.len());
            user.audit(&state, "rectification.note", Some(&target(&item)), "ok", &detail).await?;
            Ok(Redirect::to(&format!("/rectification/{}?noted=1", item.id)).into_response())
        }
        Err(RectificationError::AlreadySubmitted(_)) => {
            Ok(Redirect::to(&format!("/rectification/{}?noted=1", item.id)).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            again(&state, &htmx, &user, &branch, &id, status, |page| {
                page.note_body = body.clone();
                page.message = Some(message);
            })
            .await
        }
    }
}

/// GET /rectification/attachments/{id}: the evidence file, to whoever may read its item.
pub(super) async fn attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (info, bytes, item_id) = match state.store.rectification_attachment(&id).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(refuse(&state, &user, "rectification_attachment", &id, "不存在").await),
        Err(e) => return Err(e.into()),
    };
    context(&state, &user, &item_id).await?;
    debug_assert!(bytes.len() <= MAX_ATTACHMENT_BYTES);
    let encoded: String = info
        .file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"evidence.{}\"; filename*=UTF-8''{encoded}", info.kind.code());
    Ok(([(CONTENT_TYPE, info.kind.content_type().to_owned()), (CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
