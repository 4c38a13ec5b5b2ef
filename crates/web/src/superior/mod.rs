//! The superior's view of a campaign (工作进度): every organization of the viewer's subtree with its progress through
//! the steps, the deadlines and what is overdue, drill-down to a committee and to a branch; the campaign's net copy
//! ratios as a histogram, the sources copied from most and the materials most alike; charts drawn on the server as
//! SVG beside tables of the same numbers; and all of it as an `.xlsx`. Counts only: no ranking of people.

pub mod charts;
pub mod copies;
pub mod export;
pub mod page;
pub mod progress;

use std::collections::{HashMap, HashSet};

use mingjing_review::Campaign as Definition;
use mingjing_review::campaign::{Step, days_from_civil};
use mingjing_storage::{Campaign, Member, Org, OrgKind, ReportStatus};

use crate::campaigns::deadlines::beijing_day;
use crate::copy_index::template_id;
use crate::talks::coverage;
use crate::{AppError, AppState};
use copies::{BUCKETS, SlimReview};
use progress::Counts;

/// How many sources and pairs the view lists.
pub const TOP: usize = 10;

/// One organization's line.
#[derive(Debug, Clone)]
pub struct OrgLine {
    pub org: Org,
    /// Depth below the view's root (0 for the root).
    pub depth: usize,
    pub counts: Counts,
}

/// One step's deadline.
#[derive(Debug, Clone)]
pub struct StepDeadline {
    pub step: Step,
    /// `YYYY-MM-DD`, or empty when the campaign sets none.
    pub date: String,
    /// The day has passed.
    pub passed: bool,
}

/// A source copied from, named for the viewer.
#[derive(Debug, Clone)]
pub struct SourceLine {
    pub name: String,
    pub materials: usize,
    pub chars: usize,
}

/// Two materials alike, named for the viewer.
#[derive(Debug, Clone)]
pub struct PairLine {
    pub a: String,
    pub b: String,
    pub a_url: String,
    pub b_url: String,
    pub share: f64,
}

/// Everything the view shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub campaign: Campaign,
    pub root: Org,
    /// The root first, then its committees and branches in tree order (党小组 are counted in their branch).
    pub lines: Vec<OrgLine>,
    pub total: Counts,
    pub deadlines: Vec<StepDeadline>,
    /// Reviewed materials per bucket of net copy ratio.
    pub histogram: [usize; BUCKETS],
    /// Materials with a review.
    pub reviewed: usize,
    pub sources: Vec<SourceLine>,
    pub pairs: Vec<PairLine>,
}

/// Gathers the view of `campaign` under `root`: a fixed number of grouped queries whatever the size of the subtree.
pub async fn gather(state: &AppState, campaign: &Campaign, root: &Org) -> Result<Overview, AppError> {
    let store = &state.store;
    let (c, path) = (campaign.id.as_str(), root.path.as_str());
    let orgs = store.subtree(root).await?;
    let branches: Vec<&Org> = orgs.iter().filter(|o| o.kind == OrgKind::Branch).collect();
    // Each organization's branch: itself, or the branch a 党小组 belongs to.
    let branch_of: HashMap<String, String> = orgs
        .iter()
        .filter_map(|o| branches.iter().find(|b| b.contains(o)).map(|b| (o.id.clone(), b.id.clone())))
        .collect();
    let mut counts: HashMap<String, Counts> =
        branches.iter().map(|b| (b.id.clone(), Counts { branches: 1, ..Counts::default() })).collect();
    for p in store.campaign_progress(c, path).await? {
        if let Some(entry) = branch_of.get(&p.org_id).and_then(|b| counts.get_mut(b)) {
            entry.members += p.members;
            entry.materials_submitted += p.submitted + p.returned + p.approved;
            entry.materials_approved += p.approved;
        }
    }
    for (org_id, n) in store.study_counts_under(c, path).await? {
        if let Some(entry) = branch_of.get(&org_id).and_then(|b| counts.get_mut(b)) {
            entry.study_sessions += n;
        }
    }
    for (org_id, n) in store.opinion_counts_under(c, path).await? {
        if let Some(entry) = branch_of.get(&org_id).and_then(|b| counts.get_mut(b)) {
            entry.opinions += n;
        }
    }
    talk_coverage(state, c, path, &orgs, &branches, &mut counts).await?;
    for (org_id, meeting) in store.meetings_under(c, path).await? {
        if let Some(entry) = counts.get_mut(&org_id) {
            entry.meetings_held += 1;
            entry.meetings_locked += i64::from(meeting.locked);
        }
    }
    for org_id in store.closed_appraisals_under(c, path).await? {
        if let Some(entry) = counts.get_mut(&org_id) {
            entry.appraisals_closed = 1;
        }
    }
    for (org_id, status) in store.report_statuses(c, path).await? {
        if let Some(entry) = counts.get_mut(&org_id) {
            entry.reports_submitted = i64::from(status.submitted());
            entry.reports_acknowledged = i64::from(status == ReportStatus::Acknowledged);
        }
    }
    rectification(state, c, path, &branch_of, &mut counts).await?;
    let deadlines = step_deadlines(campaign, state.clock.now_ms());
    let due: Vec<(Step, i64)> = Definition::from_toml(&campaign.definition)
        .map(|d| d.step_deadlines().into_iter().map(|(s, date)| (s, days_from_civil(date))).collect())
        .unwrap_or_default();
    let today = beijing_day(state.clock.now_ms());
    for entry in counts.values_mut() {
        entry.judge(&due, today);
    }
    let root_depth = root.path.matches('/').count();
    let mut total = Counts::default();
    for b in &branches {
        total.add(&counts[&b.id]);
    }
    let lines = orgs
        .iter()
        .filter(|o| o.kind != OrgKind::Group)
        .map(|o| {
            let mut sum = Counts::default();
            for b in branches.iter().filter(|b| o.contains(b)) {
                sum.add(&counts[&b.id]);
            }
            OrgLine { depth: o.path.matches('/').count().saturating_sub(root_depth), org: o.clone(), counts: sum }
        })
        .collect();
    let (histogram, reviewed, sources, pairs) = copy_statistics(state, campaign, path).await?;
    Ok(Overview {
        campaign: campaign.clone(),
        root: root.clone(),
        lines,
        total,
        deadlines,
        histogram,
        reviewed,
        sources,
        pairs,
    })
}

/// Each branch's required talk pairs and those held, from the roster's seats and the campaign's settings.
async fn talk_coverage(
    state: &AppState,
    campaign_id: &str,
    path: &str,
    orgs: &[Org],
    branches: &[&Org],
    counts: &mut HashMap<String, Counts>,
) -> Result<(), AppError> {
    let settings = state.store.talk_settings(campaign_id).await?;
    let rules = crate::talks::rules(&settings);
    let members = state.store.members_under(path).await?;
    let pairs = state.store.talk_pairs_under(campaign_id, path).await?;
    for branch in branches {
        let inside: HashSet<&str> = orgs.iter().filter(|o| branch.contains(o)).map(|o| o.id.as_str()).collect();
        let roster: Vec<&Member> = members.iter().filter(|m| inside.contains(m.org_id.as_str())).collect();
        let seats: Vec<(&str, coverage::Seat)> =
            roster.iter().map(|m| (m.id.as_str(), crate::talks::seat(m))).collect();
        let held = pairs.iter().filter(|(org, _, _)| *org == branch.id).map(|(_, a, b)| (a.as_str(), b.as_str()));
        let covered = coverage::coverage(&seats, held, &rules);
        if let Some(entry) = counts.get_mut(&branch.id) {
            entry.talk_pairs_required = covered.required_pairs as i64;
            entry.talk_pairs_done = covered.done_pairs as i64;
        }
    }
    Ok(())
}

/// Rectification completion per branch from its ledger: items verified (已验收) of all the ledger lists, those
/// carried over from last year included, since they are still this year's to finish.
async fn rectification(
    state: &AppState,
    campaign_id: &str,
    path: &str,
    branch_of: &HashMap<String, String>,
    counts: &mut HashMap<String, Counts>,
) -> Result<(), AppError> {
    for (org_id, (verified, all)) in state.store.rectification_counts_under(campaign_id, path).await? {
        if let Some(entry) = branch_of.get(&org_id).and_then(|b| counts.get_mut(b)) {
            entry.rectification.0 += verified;
            entry.rectification.1 += all;
        }
    }
    Ok(())
}

/// The campaign's deadlines, each with whether its day has passed.
pub fn step_deadlines(campaign: &Campaign, now_ms: i64) -> Vec<StepDeadline> {
    let today = beijing_day(now_ms);
    let set: Vec<(Step, toml::value::Date)> =
        Definition::from_toml(&campaign.definition).map(|d| d.step_deadlines()).unwrap_or_default();
    Step::ALL
        .into_iter()
        .map(|step| match set.iter().find(|(s, _)| *s == step) {
            Some((_, date)) => StepDeadline { step, date: date.to_string(), passed: today > days_from_civil(*date) },
            None => StepDeadline { step, date: String::new(), passed: false },
        })
        .collect()
}

type CopyStatistics = ([usize; BUCKETS], usize, Vec<SourceLine>, Vec<PairLine>);

/// The histogram, the sources and the pairs of the materials under `path`, named for a viewer who may see them.
async fn copy_statistics(state: &AppState, campaign: &Campaign, path: &str) -> Result<CopyStatistics, AppError> {
    let reviews = state.store.current_reviews_under(&campaign.id, path).await?;
    let histogram = copies::histogram(reviews.iter().filter_map(|r| r.net_copy_ratio));
    let reviewed = reviews.len();
    let slim: Vec<(String, SlimReview)> =
        reviews.iter().map(|r| (r.material_id.clone(), serde_json::from_str(&r.report).unwrap_or_default())).collect();
    let orgs: HashMap<String, String> = match state.store.org(&campaign.org_id).await {
        Ok(opener) => state.store.subtree(&opener).await?.into_iter().map(|o| (o.id, o.name)).collect(),
        Err(e) => return Err(e.into()),
    };
    // Materials inside the view are named; one outside it (another committee's) is not.
    let named: HashMap<&str, String> = reviews
        .iter()
        .map(|r| {
            let org = orgs.get(&r.org_id).map_or("", String::as_str);
            (r.material_id.as_str(), format!("{}（{}）的材料", r.member_name, org))
        })
        .collect();
    let mut sources = Vec::new();
    for tally in copies::top_sources(&slim, TOP) {
        let name = match (template_id(&tally.source), named.get(tally.source.as_str())) {
            (Some(template), _) => match state.store.reference_title(template).await {
                Ok(title) => format!("参考范文《{title}》"),
                Err(_) => "一篇已删除的参考范文".to_owned(),
            },
            (None, Some(name)) => name.clone(),
            (None, None) => "本范围以外的一份材料".to_owned(),
        };
        sources.push(SourceLine { name, materials: tally.materials, chars: tally.chars });
    }
    let pairs = copies::alike_pairs(&slim, TOP)
        .into_iter()
        .map(|p| PairLine {
            a: named.get(p.a.as_str()).cloned().unwrap_or_default(),
            b: named.get(p.b.as_str()).cloned().unwrap_or_default(),
            a_url: format!("/materials/{}", p.a),
            b_url: format!("/materials/{}", p.b),
            share: p.share,
        })
        .collect();
    Ok((histogram, reviewed, sources, pairs))
}
