//! Materials in the browser: a member writes or uploads theirs and submits it; the engine
//! reviews it against the campaign's other materials; the secretary reads the review
//! with every finding marked in the text and approves or returns it.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_review::copy::{CopyOptions, DocKind, Index, MemoryTexts, Querier, SourceDoc, Tier};
use mingjing_review::input::{self, Source};
use mingjing_review::normalize::NormText;
use mingjing_review::{Audience, Campaign as Definition, Corpus, Options, Review, review_against};
use mingjing_storage::{Decision, Material, MaterialStatus, Role, StoreError, StoredReview};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::highlight::{Mark, marked_html};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}", get(campaign_page))
        .route("/campaigns/{id}/material", post(save_material))
        .route("/campaigns/{id}/upload", post(upload_material))
        .route("/materials/{id}", get(material_page))
        .route("/materials/{id}/decision", post(decide))
}

fn definition(text: &str) -> Result<Definition, AppError> {
    Definition::from_toml(text).map_err(|e| AppError::Internal(e.into()))
}

/// Percent with one decimal, or a dash.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

#[derive(Template)]
#[template(path = "materials/campaign_member.html")]
struct MemberCampaignPage {
    campaign_id: String,
    campaign_title: String,
    deadline: Option<String>,
    aspects: Vec<String>,
    status: Option<&'static str>,
    status_code: &'static str,
    returned_comment: Option<String>,
    editable: bool,
    material_id: Option<String>,
    version: i64,
    body: String,
    csrf: String,
}

struct Row {
    member: String,
    org: String,
    status: &'static str,
    status_code: &'static str,
    copy_ratio: String,
    net_copy_ratio: String,
    material_id: Option<String>,
}

#[derive(Template)]
#[template(path = "materials/campaign_list.html")]
struct CampaignListPage {
    campaign_title: String,
    org_name: String,
    rows: Vec<Row>,
}

async fn campaign_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let campaign = state.store.campaign(&id).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&user.org) && !user.org.contains(&opener) {
        return Err(AppError::NotFound);
    }
    match user.account.role {
        Role::Member => member_campaign(&state, &htmx, &user, &campaign).await,
        Role::Secretary | Role::SuperiorAdmin => campaign_list(&state, &htmx, &user, &campaign).await,
        Role::Auditor | Role::SystemAdmin => Err(AppError::Forbidden),
    }
}

async fn member_campaign(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign: &mingjing_storage::Campaign,
) -> Result<Response, AppError> {
    let member_id = user.account.member_id.clone().ok_or(AppError::Forbidden)?;
    let def = definition(&campaign.definition)?;
    let material = state.store.material_of(&campaign.id, &member_id).await?;
    let (body, returned_comment) = match &material {
        Some(m) => (state.store.material_version(&m.id, m.version).await?.body, last_return_comment(state, m).await?),
        None => (String::new(), None),
    };
    let page = MemberCampaignPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        deadline: def.deadlines.get("materials").map(ToString::to_string),
        aspects: def.aspects_for(Audience::Member).iter().map(|a| a.title.clone()).collect(),
        status: material.as_ref().map(|m| m.status.label()),
        status_code: material.as_ref().map_or("none", |m| m.status.code()),
        returned_comment,
        editable: material.as_ref().is_none_or(|m| m.status.editable()),
        material_id: material.as_ref().map(|m| m.id.clone()),
        version: material.as_ref().map_or(0, |m| m.version),
        body,
        csrf: user.csrf.as_str().to_owned(),
    };
    render(htmx, &campaign.title, Some(&user.view()), &page)
}

async fn last_return_comment(state: &AppState, material: &Material) -> Result<Option<String>, AppError> {
    if material.status != MaterialStatus::Returned {
        return Ok(None);
    }
    let approvals = state.store.approvals_of(&material.id).await?;
    Ok(approvals.into_iter().rev().find(|a| a.decision == Decision::Return).map(|a| a.comment))
}

async fn campaign_list(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign: &mingjing_storage::Campaign,
) -> Result<Response, AppError> {
    // Four queries whatever the size of the subtree: a county's list must not cost one
    // query per member.
    let orgs = state.store.subtree(&user.org).await?;
    let org_names: HashMap<&str, &str> = orgs.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect();
    let materials = state.store.materials_under(&campaign.id, &user.org.path).await?;
    let by_member: HashMap<&str, &Material> = materials.iter().map(|m| (m.member_id.as_str(), m)).collect();
    let ratios = state.store.copy_ratios(&campaign.id).await?;
    let rows = state
        .store
        .members_under(&user.org.path)
        .await?
        .into_iter()
        .map(|member| {
            let material = by_member.get(member.id.as_str()).copied();
            let (copy, net) = material.and_then(|m| ratios.get(&m.id)).copied().unwrap_or((None, None));
            Row {
                org: org_names.get(member.org_id.as_str()).copied().unwrap_or_default().to_owned(),
                member: member.name,
                status: material.map_or("未开始", |m| m.status.label()),
                status_code: material.map_or("none", |m| m.status.code()),
                copy_ratio: percent(copy),
                net_copy_ratio: percent(net),
                material_id: material.map(|m| m.id.clone()),
            }
        })
        .collect();
    let page = CampaignListPage { campaign_title: campaign.title.clone(), org_name: user.org.name.clone(), rows };
    render(htmx, &campaign.title, Some(&user.view()), &page)
}

#[derive(Debug, Deserialize)]
struct MaterialForm {
    csrf: String,
    version: i64,
    body: String,
    action: String,
}

/// Largest material text accepted from the form, in bytes (the engine's own limit).
const MAX_BODY: usize = input::MAX_TEXT_BYTES;

async fn save_material(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<MaterialForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    if form.body.len() > MAX_BODY {
        return Err(AppError::BadRequest("材料超过 1 MB，请检查是否粘贴了多余的内容".into()));
    }
    let material = write_draft(&state, &user, &id, form.version, &form.body).await?;
    if form.action == "submit" {
        if form.body.trim().is_empty() {
            return Err(AppError::BadRequest("材料是空的，不能提交".into()));
        }
        submit(&state, &user, &material).await?;
    }
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

/// Saves a draft: starts the material on the first save, else adds a version guarded
/// by the version the page was showing.
async fn write_draft(
    state: &AppState,
    user: &CurrentUser,
    campaign_id: &str,
    seen: i64,
    body: &str,
) -> Result<Material, AppError> {
    let member_id = user.account.member_id.as_deref().ok_or(AppError::Forbidden)?;
    let campaign = state.store.campaign(campaign_id).await?;
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&user.org) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now_ms();
    match state.store.material_of(campaign_id, member_id).await? {
        None if seen == 0 => state
            .store
            .start_material(campaign_id, member_id, "member", body, &user.account.id, now)
            .await
            .map_err(AppError::from),
        None => Err(StoreError::Stale.into()),
        Some(m) if seen == 0 => {
            Err(if m.status.editable() { StoreError::Stale } else { StoreError::State(m.status.code().into()) }.into())
        }
        Some(m) => state.store.save_material(&m.id, seen, body, &user.account.id, now).await.map_err(AppError::from),
    }
}

async fn upload_material(
    State(state): State<AppState>,
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
                let name = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    require_csrf(&user, &csrf)?;
    let (name, bytes) =
        file.filter(|(_, b)| !b.is_empty()).ok_or_else(|| AppError::BadRequest("请选择要上传的文件".into()))?;
    let source = input::read(&name, &bytes).map_err(|e| AppError::BadRequest(e.to_string()))?;
    write_draft(&state, &user, &id, version, source.text()).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

/// Submits the current version and stores the engine's review of it.
async fn submit(state: &AppState, user: &CurrentUser, material: &Material) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let submitted = state.store.submit_material(&material.id, material.version, now).await?;
    let review = review_material(state, &submitted).await?;
    let report = serde_json::to_string(&review).map_err(|e| AppError::Internal(e.into()))?;
    let copy = review.copy.as_ref();
    let stored = StoredReview {
        material_id: submitted.id.clone(),
        version: submitted.version,
        report,
        copy_ratio: copy.map(|c| c.copy_ratio),
        net_copy_ratio: copy.map(|c| c.net_copy_ratio),
    };
    state.store.save_review(&stored, now).await?;
    user.audit(state, "submit_material", Some(&submitted.id), "ok", "").await?;
    Ok(())
}

/// Reviews a material against every other submitted material of its campaign, read
/// fresh from the database so that any server process sees the same corpus.
pub async fn review_material(state: &AppState, material: &Material) -> Result<Review, AppError> {
    let campaign = state.store.campaign(&material.campaign_id).await?;
    let def = definition(&campaign.definition)?;
    let mut index = Index::default();
    let mut texts = MemoryTexts::default();
    let mut own = None;
    for (other, body) in state.store.submitted_bodies(&campaign.id).await? {
        if other.id == material.id {
            own = Some(body.clone());
        }
        let Ok(source) = Source::from_text(body) else { continue };
        let doc = SourceDoc::new(NormText::new(&source));
        index
            .add(&other.id, Some(&other.member_id), DocKind::Member, &doc.skeleton)
            .map_err(|e| AppError::Internal(e.into()))?;
        texts.insert(&other.id, Arc::new(doc));
    }
    let body = match own {
        Some(body) => body,
        None => state.store.material_version(&material.id, material.version).await?.body,
    };
    let source = Source::from_text(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let options = CopyOptions::default();
    let corpus = Corpus { index: &index, texts: &texts, options: &options };
    let me = Querier { id: Some(&material.id), author: Some(&material.member_id) };
    Ok(review_against(&source, &def, Audience::Member, &Options::default(), &corpus, &me))
}

struct Summary {
    aspects: usize,
    covered: usize,
    missing: Vec<String>,
    problems: usize,
    causes: usize,
    measures: usize,
    unanswered: usize,
    problem_share: String,
    repetitions: usize,
    vague: usize,
    copy: Option<String>,
    net_copy: String,
    top_source: Option<String>,
}

#[derive(Template)]
#[template(path = "materials/material.html")]
struct MaterialPage {
    campaign_id: String,
    campaign_title: String,
    material_id: String,
    member_name: String,
    status: &'static str,
    status_code: &'static str,
    version: i64,
    returned_comment: Option<String>,
    summary: Option<Summary>,
    text_html: String,
    can_decide: bool,
    csrf: String,
}

async fn material_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let material = state.store.material(&id).await.map_err(|_| AppError::NotFound)?;
    let member = state.store.member(&material.member_id).await?;
    let member_org = state.store.org(&member.org_id).await?;
    let own = user.account.member_id.as_deref() == Some(member.id.as_str());
    let allowed =
        own || (matches!(user.account.role, Role::Secretary | Role::SuperiorAdmin) && user.org.contains(&member_org));
    if !allowed {
        user.audit(&state, "view_material", Some(&id), "denied", "").await?;
        // A guessed id in another branch looks exactly like a missing one.
        return Err(AppError::NotFound);
    }
    if !own {
        user.audit(&state, "view_material", Some(&id), "ok", "").await?;
    }
    let campaign = state.store.campaign(&material.campaign_id).await?;
    let body = state.store.material_version(&material.id, material.version).await?.body;
    let stored = state.store.review_of(&material.id, material.version).await?;
    let review: Option<Review> = stored.and_then(|s| serde_json::from_str(&s.report).ok());
    let names = source_names(&state, review.as_ref()).await;
    let page = MaterialPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        material_id: material.id.clone(),
        member_name: member.name.clone(),
        status: material.status.label(),
        status_code: material.status.code(),
        version: material.version,
        returned_comment: last_return_comment(&state, &material).await?,
        text_html: marked_html(&body, &review.as_ref().map(|r| marks(r, &names)).unwrap_or_default()),
        summary: review.as_ref().map(|r| summary(r, &names)),
        can_decide: !own && material.status == MaterialStatus::Submitted,
        csrf: user.csrf.as_str().to_owned(),
    };
    render(&htmx, &format!("{}的材料", member.name), Some(&user.view()), &page)
}

/// Source ids (material ids) turned into the names a reviewer knows.
async fn source_names(state: &AppState, review: Option<&Review>) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let Some(copy) = review.and_then(|r| r.copy.as_ref()) else { return names };
    for c in &copy.copies {
        if names.contains_key(&c.source) {
            continue;
        }
        let name = match state.store.material(&c.source).await {
            Ok(m) => match state.store.member(&m.member_id).await {
                Ok(member) => format!("{}的材料", member.name),
                Err(_) => "另一份材料".to_owned(),
            },
            Err(_) => c.source.clone(),
        };
        names.insert(c.source.clone(), name);
    }
    names
}

fn marks(review: &Review, names: &HashMap<String, String>) -> Vec<Mark> {
    let mut marks = Vec::new();
    if let Some(copy) = &review.copy {
        for c in &copy.copies {
            let source = names.get(&c.source).cloned().unwrap_or_else(|| c.source.clone());
            let (class, title) = match c.tier {
                Tier::Exact => ("copy", format!("与{source}相同")),
                Tier::Near => ("near", format!("疑似改写自{source}（相似度 {:.0}%）", c.similarity * 100.0)),
            };
            marks.push(Mark { start: c.start, end: c.end, class, title });
        }
    }
    for r in &review.repetitions {
        for [start, end] in &r.occurrences {
            marks.push(Mark { start: *start, end: *end, class: "repeat", title: "本材料中重复出现".into() });
        }
    }
    for v in &review.vague_problems {
        let problem =
            v.problem.aspect.and_then(|a| review.aspects.get(a)).and_then(|a| a.problems.get(v.problem.index));
        if let Some(p) = problem {
            marks.push(Mark { start: p.start, end: p.end, class: "vague", title: v.reason.clone() });
        }
    }
    marks
}

fn summary(review: &Review, names: &HashMap<String, String>) -> Summary {
    let copy = review.copy.as_ref();
    Summary {
        aspects: review.aspects.len(),
        covered: review.aspects.iter().filter(|a| a.covered).count(),
        missing: review.aspects.iter().filter(|a| !a.covered).map(|a| a.title.clone()).collect(),
        problems: review.problem_count(),
        causes: review.causes.len(),
        measures: review.measures.len(),
        unanswered: review.unanswered_problems.len(),
        problem_share: percent(Some(review.problem_share)),
        repetitions: review.repetitions.len(),
        vague: review.vague_problems.len(),
        copy: copy.map(|c| percent(Some(c.copy_ratio))),
        net_copy: percent(copy.map(|c| c.net_copy_ratio)),
        top_source: copy.and_then(|c| c.top_source.as_ref()).map(|t| {
            let name = names.get(&t.source).cloned().unwrap_or_else(|| t.source.clone());
            format!("{name}（{}）", percent(Some(t.share)))
        }),
    }
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    csrf: String,
    version: i64,
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let material = state.store.material(&id).await.map_err(|_| AppError::NotFound)?;
    let member = state.store.member(&material.member_id).await?;
    let member_org = state.store.org(&member.org_id).await?;
    let reviewer = matches!(user.account.role, Role::Secretary | Role::SuperiorAdmin) && user.org.contains(&member_org);
    if !reviewer || user.account.member_id.as_deref() == Some(member.id.as_str()) {
        return Err(AppError::NotFound);
    }
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "return" if form.comment.trim().is_empty() => return Err(AppError::BadRequest("退回时请写明修改意见".into())),
        "return" => Decision::Return,
        _ => return Err(AppError::BadRequest("请选择“审核通过”或“退回修改”".into())),
    };
    let now = state.clock.now_ms();
    state.store.decide_material(&id, form.version, &user.account.id, decision, form.comment.trim(), now).await?;
    user.audit(&state, "decide_material", Some(&id), "ok", "").await?;
    Ok(Redirect::to(&format!("/materials/{id}")).into_response())
}
