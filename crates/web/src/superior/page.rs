//! The view's page and its `.xlsx` download, both for the campaign's part in the viewer's subtree or for an
//! organization drilled down to (`?org=`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use mingjing_review::campaign::Step;
use mingjing_storage::OrgKind;
use serde::Deserialize;

use super::charts::{self, Bar};
use super::copies::{BUCKETS, bucket_label};
use super::export::{overdue_text, workbook};
use super::progress::{Counts, percent};
use super::{Overview, gather};
use crate::auth::CurrentUser;
use crate::pages::{HtmxRequest, render};
use crate::scope::Scope;
use crate::{AppError, AppState};

#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    #[serde(default)]
    org: Option<String>,
}

/// One organization's line as shown.
struct RowView {
    name: String,
    depth: usize,
    /// The drill-down link (none for the root itself).
    url: Option<String>,
    cells: Vec<String>,
    overdue: String,
    /// A branch's own pages.
    links: Vec<(String, &'static str)>,
}

/// One step of a branch, when the view is drilled down to it.
struct StepView {
    label: &'static str,
    date: String,
    state: &'static str,
    state_class: &'static str,
    detail: String,
}

struct DeadlineRow {
    label: &'static str,
    date: String,
    done: i64,
    overdue: i64,
}

#[derive(Template)]
#[template(path = "campaigns/overview.html")]
struct OverviewPage {
    campaign_id: String,
    campaign_title: String,
    root_name: String,
    /// Up the tree to the viewer's top: (link, name).
    crumbs: Vec<(String, String)>,
    export_url: String,
    headers: Vec<&'static str>,
    rows: Vec<RowView>,
    total: Vec<String>,
    total_overdue: String,
    branches: i64,
    deadlines: Vec<DeadlineRow>,
    steps_svg: String,
    /// The root is a branch: its steps one by one.
    steps: Vec<StepView>,
    histogram_svg: String,
    histogram: Vec<(String, usize, String)>,
    reviewed: usize,
    sources: Vec<(String, usize, usize)>,
    pairs: Vec<(String, String, String, String, String)>,
}

const HEADERS: [&str; 13] = [
    "支部数",
    "党员",
    "材料已提交",
    "材料已通过",
    "学习研讨（次）",
    "谈心谈话（已谈/应谈）",
    "收到意见（条）",
    "已召开组织生活会",
    "会议记录已锁定",
    "民主测评已结束",
    "报告已上报",
    "报告已确认",
    "整改已验收",
];

fn cells(c: &Counts) -> Vec<String> {
    let of = |n: i64, all: i64| format!("{n}/{all}");
    vec![
        c.branches.to_string(),
        c.members.to_string(),
        of(c.materials_submitted, c.members),
        of(c.materials_approved, c.members),
        c.study_sessions.to_string(),
        of(c.talk_pairs_done, c.talk_pairs_required),
        c.opinions.to_string(),
        of(c.meetings_held, c.branches),
        of(c.meetings_locked, c.branches),
        of(c.appraisals_closed, c.branches),
        of(c.reports_submitted, c.branches),
        of(c.reports_acknowledged, c.branches),
        of(c.rectification.0, c.rectification.1),
    ]
}

fn branch_steps(view: &Overview) -> Vec<StepView> {
    let c = &view.total;
    Step::ALL
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            let deadline = view.deadlines.iter().find(|d| d.step == step);
            let (state, state_class) = if c.steps_done[i] > 0 {
                ("已完成", "step-done")
            } else if c.steps_overdue[i] > 0 {
                ("逾期", "overdue")
            } else {
                ("进行中", "")
            };
            let detail = match step {
                Step::Talks => format!("应谈 {} 对，已谈 {} 对", c.talk_pairs_required, c.talk_pairs_done),
                Step::Materials => format!(
                    "党员 {} 人，已提交 {} 份，已通过 {} 份",
                    c.members, c.materials_submitted, c.materials_approved
                ),
                Step::Meeting => match (c.meetings_held, c.meetings_locked) {
                    (_, 1..) => "已召开，记录已锁定".to_owned(),
                    (1.., _) => "记录中，尚未锁定".to_owned(),
                    _ => "尚未记录".to_owned(),
                },
                Step::Appraisal => {
                    if c.appraisals_closed > 0 { "民主测评已结束" } else { "民主测评未结束" }.to_owned()
                }
                Step::Report => match (c.reports_submitted, c.reports_acknowledged) {
                    (_, 1..) => "已上报，上级已确认".to_owned(),
                    (1.., _) => "已上报，等待确认".to_owned(),
                    _ => "尚未上报".to_owned(),
                },
            };
            StepView {
                label: step.label(),
                date: deadline.map(|d| d.date.clone()).filter(|d| !d.is_empty()).unwrap_or_else(|| "未规定".to_owned()),
                state,
                state_class,
                detail,
            }
        })
        .collect()
}

/// GET /campaigns/{id}/overview[?org=ID]
pub async fn overview(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<OrgQuery>,
) -> Result<Response, AppError> {
    let scope = Scope::new(&state, &user);
    let (campaign, root) = scope.progress_campaign(&id, query.org.as_deref()).await?;
    let view = gather(&state, &campaign, &root).await?;
    let (top_campaign, top) = scope.progress_campaign(&id, None).await?;
    let base = format!("/campaigns/{}/overview", top_campaign.id);
    let mut crumbs = Vec::new();
    if top.id != root.id {
        // Every organization between the viewer's top and the one drilled down to.
        for org in state.store.subtree(&top).await? {
            if org.contains(&root) && org.id != root.id {
                let url = if org.id == top.id { base.clone() } else { format!("{base}?org={}", org.id) };
                crumbs.push((url, org.name));
            }
        }
    }
    let link = |org_id: &str| format!("{base}?org={org_id}");
    let rows = view
        .lines
        .iter()
        .map(|line| RowView {
            name: line.org.name.clone(),
            depth: line.depth.min(4),
            url: (line.org.id != root.id).then(|| link(&line.org.id)),
            cells: cells(&line.counts),
            overdue: overdue_text(line),
            links: if line.org.kind == OrgKind::Branch {
                vec![
                    (crate::meeting::meeting_path(&campaign.id, &line.org.id), "会议记录"),
                    (crate::reports::report_path(&campaign.id, &line.org.id), "情况报告"),
                ]
            } else {
                Vec::new()
            },
        })
        .collect();
    let branches = view.total.branches;
    let steps_svg = charts::bars(
        "steps",
        "各步骤已完成的党支部数",
        &Step::ALL
            .into_iter()
            .enumerate()
            .map(|(i, s)| Bar {
                label: s.label().to_owned(),
                value: view.total.steps_done[i],
                note: format!("{}/{branches}", view.total.steps_done[i]),
            })
            .collect::<Vec<_>>(),
        branches,
        "bar-done",
    );
    let histogram: Vec<(String, usize, String)> = (0..BUCKETS)
        .map(|i| (bucket_label(i), view.histogram[i], percent(view.histogram[i] as i64, view.reviewed as i64)))
        .collect();
    let histogram_svg = charts::bars(
        "copy",
        "去除规定表述后的复制比分布（材料份数）",
        &histogram
            .iter()
            .map(|(l, n, _)| Bar { label: l.clone(), value: *n as i64, note: format!("{n} 份") })
            .collect::<Vec<_>>(),
        0,
        "bar",
    );
    let deadlines = view
        .deadlines
        .iter()
        .enumerate()
        .map(|(i, d)| DeadlineRow {
            label: d.step.label(),
            date: if d.date.is_empty() { "未规定".to_owned() } else { d.date.clone() },
            done: view.total.steps_done[i],
            overdue: view.total.steps_overdue[i],
        })
        .collect();
    let total_line = super::OrgLine { org: root.clone(), depth: 0, counts: view.total.clone() };
    let page = OverviewPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        root_name: root.name.clone(),
        crumbs,
        export_url: match &query.org {
            Some(org) if *org != top.id && !org.is_empty() => format!("{base}.xlsx?org={org}"),
            _ => format!("{base}.xlsx"),
        },
        headers: HEADERS.to_vec(),
        total: cells(&view.total),
        total_overdue: overdue_text(&total_line),
        rows,
        branches,
        deadlines,
        steps_svg,
        steps: if root.kind == OrgKind::Branch { branch_steps(&view) } else { Vec::new() },
        histogram_svg,
        histogram,
        reviewed: view.reviewed,
        sources: view.sources.iter().map(|s| (s.name.clone(), s.materials, s.chars)).collect(),
        pairs: view
            .pairs
            .iter()
            .map(|p| (p.a.clone(), p.a_url.clone(), p.b.clone(), p.b_url.clone(), format!("{:.0}%", p.share * 100.0)))
            .collect(),
    };
    render(&htmx, "工作进度", Some(&user.view()), &page)
}

/// GET /campaigns/{id}/overview.xlsx[?org=ID]: the same view as a workbook, audited.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<OrgQuery>,
) -> Result<Response, AppError> {
    let (campaign, root) = Scope::new(&state, &user).progress_campaign(&id, query.org.as_deref()).await?;
    let view = gather(&state, &campaign, &root).await?;
    let bytes = workbook(&view).map_err(|e| AppError::Internal(e.into()))?;
    let target = format!("campaign:{}", campaign.id);
    user.audit(&state, "overview.export", Some(&target), "ok", &root.name).await?;
    let file_name = format!("{}{}工作进度.xlsx", campaign.title, root.name);
    let disposition =
        format!("attachment; filename=\"progress.xlsx\"; filename*=UTF-8''{}", percent_encode(&file_name));
    Ok((
        [
            (CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// RFC 5987 encoding of a file name for `filename*`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
