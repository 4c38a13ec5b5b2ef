//! The reviewer's side: the branch's (or subtree's) list with copy ratios, one material
//! with the engine's findings marked paragraph by paragraph, the decision with notes on
//! passages, and the list of kept versions.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_review::Review;
use mingjing_review::copy::Tier;
use mingjing_storage::{Campaign, Decision, Material, MaterialStatus, NewDecision, PassageNote, Role};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use serde::Deserialize;

use super::{percent, reviews};
use crate::auth::{CurrentUser, require_csrf};
use crate::copy_index::template_id;
use crate::highlight::{Mark, Paragraph, marked_paragraphs};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// Most notes one decision may carry, and the longest note.
const MAX_NOTES: usize = 200;
const MAX_NOTE_CHARS: usize = 1000;

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
    campaign_id: String,
    campaign_title: String,
    org_name: String,
    rows: Vec<Row>,
    /// The reviewer is also a member and writes a material of their own.
    writes_own: bool,
    superior: bool,
    /// The branch's 组织生活会 record (a secretary) or the list of records (a superior).
    meeting_url: String,
}

pub(super) async fn campaign_list(
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
    let page = CampaignListPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        org_name: user.org.name.clone(),
        rows,
        writes_own: user.account.member_id.is_some(),
        superior: user.role() == Role::SuperiorAdmin,
        meeting_url: match user.role() {
            Role::Secretary => crate::meeting::meeting_path(&campaign.id, &user.org.id),
            _ => format!("/campaigns/{}/meetings", campaign.id),
        },
    };
    render(htmx, &campaign.title, Some(&user.view()), &page)
}

/// The last return's comment and its passage notes (each with the passage it quotes),
/// while the material is still returned.
pub(super) async fn last_return(
    state: &AppState,
    material: &Material,
) -> Result<(Option<String>, Vec<(String, String)>), AppError> {
    if material.status != MaterialStatus::Returned {
        return Ok((None, Vec::new()));
    }
    let approvals = state.store.approvals_of(&material.id).await?;
    let Some(last) = approvals.into_iter().rev().find(|a| a.decision == Decision::Return) else {
        return Ok((None, Vec::new()));
    };
    let notes = state.store.notes_of(&last.id).await?;
    let text: Vec<char> = if notes.is_empty() {
        Vec::new()
    } else {
        state.store.material_version(&material.id, last.version).await?.body.chars().collect()
    };
    let quoted = notes.into_iter().map(|n| (quote(&text, &n), n.note)).collect();
    Ok((Some(last.comment), quoted))
}

/// The passage a note is about, shortened for display.
fn quote(text: &[char], note: &PassageNote) -> String {
    let start = usize::try_from(note.start).unwrap_or(0).min(text.len());
    let end = usize::try_from(note.end).unwrap_or(0).clamp(start, text.len());
    let passage: String = text[start..end].iter().collect();
    if passage.chars().count() > 60 {
        format!("{}……", passage.chars().take(60).collect::<String>())
    } else {
        passage
    }
}

#[derive(Debug)]
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
    /// Each source with the share of the material it accounts for.
    sources: Vec<String>,
}

/// What a reviewer sees of one version: its paragraphs with every finding marked, and the summary of the review.
#[derive(Debug)]
pub struct ReviewedVersion {
    /// The text itself, for the checks that are not kept (opinions arrive after the review).
    body: String,
    paragraphs: Vec<Paragraph>,
    summary: Option<Summary>,
}

impl ReviewedVersion {
    /// Roughly the bytes it holds, which is what the cache bounds.
    fn weight(&self) -> u64 {
        self.paragraphs.iter().map(|p| p.html.len() as u64 + 32).sum::<u64>() + self.body.len() as u64 + 1024
    }
}

/// Reviewed versions already worked out, keyed by the material, the version and when its review was made. A
/// version's text never changes (a revision is a new version) and its review only when the campaign's definition
/// is edited while it awaits its decision; a campaign's busiest hour is secretaries reopening the same submitted
/// materials, and parsing the stored report and marking the text was most of a page view's work.
#[derive(Debug, Clone)]
pub struct ReviewedVersions(Arc<Cache<VersionKey, Arc<ReviewedVersion>, ByWeight>>);

/// Material id, version, and when the version's review was made.
type VersionKey = (String, i64, i64);

#[derive(Debug, Clone)]
struct ByWeight;

impl Weighter<VersionKey, Arc<ReviewedVersion>> for ByWeight {
    fn weight(&self, _: &VersionKey, value: &Arc<ReviewedVersion>) -> u64 {
        value.weight()
    }
}

impl Default for ReviewedVersions {
    /// About 64 MiB: a county's few thousand materials several times over.
    fn default() -> Self {
        Self(Arc::new(Cache::with_weighter(4096, 64 << 20, ByWeight)))
    }
}

impl ReviewedVersions {
    /// Version `version` of `material` as a reviewer sees it, from the cache or worked out from the database. A
    /// submitted version whose review predates an edit of the campaign (its aspects, its mandated phrases) is
    /// reviewed again first, so the secretary decides on the rules now in force; one with no review is reviewed.
    async fn get(
        &self,
        state: &AppState,
        campaign: &Campaign,
        material: &Material,
        version: i64,
    ) -> Result<Arc<ReviewedVersion>, AppError> {
        let mut made = state.store.review_made_at(&material.id, version).await?;
        let awaiting = material.status == MaterialStatus::Submitted && version == material.version;
        // A version awaiting its decision with no review at all lost it to a crash between the submission and the
        // review's write: it is reviewed now, like one whose review predates the campaign's last edit.
        if awaiting && made.is_none_or(|at| at < campaign.updated_at) {
            let now = state.clock.now_ms();
            super::editor::save_review(state, material, now).await?;
            made = Some(now);
        }
        // A version without a review yet (a draft, or one shown an instant before its review is stored) is worked
        // out every time and never kept.
        let key = made.map(|at| (material.id.clone(), version, at));
        if let Some(found) = key.as_ref().and_then(|key| self.0.get(key)) {
            return Ok(found);
        }
        let body = state.store.material_version(&material.id, version).await.map_err(|_| AppError::NotFound)?.body;
        let stored = state.store.review_of(&material.id, version).await?;
        let review: Option<Review> = stored.and_then(|s| serde_json::from_str(&s.report).ok());
        let names = source_names(state, &material.campaign_id, review.as_ref()).await;
        let marks = review.as_ref().map(|r| marks(r, &names)).unwrap_or_default();
        let shown = Arc::new(ReviewedVersion {
            paragraphs: marked_paragraphs(&body, &marks),
            body,
            summary: review.as_ref().map(|r| summary(r, &names)),
        });
        if let Some(key) = key.filter(|_| review.is_some()) {
            self.0.insert(key, Arc::clone(&shown));
        }
        Ok(shown)
    }
}

/// A paragraph of the text with the notes attached to it.
struct ParagraphView<'a> {
    paragraph: &'a Paragraph,
    notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "materials/material.html")]
struct MaterialPage<'a> {
    campaign_id: String,
    campaign_title: String,
    material_id: String,
    member_name: String,
    status: &'static str,
    status_code: &'static str,
    version: i64,
    /// Showing an older version than the current one.
    old_version: bool,
    returned_comment: Option<String>,
    summary: Option<&'a Summary>,
    paragraphs: Vec<ParagraphView<'a>>,
    can_decide: bool,
    is_author: bool,
    /// The opinions about the member the material does not respond to: for the reviewer,
    /// and for the member once they may read the opinions (at least k).
    unanswered: Option<crate::opinions::Unanswered>,
    /// The problems with their measures, 年年有 flags and the ledger's links (current version only).
    problems: Vec<crate::rectification::links::ProblemRow>,
    repeats: usize,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct VersionQuery {
    #[serde(default)]
    version: Option<i64>,
}

pub(super) async fn material_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let (material, member, member_org) = crate::Scope::new(&state, &user).material_and_owner(&id).await?;
    let own = user.account.member_id.as_deref() == Some(member.id.as_str());
    if !own {
        user.audit(&state, "view_material", Some(&id), "ok", "").await?;
    }
    let version = query.version.filter(|v| (1..=material.version).contains(v)).unwrap_or(material.version);
    let campaign = state.store.campaign(&material.campaign_id).await?;
    let shown = state.reviewed.get(&state, &campaign, &material, version).await?;
    let (returned_comment, notes) = notes_on(&state, &material, version).await?;
    let paragraphs = shown
        .paragraphs
        .iter()
        .map(|paragraph| {
            let notes = notes
                .iter()
                .filter(|n| n.start < paragraph.end as i64 && n.end > paragraph.start as i64)
                .map(|n| n.note.clone())
                .collect();
            ParagraphView { paragraph, notes }
        })
        .collect();
    let reviewer = reviews(&user, &member, &member_org);
    let unanswered = match crate::opinions::unanswered_opinions(&state, &campaign, &member, &shown.body).await? {
        Some(found)
            if reviewer || (own && crate::opinions::member_may_read(&state, &campaign.id, found.total).await?) =>
        {
            Some(found)
        }
        _ => None,
    };
    let problems = if (reviewer || own) && version == material.version {
        crate::rectification::links::material_problem_rows(&state, &user, &campaign, &material, &member, &member_org)
            .await?
    } else {
        Vec::new()
    };
    let page = MaterialPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        material_id: material.id.clone(),
        member_name: member.name.clone(),
        status: material.status.label(),
        status_code: material.status.code(),
        version,
        old_version: version != material.version,
        returned_comment,
        summary: shown.summary.as_ref(),
        paragraphs,
        can_decide: reviewer && material.status == MaterialStatus::Submitted && version == material.version,
        is_author: own,
        unanswered,
        repeats: problems.iter().filter(|p| p.repeat.is_some()).count(),
        problems,
        csrf: user.csrf.as_str().to_owned(),
    };
    render(&htmx, &format!("{}的材料", member.name), Some(&user.view()), &page)
}

/// The comment and notes of the return decision made on `version`, if any.
async fn notes_on(
    state: &AppState,
    material: &Material,
    version: i64,
) -> Result<(Option<String>, Vec<PassageNote>), AppError> {
    let approvals = state.store.approvals_of(&material.id).await?;
    let Some(last) = approvals.into_iter().rev().find(|a| a.version == version && a.decision == Decision::Return)
    else {
        return Ok((None, Vec::new()));
    };
    Ok((Some(last.comment), state.store.notes_of(&last.id).await?))
}

/// Source ids turned into the names a reviewer knows: one query for every colleague's
/// material of the campaign, one per template (a handful at most).
async fn source_names(state: &AppState, campaign_id: &str, review: Option<&Review>) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let Some(copy) = review.and_then(|r| r.copy.as_ref()).filter(|c| !c.copies.is_empty()) else { return names };
    let authors: HashMap<String, String> =
        state.store.author_names(campaign_id).await.unwrap_or_default().into_iter().collect();
    for c in &copy.copies {
        if names.contains_key(&c.source) {
            continue;
        }
        let name = match template_id(&c.source) {
            Some(template) => match state.store.reference_title(template).await {
                Ok(title) => format!("参考范文《{title}》"),
                Err(_) => "一篇已删除的参考范文".to_owned(),
            },
            None => authors.get(&c.source).map_or_else(|| "另一份材料".to_owned(), |name| format!("{name}的材料")),
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
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut by_source: Vec<(String, usize)> = Vec::new();
    if let Some(copy) = copy {
        let mut chars: HashMap<&str, usize> = HashMap::new();
        for c in &copy.copies {
            *chars.entry(c.source.as_str()).or_default() += c.end.saturating_sub(c.start);
        }
        by_source = chars.into_iter().map(|(id, n)| (name(id), n)).collect();
        by_source.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    let total = review.chars.max(1) as f64;
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
        top_source: copy
            .and_then(|c| c.top_source.as_ref())
            .map(|t| format!("{}（{}）", name(&t.source), percent(Some(t.share)))),
        sources: by_source
            .into_iter()
            .take(10)
            .map(|(name, n)| format!("{name}：{} 字（约 {}）", n, percent(Some(n as f64 / total))))
            .collect(),
    }
}

/// POST /materials/{id}/decision: approve, or return with a comment and passage notes.
pub(super) async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    require_csrf(&user, field("csrf"))?;
    let (material, member, member_org) = crate::Scope::new(&state, &user).material_and_owner(&id).await?;
    if !reviews(&user, &member, &member_org) {
        return Err(AppError::NotFound);
    }
    let version: i64 =
        field("version").trim().parse().map_err(|_| AppError::BadRequest("页面已过期，请刷新".into()))?;
    let body = state.store.material_version(&material.id, version).await.map_err(|_| AppError::NotFound)?.body;
    let notes = passage_notes(&fields, body.chars().count())?;
    let comment = field("comment").trim();
    if comment.chars().count() > 2000 {
        return Err(AppError::BadRequest("意见请控制在 2000 字以内".into()));
    }
    let decision = match field("decision") {
        "approve" => Decision::Approve,
        "return" if comment.is_empty() && notes.is_empty() => {
            return Err(AppError::BadRequest("退回时请写明修改意见，或在正文段落旁写批注".into()));
        }
        "return" => Decision::Return,
        _ => return Err(AppError::BadRequest("请选择“审核通过”或“退回修改”".into())),
    };
    let comment = if comment.is_empty() { "见正文批注" } else { comment };
    let now = state.clock.now_ms();
    let store = &state.store;
    let decided = NewDecision { reviewer: &user.account.id, decision, comment, notes: &notes };
    store.retrying(|| store.decide_material(&id, version, &decided, now)).await?;
    let detail = format!("{}；批注 {} 条", if decision == Decision::Approve { "通过" } else { "退回" }, notes.len());
    user.audit(&state, "decide_material", Some(&id), "ok", &detail).await?;
    Ok(Redirect::to(&format!("/materials/{id}")).into_response())
}

/// The `note_{start}_{end}` fields that carry text, checked against the text's length.
fn passage_notes(fields: &[(String, String)], len: usize) -> Result<Vec<PassageNote>, AppError> {
    let mut notes = Vec::new();
    for (name, value) in fields {
        let Some(range) = name.strip_prefix("note_") else { continue };
        let note = value.trim();
        if note.is_empty() {
            continue;
        }
        let (start, end) = range
            .split_once('_')
            .and_then(|(s, e)| Some((s.parse::<usize>().ok()?, e.parse::<usize>().ok()?)))
            .filter(|(s, e)| s < e && *e <= len)
            .ok_or_else(|| AppError::BadRequest("批注对应的段落已变化，请刷新页面后重写".into()))?;
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::BadRequest(format!("每条批注请控制在 {MAX_NOTE_CHARS} 字以内")));
        }
        notes.push(PassageNote { start: start as i64, end: end as i64, note: note.to_owned() });
    }
    if notes.len() > MAX_NOTES {
        return Err(AppError::BadRequest(format!("批注太多（最多 {MAX_NOTES} 条）")));
    }
    Ok(notes)
}

struct VersionRow {
    version: i64,
    time: String,
    by: String,
    chars: i64,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "materials/versions.html")]
struct VersionsPage {
    material_id: String,
    member_name: String,
    rows: Vec<VersionRow>,
}

/// GET /materials/{id}/versions: every kept version (autosaves collapse into the latest).
pub(super) async fn versions_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (material, member, _) = crate::Scope::new(&state, &user).material_and_owner(&id).await?;
    let approvals = state.store.approvals_of(&material.id).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::new();
    for v in state.store.versions_of(&material.id).await? {
        if !names.contains_key(&v.created_by) {
            let name = state.store.account(&v.created_by).await.map(|a| a.display_name).unwrap_or_default();
            names.insert(v.created_by.clone(), name);
        }
        let decided = approvals.iter().rev().find(|a| a.version == v.version).map(|a| a.decision);
        let kind = match decided {
            Some(Decision::Approve) => "审核通过的稿",
            Some(Decision::Return) => "被退回的稿",
            None if v.autosaved => "自动保存",
            None if v.version == material.version && material.status == MaterialStatus::Submitted => "已提交，待审核",
            None => "手动保存",
        };
        rows.push(VersionRow {
            version: v.version,
            time: crate::audit::beijing_time(v.created_at),
            by: names.get(&v.created_by).cloned().unwrap_or_default(),
            chars: v.chars,
            kind,
        });
    }
    let page = VersionsPage { material_id: material.id.clone(), member_name: member.name.clone(), rows };
    render(&htmx, &format!("{}的材料：历次版本", member.name), Some(&user.view()), &page)
}
