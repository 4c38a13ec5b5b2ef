//! Where the ledger reaches into other pages: a material's problems with the measure the
//! engine pairs with each (the ledger's items are raised from them), the 年年有 flags of the
//! material page, and the meeting's report on last year's rectification written from the
//! previous campaign's ledger.

use mingjing_review::checks::recurrence;
use mingjing_review::{ListedProblem, Review};
use mingjing_storage::{Campaign, Material, MaterialStatus, Member, Opinion, Org, OrgKind, RectificationStatus, Role};
use sha2::{Digest, Sha256};

use super::{ledger_path, name_of, names, previous_campaign, today};
use crate::auth::CurrentUser;
use crate::{AppError, AppState};

/// The problems of a material's current version with their best measure, from its stored review.
pub async fn material_problems(state: &AppState, material: &Material) -> Result<Vec<ListedProblem>, AppError> {
    let Some(stored) = state.store.review_of(&material.id, material.version).await? else { return Ok(Vec::new()) };
    // A review stored by an older engine that no longer parses lists nothing rather than failing the page.
    let review: Option<Review> = serde_json::from_str(&stored.report).ok();
    Ok(review.map(|r| r.listed_problems()).unwrap_or_default())
}

/// A stable name for an opinion: its keys are renewed on every write of its channel, its
/// content is not.
pub fn opinion_key(opinion: &Opinion) -> String {
    let mut hash = Sha256::new();
    for part in [opinion.day.as_str(), opinion.member_id.as_deref().unwrap_or(""), opinion.body.as_str()] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// One problem of a material as the material page lists it.
#[derive(Debug)]
pub struct ProblemRow {
    pub heading: String,
    pub text: String,
    pub measure: Option<String>,
    /// 年年有: last year's problem it repeats, with the similarity in percent.
    pub repeat: Option<(String, u32)>,
    /// Where the secretary raises a ledger item from it.
    pub create_url: Option<String>,
}

/// The branch a member's organization belongs to: itself, or the branch above a 党小组.
async fn branch_of(state: &AppState, org: &Org) -> Result<Org, AppError> {
    match (org.kind, org.parent_id.as_deref()) {
        (OrgKind::Group, Some(parent)) => Ok(state.store.org(parent).await?),
        _ => Ok(org.clone()),
    }
}

/// What a member said last year: the problems of their previous campaign's ledger items and
/// of their previous campaign's material.
async fn last_year_problems(
    state: &AppState,
    campaign: &Campaign,
    member: &Member,
    member_org: &Org,
) -> Result<Vec<String>, AppError> {
    let Some(previous) = previous_campaign(state, campaign, member_org).await? else { return Ok(Vec::new()) };
    let mut texts: Vec<String> =
        state.store.rectifications_of_member(&previous.id, &member.id).await?.into_iter().map(|i| i.problem).collect();
    if let Some(material) = state.store.material_of(&previous.id, &member.id).await? {
        texts.extend(material_problems(state, &material).await?.into_iter().map(|p| p.text));
    }
    Ok(texts)
}

/// The problems of a material for its page: each flagged 年年有 when it repeats last year's,
/// and, for the branch's secretary once the material is approved, the link that raises an item.
pub async fn material_problem_rows(
    state: &AppState,
    user: &CurrentUser,
    campaign: &Campaign,
    material: &Material,
    member: &Member,
    member_org: &Org,
) -> Result<Vec<ProblemRow>, AppError> {
    let problems = material_problems(state, material).await?;
    if problems.is_empty() {
        return Ok(Vec::new());
    }
    let previous = last_year_problems(state, campaign, member, member_org).await?;
    let current: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
    let old: Vec<&str> = previous.iter().map(String::as_str).collect();
    let repeats = recurrence::recurrences(&current, &old, recurrence::DEFAULT_THRESHOLD);
    let branch = branch_of(state, member_org).await?;
    let creates = material.status == MaterialStatus::Approved
        && user.role() == Role::Secretary
        && user.org.contains(&branch)
        && material.campaign_id == campaign.id;
    let base = ledger_path(&campaign.id, &branch.id);
    Ok(problems
        .into_iter()
        .enumerate()
        .map(|(n, p)| ProblemRow {
            repeat: repeats
                .iter()
                .find(|r| r.current == n)
                .map(|r| (previous[r.previous].clone(), (r.similarity * 100.0).round() as u32)),
            create_url: creates.then(|| {
                format!("{base}/new?from=material&material={}&section={}&index={}", material.id, p.section, p.index)
            }),
            heading: p.heading.unwrap_or_default(),
            text: p.text,
            measure: p.measure,
        })
        .collect())
}

/// The report on last year's rectification for a branch's meeting in `campaign`, written from
/// the branch's ledger of its previous campaign: each item, its owner, status and whether it
/// was verified. Empty when there was no previous campaign or no item.
pub async fn last_year_report(state: &AppState, campaign: &Campaign, org: &Org) -> Result<String, AppError> {
    let Some(previous) = previous_campaign(state, campaign, org).await? else { return Ok(String::new()) };
    let items = state.store.rectification_ledger(&previous.id, &org.id).await?;
    if items.is_empty() {
        return Ok(String::new());
    }
    let roster = state.store.members_under(&org.path).await?;
    let names = names(&roster);
    let today = today(state.clock.now_ms());
    let count = |s: RectificationStatus| items.iter().filter(|i| i.status == s).count();
    let overdue = items.iter().filter(|i| i.overdue(&today)).count();
    let mut text = format!(
        "{}整改台账共 {} 项：已验收销号 {} 项，已完成待验收 {} 项，整改中 {} 项，未开始 {} 项",
        previous.title,
        items.len(),
        count(RectificationStatus::Verified),
        count(RectificationStatus::Done),
        count(RectificationStatus::InProgress),
        count(RectificationStatus::NotStarted),
    );
    if overdue > 0 {
        text.push_str(&format!("，其中逾期 {overdue} 项"));
    }
    text.push_str("。\n");
    for (n, item) in items.iter().enumerate() {
        let problem: String = item.problem.chars().take(60).collect();
        let cut = if item.problem.chars().count() > 60 { "……" } else { "" };
        let verified = if item.status == RectificationStatus::Verified { "已销号" } else { "未销号" };
        let late = if item.overdue(&today) { "，逾期" } else { "" };
        text.push_str(&format!(
            "{}. {}（责任人：{}）：{problem}{cut}——{}，{verified}{late}。\n",
            n + 1,
            name_of(&names, item.member_id.as_deref()),
            name_of(&names, Some(&item.owner_member_id)),
            item.status.label(),
        ));
    }
    Ok(text.trim_end().to_owned())
}
