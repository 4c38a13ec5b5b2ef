//! The branch's report as a `.docx` in the official layout (or its preview in WeChat). The secretary gets the text
//! as it stands (the saved draft, or a fresh one from the data); the superior gets only what was submitted, since
//! a draft has not reached them.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mingjing_documents::OfficialDocument;
use mingjing_storage::ReportStatus;

use super::{Access, context, draft};
use crate::auth::CurrentUser;
use crate::download::{self, PreviewQuery, Target, Want};
use crate::{AppError, AppState};

/// GET …/report.docx
pub(super) async fn report_docx(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &user, &campaign_id, &org_id).await?;
    let report = state.store.branch_report(&ctx.branch.campaign.id, &ctx.branch.org.id).await?;
    let (body, status) = match (ctx.access, &report) {
        (Access::Writer, Some(r)) => (r.body.clone(), Some(r.status)),
        (Access::Writer, None) => (draft(&state, &ctx.branch).await?, None),
        (Access::Superior, Some(r)) => match r.submissions.last() {
            Some(s) => (s.body.clone(), Some(r.status)),
            None => return Err(not_submitted()),
        },
        (Access::Superior, None) => return Err(not_submitted()),
    };
    let fallback = format!("{}关于{}情况的报告", ctx.branch.org.name, ctx.branch.campaign.title);
    let doc = document(&fallback, status, &body);
    user.audit(&state, "report.export", Some(&ctx.target()), "ok", status.map_or("未保存的初稿", ReportStatus::label))
        .await?;
    let name = download::file_name(&format!("{}组织生活会和民主评议党员情况报告", ctx.branch.org.name), "docx");
    let url = format!("{}.docx", ctx.path());
    let target = Target { name: &name, ascii: "report.docx", url: &url };
    download::docx(&Want::new(&headers, &query), &user, &doc, target)
}

fn not_submitted() -> AppError {
    AppError::Conflict("支部还没有上报情况报告，暂时没有可以导出的报告。".to_owned())
}

/// The report's text laid out as a document: the closing lines (the branch's name, then the date) become the
/// 落款 and 成文日期, and a text that has not been acknowledged says where it stands.
fn document(fallback_title: &str, status: Option<ReportStatus>, body: &str) -> OfficialDocument {
    let mut lines: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let signature = match lines.as_slice() {
        [.., issuer, date] if lines.len() > 2 && is_signature(issuer) && is_date(date) => {
            Some((issuer.to_string(), download::chinese_date(date)))
        }
        _ => None,
    };
    if signature.is_some() {
        lines.truncate(lines.len() - 2);
    }
    let mut doc = OfficialDocument::from_text(fallback_title, &lines.join("\n"));
    if let Some((issuer, date)) = signature {
        doc = doc.issuer(issuer).date(date);
    }
    let standing = match status {
        None | Some(ReportStatus::Draft) => Some("（草稿，尚未上报）"),
        Some(ReportStatus::Returned) => Some("（已被上级党组织退回，修改中）"),
        Some(ReportStatus::Submitted) => Some("（已上报，待上级党组织确认）"),
        Some(ReportStatus::Acknowledged) => None,
    };
    doc.subtitle.extend(standing.map(str::to_owned));
    doc
}

/// A short line that ends no sentence: an organization's name.
fn is_signature(line: &str) -> bool {
    line.chars().count() <= 40 && !line.ends_with(['。', '；', '：', '，', ';', ':', ','])
}

/// `2026-01-20` or `2026年1月20日`.
fn is_date(line: &str) -> bool {
    let iso = line.len() == 10
        && line.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    let written = line.ends_with('日')
        && line.contains('年')
        && line.contains('月')
        && line.chars().all(|c| c.is_ascii_digit() || "年月日".contains(c));
    iso || written
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "某支部关于2025年度组织生活会情况的报告\n\n按照部署召开会议。\n一、会前准备\n（一）学习研讨。开展 2 次。\n\n某支部\n2026-01-20";

    #[test]
    fn the_closing_lines_become_issuer_and_date() {
        let doc = document("备用标题", Some(ReportStatus::Acknowledged), BODY);
        assert_eq!(doc.title, "某支部关于2025年度组织生活会情况的报告");
        assert_eq!(doc.issuer.as_deref(), Some("某支部"));
        assert_eq!(doc.date.as_deref(), Some("2026年1月20日"));
        assert!(doc.subtitle.is_empty());
        let texts = doc.texts();
        assert_eq!(texts.iter().filter(|t| t.contains("某支部")).count(), 2, "title and issuer only: {texts:?}");
    }

    #[test]
    fn a_text_without_a_closing_keeps_every_line_and_says_where_it_stands() {
        let body = "按照部署召开会议。\n一、会前准备\n最后一句话没有落款。";
        let doc = document("备用标题", None, body);
        assert_eq!(doc.title, "备用标题");
        assert_eq!(doc.issuer, None);
        assert_eq!(doc.subtitle, ["（草稿，尚未上报）"]);
        assert!(doc.texts().contains(&"最后一句话没有落款。"));
        let submitted = document("备用标题", Some(ReportStatus::Submitted), BODY);
        assert_eq!(submitted.subtitle, ["（已上报，待上级党组织确认）"]);
    }

    #[test]
    fn dates_are_told_from_sentences() {
        assert!(is_date("2026-01-20") && is_date("2026年1月20日"));
        assert!(!is_date("2026-1-20x") && !is_date("会议于1月20日召开") && !is_date("二〇二六年"));
    }
}
