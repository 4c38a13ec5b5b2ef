//! The appraisal's results as a `.docx` in the official layout: the ballot's counts per grade for every member
//! graded, the committee's decisions with their reasons, and the follow-up of a 不合格. For the branch secretary
//! and the superior admins who may open the branch's appraisal page; only after a ballot round was closed.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mingjing_documents::{OfficialDocument, Table};

use super::branch::{BranchPage, build};
use super::branch_in_reach;
use crate::auth::CurrentUser;
use crate::download::{self, PreviewQuery, Target, Want};
use crate::{AppError, AppState};

pub(super) async fn results_docx(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let (campaign, org) = branch_in_reach(&state, &user, &cid, &oid).await?;
    let page = build(&state, &user, &campaign, &org).await?;
    let Some(doc) = document(&page) else {
        return Err(AppError::Conflict("民主测评还没有结束，暂时没有可以导出的评议结果。".to_owned()));
    };
    user.audit(&state, "appraisal.export", Some(&format!("org:{}", org.id)), "ok", &campaign.id).await?;
    let name = download::file_name(&format!("{}民主评议党员结果", org.name), "docx");
    let url = format!("/campaigns/{cid}/orgs/{oid}/appraisal/results.docx");
    let target = Target { name: &name, ascii: "appraisal-results.docx", url: &url };
    download::docx(&Want::new(&headers, &query), &user, &doc, target)
}

/// The document of a closed round's results, or nothing before the first close.
fn document(page: &BranchPage) -> Option<OfficialDocument> {
    let results = page.results.as_ref()?;
    let mut doc = OfficialDocument::new(format!("{}民主评议党员结果", page.org_name))
        .subtitle(format!("（{}）", page.campaign_title))
        .heading1("一、民主测评情况")
        .paragraph(&format!(
            "测评于 {} 结束（{}）。到会投票 {} 人，收回有效票 {} 张，被测评党员 {} 人。",
            results.closed_at,
            if results.paper { "纸质票汇总" } else { "手机或投票码无记名投票" },
            results.present,
            results.ballots,
            results.graded
        ));
    let mut counts = Table::new(["姓名", "优秀", "合格", "基本合格", "不合格", "合计"]);
    let mut totals = [0i64; 4];
    for row in &results.rows {
        for (t, c) in totals.iter_mut().zip(row.counts) {
            *t += c;
        }
        let mut cells = vec![row.name.clone()];
        cells.extend(row.counts.iter().map(ToString::to_string));
        cells.push(row.total.to_string());
        counts.push_row(cells);
    }
    let mut sum = vec!["合计".to_owned()];
    sum.extend(totals.iter().map(ToString::to_string));
    sum.push(totals.iter().sum::<i64>().to_string());
    counts.push_row(sum);
    doc = doc.heading2("（一）各等次得票").table(counts);
    for warning in &results.warnings {
        doc.push_paragraphs(&format!("注：{warning}"));
    }
    doc = doc.heading1("二、组织评定");
    let mut decisions = Table::new(["姓名", "评定等次", "理由"]);
    for row in &results.rows {
        if let Some((grade, reason)) = &row.decision {
            decisions.push_row([row.name.clone(), (*grade).to_owned(), reason.clone()]);
        }
    }
    let undecided = results.rows.len() - decisions.rows.len();
    let mut per_grade: Vec<(String, usize)> = Vec::new();
    for row in &decisions.rows {
        match per_grade.iter_mut().find(|(g, _)| *g == row[1]) {
            Some((_, n)) => *n += 1,
            None => per_grade.push((row[1].clone(), 1)),
        }
    }
    let summary: Vec<String> = per_grade.iter().map(|(g, n)| format!("{g} {n} 人")).collect();
    doc.push_paragraphs(&format!(
        "支部委员会结合民主测评和党员日常表现作出组织评定：{}{}。",
        if summary.is_empty() { "尚未评定".to_owned() } else { summary.join("，") },
        if undecided > 0 { format!("；另有 {undecided} 人尚未评定") } else { String::new() }
    ));
    if !decisions.rows.is_empty() {
        doc = doc.table(decisions);
    }
    doc = doc.heading1("三、后续处置");
    if page.followups.is_empty() {
        doc.push_paragraphs("无");
    } else {
        let mut table = Table::new(["姓名", "处置方式", "期限", "说明", "状态"]);
        for f in &page.followups {
            table.push_row([
                f.name.clone(),
                f.kind.to_owned(),
                f.deadline.clone(),
                f.note.clone(),
                f.status.to_owned(),
            ]);
        }
        doc = doc.table(table);
    }
    Some(doc.issuer(format!("中共{}委员会", page.org_name)))
}
