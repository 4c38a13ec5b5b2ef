//! The meeting's minutes (会议记录) as a `.docx` in the official layout: date, place, attendance, observer, agenda,
//! the report on last year's rectification, the minutes, the criticism entries the reader may see, and the lock's
//! hash. A record not yet locked says so on its face.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mingjing_documents::{OfficialDocument, Table};
use mingjing_storage::Presence;

use super::{Context, context, names_of};
use crate::audit::beijing_time;
use crate::auth::CurrentUser;
use crate::download::{self, PreviewQuery, Target, Want};
use crate::{AppError, AppState};

pub(super) async fn minutes_docx(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    let Some(meeting) = state.store.meeting(&ctx.campaign.id, &ctx.org.id).await? else {
        return Err(AppError::Conflict("这次组织生活会还没有记录，暂时没有可以导出的会议记录。".to_owned()));
    };
    let doc = document(&state, &ctx, &meeting).await?;
    user.audit(&state, "meeting.export", Some(&super::page::target(&ctx)), "ok", "").await?;
    let name = download::file_name(&format!("{}组织生活会会议记录", ctx.org.name), "docx");
    let url = format!("{}/minutes.docx", ctx.path());
    let target = Target { name: &name, ascii: "minutes.docx", url: &url };
    download::docx(&Want::new(&headers, &query), &user, &doc, target)
}

async fn document(
    state: &AppState,
    ctx: &Context,
    meeting: &mingjing_storage::Meeting,
) -> Result<OfficialDocument, AppError> {
    let content = &meeting.content;
    let mut ids: Vec<&str> = content.attendance.iter().map(|a| a.member_id.as_str()).collect();
    ids.extend(content.criticisms.iter().flat_map(|c| [c.from_member_id.as_str(), c.to_member_id.as_str()]));
    let names = names_of(state, ctx, &ids).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();

    let mut doc = OfficialDocument::new(format!("{}组织生活会会议记录", ctx.org.name))
        .subtitle(format!("（{}）", ctx.campaign.title));
    if meeting.lock.is_none() {
        doc.subtitle.push("（记录尚未锁定，内容仍可能修改）".to_owned());
    }
    let present: Vec<String> =
        content.attendance.iter().filter(|a| a.presence == Presence::Present).map(|a| name(&a.member_id)).collect();
    let absent: Vec<String> = content
        .attendance
        .iter()
        .filter_map(|a| match &a.presence {
            Presence::Absent { reason } => Some(format!("{}（{reason}）", name(&a.member_id))),
            Presence::Present => None,
        })
        .collect();
    let observer = match (content.observer_name.trim(), content.observer_post.trim()) {
        ("", _) => "无".to_owned(),
        (n, "") => n.to_owned(),
        (n, p) => format!("{n}（{p}）"),
    };
    doc = doc
        .heading1("一、会议概况")
        .paragraph(&format!("时间：{} {}", content.date, content.time))
        .paragraph(&format!("地点：{}", content.place))
        .paragraph(&format!(
            "应到 {} 人，实到 {} 人，缺席 {} 人。",
            content.attendance.len(),
            present.len(),
            absent.len()
        ))
        .paragraph(&format!("出席：{}", if present.is_empty() { "无".to_owned() } else { present.join("、") }))
        .paragraph(&format!("缺席：{}", if absent.is_empty() { "无".to_owned() } else { absent.join("、") }))
        .paragraph(&format!("列席指导：{observer}"))
        .heading1("二、会议议程");
    for (i, item) in content.agenda.iter().enumerate() {
        doc.push_paragraphs(&format!("{}. {item}", i + 1));
    }
    doc = doc.heading1("三、上年度整改情况报告");
    doc.push_paragraphs(or_none(&content.rectification_report));
    doc = doc.heading1("四、会议记录");
    doc.push_paragraphs(or_none(&content.minutes));
    doc = doc.heading1("五、批评意见");
    let mut table = Table::new(["提出人", "被批评人", "批评意见"]);
    let mut hidden = 0;
    for c in &content.criticisms {
        if ctx.access.sees_criticism(&c.from_member_id, &c.to_member_id) {
            table.push_row([name(&c.from_member_id), name(&c.to_member_id), c.text.clone()]);
        } else {
            hidden += 1;
        }
    }
    if table.rows.is_empty() {
        doc.push_paragraphs("无");
    } else {
        doc = doc.table(table);
    }
    if hidden > 0 {
        doc.push_paragraphs(&format!("另有 {hidden} 条批评意见在其他党员之间，不在本文件中。"));
    }
    if let Some(lock) = &meeting.lock {
        doc = doc
            .heading1("六、记录锁定")
            .paragraph(&format!("本记录于 {} 锁定，内容哈希（SHA-256）：", beijing_time(lock.at)))
            .paragraph(&lock.content_hash);
    }
    Ok(doc.issuer(format!("中共{}", ctx.org.name)).date(download::chinese_date(&content.date)))
}

fn or_none(text: &str) -> &str {
    if text.trim().is_empty() { "无" } else { text }
}
