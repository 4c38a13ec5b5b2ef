//! A branch's figures for one campaign as an `.xlsx` (or its preview in WeChat): the roster with each member's
//! material status, study attendance and talk coverage, and a sheet of totals (members, materials by status,
//! study sessions, talk pairs, opinions). For the branch secretary and the superior admins of the subtree.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use mingjing_documents::{Cell, Sheet};
use mingjing_storage::MaterialStatus;

use crate::auth::CurrentUser;
use crate::download::{self, PreviewQuery, Target, Want};
use crate::prep::{self, Access};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/campaigns/{cid}/orgs/{oid}/statistics.xlsx", get(statistics_xlsx))
}

/// The address of a branch's statistics workbook.
pub fn statistics_path(campaign_id: &str, org_id: &str) -> String {
    format!("/campaigns/{campaign_id}/orgs/{org_id}/statistics.xlsx")
}

async fn statistics_xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let branch = prep::branch(&state, &user, &cid, &oid).await?;
    if matches!(branch.access, Access::Member(_)) {
        return Err(prep::refuse(&state, &user, "org", &oid, "党员不能导出支部统计").await);
    }
    let sheets = sheets(&state, &branch).await?;
    user.audit(&state, "statistics.export", Some(&format!("org:{}", branch.org.id)), "ok", &branch.campaign.id).await?;
    let title = format!("{}{}统计", branch.org.name, branch.campaign.title);
    let name = download::file_name(&title, "xlsx");
    let url = statistics_path(&cid, &oid);
    let target = Target { name: &name, ascii: "statistics.xlsx", url: &url };
    download::xlsx(&Want::new(&headers, &query), &user, &title, &sheets, target)
}

async fn sheets(state: &AppState, branch: &prep::Branch) -> Result<Vec<Sheet>, AppError> {
    let (campaign, org) = (&branch.campaign, &branch.org);
    let materials = state.store.materials_under(&campaign.id, &org.path).await?;
    let sessions = state.store.study_sessions(&campaign.id, &org.id).await?;
    let coverage = crate::talks::branch_coverage(state, branch).await?;
    let opinions = match state.store.opinion_channel(&campaign.id, &org.id).await? {
        Some(channel) => state.store.opinions_of_channel(&channel.id).await?.len(),
        None => 0,
    };

    let mut members = Sheet::new(
        "党员",
        ["序号", "姓名", "人员类别", "职务", "材料状态", "参加学习研讨（次）", "已完成谈话", "尚缺谈话"],
    );
    for (i, (member, row)) in branch.roster.iter().zip(&coverage.rows).enumerate() {
        let status = materials.iter().find(|m| m.member_id == member.id).map_or("未开始", |m| m.status.label());
        let attended =
            sessions.iter().filter(|s| s.attendance.iter().any(|a| a.member_id == member.id && a.present)).count();
        let names = |idx: &[usize]| idx.iter().map(|&j| branch.roster[j].name.as_str()).collect::<Vec<_>>().join("、");
        members.row(vec![
            Cell::from(i + 1),
            Cell::from(member.name.as_str()),
            Cell::from(member.standing.label()),
            Cell::from(member.post.clone().unwrap_or_default()),
            Cell::from(status),
            Cell::from(attended),
            Cell::from(names(&row.done)),
            Cell::from(names(&row.missing)),
        ]);
    }

    let mut totals = Sheet::new("统计", ["项目", "数量"]);
    let count = |status: MaterialStatus| materials.iter().filter(|m| m.status == status).count();
    let lines: Vec<(String, usize)> = vec![
        ("党员人数".into(), branch.roster.len()),
        ("材料：未开始".into(), branch.roster.len().saturating_sub(materials.len())),
        ("材料：草稿".into(), count(MaterialStatus::Draft)),
        ("材料：已提交".into(), count(MaterialStatus::Submitted)),
        ("材料：已退回".into(), count(MaterialStatus::Returned)),
        ("材料：已通过".into(), count(MaterialStatus::Approved)),
        ("学习研讨（次）".into(), sessions.len()),
        ("应谈心谈话（对）".into(), coverage.required_pairs),
        ("已谈心谈话（对）".into(), coverage.done_pairs),
        ("征求意见（条）".into(), opinions),
    ];
    for (label, n) in lines {
        totals.row(vec![Cell::from(label), Cell::from(n)]);
    }
    Ok(vec![totals, members])
}
