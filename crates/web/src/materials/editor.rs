//! The member's side: the structured editor (one block per required aspect, the matters
//! report, causes, measures), the whole-text editor for pasting, uploads, autosave and
//! submission. A save that loses a race with another tab shows the writer's own text
//! again with the conflict explained, so nothing typed is ever dropped silently.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mingjing_review::draft::{AspectBlock, OtherBlock};
use mingjing_review::input::{self, Source};
use mingjing_review::{Audience, Draft, Review};
use mingjing_storage::{Campaign, Material, MaterialStatus, Member, Role, StoreError, StoredReview};
use serde::Deserialize;

use super::{campaign_in_reach, definition, files_matters_report, writer};
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// Largest material text accepted from the form, in bytes (the engine's own limit).
const MAX_BODY: usize = input::MAX_TEXT_BYTES;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    uploaded: Option<String>,
}

/// One block of the structured editor as the template shows it.
struct BlockView {
    /// Form field name.
    name: String,
    label: String,
    hint: &'static str,
    text: String,
    rows: usize,
}

/// A section that matched no aspect: its heading is editable too.
struct OtherView {
    index: usize,
    heading: String,
    text: String,
}

#[derive(Template)]
#[template(path = "materials/editor.html")]
struct EditorPage {
    campaign_id: String,
    campaign_title: String,
    deadline: Option<String>,
    status: Option<&'static str>,
    status_code: &'static str,
    returned_comment: Option<String>,
    notes: Vec<(String, String)>,
    editable: bool,
    material_id: Option<String>,
    version: i64,
    /// `blocks` (structured) or `text` (the whole material in one box).
    mode: &'static str,
    opening: BlockView,
    aspects: Vec<BlockView>,
    others: Vec<OtherView>,
    tail: Vec<BlockView>,
    body: String,
    /// The member files the 有关事项报告 in this campaign.
    files_matters: bool,
    uploaded: bool,
    conflict: Option<String>,
    /// This rendering's own id: its autosaves never conflict with its own saves.
    editor_id: String,
    csrf: String,
    /// The member's branch's 组织生活会 record.
    meeting_url: String,
    /// Whether the record holds criticism addressed to the member.
    criticized: bool,
}

/// GET /campaigns/{id}: the editor for a member, the branch's list for a reviewer.
pub(super) async fn campaign_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    match user.role() {
        Role::Member => editor_page(&state, &htmx, &user, &id, &query).await,
        Role::Secretary | Role::SuperiorAdmin => {
            if query.mode.is_some() || query.uploaded.is_some() {
                return editor_page(&state, &htmx, &user, &id, &query).await;
            }
            let (campaign, _) = campaign_in_reach(&state, &user, &id).await?;
            super::review::campaign_list(&state, &htmx, &user, &campaign).await
        }
        Role::Auditor | Role::SystemAdmin | Role::SecurityAdmin => Err(AppError::Forbidden),
    }
}

async fn editor_page(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign_id: &str,
    query: &PageQuery,
) -> Result<Response, AppError> {
    let (campaign, _, member) = writer(state, user, campaign_id).await?;
    let material = state.store.material_of(&campaign.id, &member.id).await?;
    let body = match &material {
        Some(m) => state.store.material_version(&m.id, m.version).await?.body,
        None => String::new(),
    };
    let mode = if query.mode.as_deref() == Some("text") { "text" } else { "blocks" };
    let view = Shown { body, conflict: None, uploaded: query.uploaded.is_some(), mode };
    let page = editor(state, user, &campaign, &member, material.as_ref(), view).await?;
    render(htmx, &campaign.title, Some(&user.view()), &page)
}

/// What the editor shows besides the stored state: the text, and why it is shown again.
struct Shown {
    body: String,
    conflict: Option<String>,
    uploaded: bool,
    mode: &'static str,
}

async fn editor(
    state: &AppState,
    user: &CurrentUser,
    campaign: &Campaign,
    member: &Member,
    material: Option<&Material>,
    shown: Shown,
) -> Result<EditorPage, AppError> {
    let def = definition(&campaign.definition)?;
    let draft = if shown.body.trim().is_empty() {
        Draft::empty(&def, Audience::Member)
    } else {
        match Source::from_text(shown.body.clone()) {
            Ok(source) => Draft::split(&source, &def, Audience::Member),
            Err(_) => Draft::empty(&def, Audience::Member),
        }
    };
    let criticized = state.store.criticisms_addressed_to(&campaign.id, &member.id).await? > 0;
    let (returned_comment, notes) = match material {
        Some(m) => super::review::last_return(state, m).await?,
        None => (None, Vec::new()),
    };
    Ok(EditorPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        deadline: def.deadlines.get("materials").map(ToString::to_string),
        status: material.map(|m| m.status.label()),
        status_code: material.map_or("none", |m| m.status.code()),
        returned_comment,
        notes,
        editable: material.is_none_or(|m| m.status.editable()),
        material_id: material.map(|m| m.id.clone()),
        version: material.map_or(0, |m| m.version),
        mode: shown.mode,
        opening: block(
            "opening",
            "标题和开头",
            "如：对照检查材料（标题）、开头一段说明对照了什么、怎样查找问题",
            &draft.opening,
            3,
        ),
        aspects: draft
            .aspects
            .iter()
            .enumerate()
            .map(|(i, a)| BlockView {
                name: format!("aspect_{i}"),
                label: format!("（{}）{}", mingjing_review::draft::chinese_numeral(i + 1), a.title),
                hint: "逐条写出本方面的具体问题，如：一是……二是……，写明事例和表现",
                text: a.text.clone(),
                rows: 6,
            })
            .collect(),
        others: draft
            .others
            .iter()
            .enumerate()
            .map(|(index, o)| OtherView { index, heading: o.heading.clone(), text: o.text.clone() })
            .collect(),
        tail: vec![
            block(
                "matters_report",
                "有关事项报告",
                "按要求说明个人有关事项；没有需要报告的事项也请写明",
                &draft.matters_report,
                3,
            ),
            block(
                "causes",
                "问题产生的原因",
                "从理想信念、党性修养、宗旨意识、纪律规矩等方面深挖根源",
                &draft.causes,
                6,
            ),
            block("measures", "整改措施", "针对上面的问题逐条写出措施，写明怎么改、何时改到位", &draft.measures, 6),
        ],
        body: shown.body,
        files_matters: files_matters_report(&def, member).is_ok(),
        uploaded: shown.uploaded,
        conflict: shown.conflict,
        editor_id: mingjing_storage::new_id(),
        csrf: user.csrf.as_str().to_owned(),
        meeting_url: crate::meeting::meeting_path(&campaign.id, &member.org_id),
        criticized,
    })
}

fn block(name: &str, label: &str, hint: &'static str, text: &str, rows: usize) -> BlockView {
    BlockView { name: name.to_owned(), label: label.to_owned(), hint, text: text.to_owned(), rows }
}

/// The editor's form, whichever mode sent it: field name → value.
struct Posted {
    version: i64,
    /// The editor page's id, for telling its own autosaves from another tab's.
    editor: String,
    action: String,
    mode: &'static str,
    body: String,
}

/// Reads the form. The structured editor's blocks are composed into one text here, with
/// the aspect titles taken from the campaign, never from the form.
fn posted(fields: Vec<(String, String)>, campaign: &Campaign) -> Result<Posted, AppError> {
    let mut map: HashMap<String, String> = HashMap::with_capacity(fields.len());
    let mut size = 0;
    for (name, value) in fields {
        size += value.len();
        map.insert(name, value);
    }
    if size > MAX_BODY {
        return Err(AppError::BadRequest("材料超过 1 MB，请检查是否粘贴了多余的内容".into()));
    }
    let take = |map: &mut HashMap<String, String>, name: &str| map.remove(name).unwrap_or_default();
    // The form token was checked by the handler before the form was read.
    map.remove("csrf");
    let version = take(&mut map, "version").trim().parse().unwrap_or(0);
    let action = take(&mut map, "action");
    let editor: String = take(&mut map, "editor").chars().take(64).collect();
    let mode = take(&mut map, "mode");
    // A form without a mode is the plain one (a script, an old page): its text is `body`.
    if mode == "text" || (mode.is_empty() && map.contains_key("body")) {
        let body = take(&mut map, "body").replace("\r\n", "\n");
        return Ok(Posted { version, editor, action, mode: "text", body });
    }
    let def = definition(&campaign.definition)?;
    let mut draft = Draft::empty(&def, Audience::Member);
    draft.opening = take(&mut map, "opening");
    draft.problems_intro = take(&mut map, "problems_intro");
    for (i, AspectBlock { text, .. }) in draft.aspects.iter_mut().enumerate() {
        *text = take(&mut map, &format!("aspect_{i}"));
    }
    for i in 0.. {
        let Some(heading) = map.remove(&format!("other_heading_{i}")) else { break };
        let text = take(&mut map, &format!("other_text_{i}"));
        draft.others.push(OtherBlock { heading, text });
    }
    draft.matters_report = take(&mut map, "matters_report");
    draft.causes = take(&mut map, "causes");
    draft.measures = take(&mut map, "measures");
    let body = draft.compose().replace("\r\n", "\n");
    Ok(Posted { version, editor, action, mode: "blocks", body })
}

/// POST /campaigns/{id}/material: save, autosave or submit.
pub(super) async fn save_material(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Before anything else reads the form: a forged post must not reach the campaign's definition or the store.
    let token = fields.iter().find(|(name, _)| name == "csrf").map_or("", |(_, value)| value.as_str());
    require_csrf(&user, token)?;
    let (campaign, _, member) = writer(&state, &user, &id).await?;
    let form = posted(fields, &campaign)?;
    let autosave = form.action == "autosave";
    let write = Write { seen: form.version, body: &form.body, editor: &form.editor, autosave };
    let saved = match write_draft(&state, &user, &campaign, &member, write).await {
        Ok(saved) => saved,
        Err(Written::Lost(current)) if autosave => return Err(autosave_conflict(current.as_ref())),
        Err(Written::Lost(current)) => {
            return conflict_page(&state, &htmx, &user, &campaign, &member, current.as_ref(), form).await;
        }
        Err(Written::Failed(e)) => return Err(e),
    };
    // Every write is in the audit log, autosaves included: they are what survives a crash.
    let action = if autosave { "autosave_material" } else { "save_material" };
    user.audit(&state, action, Some(&saved.id), "ok", &format!("第 {} 稿", saved.version)).await?;
    if autosave {
        return Ok(autosaved(&state, &saved));
    }
    if form.action == "submit" {
        if form.body.trim().is_empty() {
            return Err(AppError::BadRequest("材料是空的，不能提交".into()));
        }
        submit(&state, &user, &saved).await?;
    }
    // A reviewer's own campaign page is the branch list, so they come back to their
    // editor by its mode; a member's campaign page is the editor itself.
    let query = match (form.mode, user.role()) {
        ("text", _) => "?mode=text",
        (_, Role::Member) => "",
        _ => "?mode=blocks",
    };
    Ok(Redirect::to(&format!("/campaigns/{id}{query}")).into_response())
}

/// The autosave answer: a status line, and the new version for the form's hidden field.
fn autosaved(state: &AppState, material: &Material) -> Response {
    let stamp = crate::audit::beijing_time(state.clock.now_ms());
    let time = stamp.get(11..16).unwrap_or_default();
    Html(format!(
        "<span id=\"autosave-status\" class=\"muted\">已自动保存（{time}，第 {} 稿）</span>\
         <input type=\"hidden\" id=\"version\" name=\"version\" value=\"{}\" hx-swap-oob=\"true\">",
        material.version, material.version
    ))
    .into_response()
}

fn autosave_conflict(current: Option<&Material>) -> AppError {
    let which = current.map_or_else(String::new, |m| format!("（第 {} 稿）", m.version));
    AppError::Conflict(format!(
        "这份材料已在另一个窗口或设备上保存了更新的内容{which}，本页的修改没有自动保存。\
         请点“保存草稿”，系统会把两份内容都显示出来供您核对，不会丢失。"
    ))
}

/// The writer's text shown again after a lost race: nothing they typed is lost, and the
/// form now carries the current version, so saving again is a deliberate choice.
async fn conflict_page(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign: &Campaign,
    member: &Member,
    current: Option<&Material>,
    form: Posted,
) -> Result<Response, AppError> {
    let message = match current {
        Some(m) if m.status.editable() => format!(
            "这份材料已在另一个窗口或设备上保存为第 {} 稿，您这次的修改还没有保存。下面是您刚才写的内容；\
             如果确认以它为准，请再点一次“保存草稿”（将替换第 {} 稿）。",
            m.version, m.version
        ),
        Some(m) if m.status == MaterialStatus::Approved => {
            "材料已审核通过，不能再修改。下面是您刚才写的内容，如需保留请复制。".to_owned()
        }
        Some(_) => "材料已经提交，等待审核期间不能修改或重复提交。下面是您刚才写的内容，如需保留请复制。".to_owned(),
        None => "保存没有成功，下面是您刚才写的内容，请再保存一次。".to_owned(),
    };
    let shown = Shown { body: form.body, conflict: Some(message), uploaded: false, mode: form.mode };
    let page = editor(state, user, campaign, member, current, shown).await?;
    let mut response = render(htmx, &campaign.title, Some(&user.view()), &page)?;
    *response.status_mut() = StatusCode::CONFLICT;
    Ok(response)
}

/// Why a draft was not written.
enum Written {
    /// Another tab or device wrote first (or the material moved on); here is what is stored.
    Lost(Option<Material>),
    Failed(AppError),
}

impl From<StoreError> for Written {
    fn from(error: StoreError) -> Self {
        Self::Failed(error.into())
    }
}

/// One write of the editor: the text, the version the page showed, and which page sent it.
#[derive(Debug, Clone, Copy)]
struct Write<'a> {
    seen: i64,
    body: &'a str,
    /// The editor page's own id (one per rendered page, so one per tab).
    editor: &'a str,
    autosave: bool,
}

/// Saves a draft: starts the material on the first save, else adds a version guarded by
/// the version the page was showing. The page's own autosaves, still in flight when the
/// member pressed save, are not another tab: the save goes over them instead of failing.
async fn write_draft(
    state: &AppState,
    user: &CurrentUser,
    campaign: &Campaign,
    member: &Member,
    write: Write<'_>,
) -> Result<Material, Written> {
    match write_once(state, user, campaign, member, write).await {
        Err(Written::Lost(Some(current))) if own_autosaves_since(state, &current, &write).await? => {
            write_once(state, user, campaign, member, Write { seen: current.version, ..write }).await
        }
        other => other,
    }
}

/// Whether every kept version after the one the page saw is an autosave from that page.
async fn own_autosaves_since(state: &AppState, current: &Material, write: &Write<'_>) -> Result<bool, Written> {
    if write.editor.is_empty() || write.seen == 0 || !current.status.editable() || current.version <= write.seen {
        return Ok(false);
    }
    let versions = state.store.versions_of(&current.id).await?;
    let newer: Vec<_> = versions.iter().filter(|v| v.version > write.seen).collect();
    // Autosaves collapse into the latest, so the page's own run leaves one kept row.
    Ok(newer.iter().any(|v| v.version == current.version)
        && newer.iter().all(|v| v.autosaved && v.editor.as_deref() == Some(write.editor)))
}

async fn write_once(
    state: &AppState,
    user: &CurrentUser,
    campaign: &Campaign,
    member: &Member,
    write: Write<'_>,
) -> Result<Material, Written> {
    let (now, store, by) = (state.clock.now_ms(), &state.store, &user.account.id);
    let Write { seen, body, editor, autosave } = write;
    let result = match store.material_of(&campaign.id, &member.id).await? {
        None if seen == 0 => {
            store.retrying(|| store.start_material(&campaign.id, &member.id, "member", body, by, now)).await
        }
        None => Err(StoreError::Stale),
        Some(m) if seen == 0 => Err(already_started(&m)),
        Some(m) if autosave => store.retrying(|| store.autosave_material(&m.id, seen, body, by, editor, now)).await,
        Some(m) => store.retrying(|| store.save_material(&m.id, seen, body, by, now)).await,
    };
    match result {
        Ok(material) => Ok(material),
        Err(StoreError::Stale | StoreError::State(_) | StoreError::Duplicate(_)) => {
            Err(Written::Lost(store.material_of(&campaign.id, &member.id).await?))
        }
        Err(e) => Err(e.into()),
    }
}

/// Why a first save (version 0) cannot start a material that already exists: another
/// tab started it, or it is past editing.
fn already_started(material: &Material) -> StoreError {
    if material.status.editable() { StoreError::Stale } else { StoreError::State(material.status.code().into()) }
}

/// POST /campaigns/{id}/upload: a .docx or .txt becomes a new draft version, shown split
/// into the editor's blocks for the member to check before submitting.
pub(super) async fn upload_material(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (mut csrf, mut version, mut file) = (String::new(), 0i64, None);
    while let Some(field) =
        multipart.next_field().await.map_err(|_| AppError::BadRequest("上传的内容不完整，请重试".into()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("version") => version = field.text().await.unwrap_or_default().trim().parse().unwrap_or(0),
            Some("file") => {
                let name = crate::upload::file_name(field.file_name(), "upload");
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    require_csrf(&user, &csrf)?;
    let (campaign, _, member) = writer(&state, &user, &id).await?;
    let (name, bytes) =
        file.filter(|(_, b)| !b.is_empty()).ok_or_else(|| AppError::BadRequest("请选择要上传的文件".into()))?;
    let source = input::read(&name, &bytes).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let body = source.text().replace("\r\n", "\n");
    let write = Write { seen: version, body: &body, editor: "", autosave: false };
    match write_draft(&state, &user, &campaign, &member, write).await {
        Ok(_) => {}
        Err(Written::Lost(current)) => {
            let form = Posted { version, editor: String::new(), action: "save".into(), mode: "blocks", body };
            return conflict_page(&state, &htmx, &user, &campaign, &member, current.as_ref(), form).await;
        }
        Err(Written::Failed(e)) => return Err(e),
    }
    user.audit(&state, "upload_material", Some(&campaign.id), "ok", &name.chars().take(80).collect::<String>()).await?;
    let back = if user.role() == Role::Member { "?uploaded=1" } else { "?mode=blocks&uploaded=1" };
    Ok(Redirect::to(&format!("/campaigns/{id}{back}")).into_response())
}

/// Submits the current version and stores the engine's review of it.
async fn submit(state: &AppState, user: &CurrentUser, material: &Material) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let store = &state.store;
    let submitted = store.retrying(|| store.submit_material(&material.id, material.version, now)).await?;
    save_review(state, &submitted, now).await?;
    user.audit(state, "submit_material", Some(&submitted.id), "ok", "").await?;
    Ok(())
}

/// Reviews the material's current version and stores the report, replacing any earlier review of that version.
pub(super) async fn save_review(state: &AppState, material: &Material, now: i64) -> Result<(), AppError> {
    let review = review_material(state, material).await?;
    let report = serde_json::to_string(&review).map_err(|e| AppError::Internal(e.into()))?;
    let copy = review.copy.as_ref();
    let stored = StoredReview {
        material_id: material.id.clone(),
        version: material.version,
        report,
        copy_ratio: copy.map(|c| c.copy_ratio),
        net_copy_ratio: copy.map(|c| c.net_copy_ratio),
    };
    state.store.save_review(&stored, now).await?;
    Ok(())
}

/// Reviews a material against the campaign's other submitted materials and the templates
/// that apply, through the campaign's index brought up to date from the database.
pub async fn review_material(state: &AppState, material: &Material) -> Result<Review, AppError> {
    let campaign = state.store.campaign(&material.campaign_id).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    let def = definition(&campaign.definition)?;
    let body = state.store.material_version(&material.id, material.version).await?.body;
    let source = Source::from_text(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (index, _) = state.indexes.current(&state.store, &campaign.id, &opener.path).await?;
    let index = index.read().await;
    let started = std::time::Instant::now();
    let review = index.review(&source, &def, &material.id, &material.member_id);
    crate::observability::record_review(started.elapsed());
    Ok(review)
}
