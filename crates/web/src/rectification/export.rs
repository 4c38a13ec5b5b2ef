//! The ledger as an `.xlsx`: Chinese headers, the header row frozen, columns wide enough
//! for their text, every cell text; what the reader may see of the ledger, nothing more.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use mingjing_storage::RectificationItem;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::{name_of, names, reads_item, status_view, today};
use crate::auth::CurrentUser;
use crate::prep::branch;
use crate::{AppError, AppState};

/// The columns and their widths (in characters of the default font; a CJK char is about two).
pub const COLUMNS: [(&str, f64); 11] = [
    ("序号", 6.0),
    ("整改对象", 12.0),
    ("存在的问题", 48.0),
    ("问题来源", 14.0),
    ("整改措施", 48.0),
    ("责任人", 10.0),
    ("整改时限", 12.0),
    ("整改状态", 10.0),
    ("是否逾期", 9.0),
    ("上年结转", 9.0),
    ("验收销号", 28.0),
];

/// GET …/rectification/export.xlsx
pub(super) async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((campaign_id, org_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let branch = branch(&state, &user, &campaign_id, &org_id).await?;
    let published = state.store.rectification_publication(&branch.campaign.id, &branch.org.id).await?.is_some();
    let items: Vec<RectificationItem> = state
        .store
        .rectification_ledger(&branch.campaign.id, &branch.org.id)
        .await?
        .into_iter()
        .filter(|i| reads_item(&branch, i, published))
        .collect();
    let names = names(&branch.roster);
    let today = today(state.clock.now_ms());
    let rows: Vec<[String; 11]> = items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let status = status_view(item, &today);
            [
                (n + 1).to_string(),
                name_of(&names, item.member_id.as_deref()),
                item.problem.clone(),
                item.origin_kind.label().to_owned(),
                item.measure.clone(),
                name_of(&names, Some(&item.owner_member_id)),
                item.deadline.clone(),
                status.label.to_owned(),
                if status.overdue { "逾期" } else { "" }.to_owned(),
                if item.carried_over { "是" } else { "" }.to_owned(),
                item.verified_at.map(crate::audit::beijing_time).unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = workbook(&format!("{}整改台账", branch.org.name), &rows).map_err(|e| AppError::Internal(e.into()))?;
    let target = format!("rectification_ledger:{}/{}", branch.campaign.id, branch.org.id);
    user.audit(&state, "rectification.export", Some(&target), "ok", &format!("{} 项", rows.len())).await?;
    let file_name = format!("{}{}整改台账.xlsx", branch.org.name, branch.campaign.year);
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    Ok((
        [
            (CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{encoded}")),
        ],
        bytes,
    )
        .into_response())
}

/// The workbook: one sheet named `title` (cut to Excel's 31 chars), the header frozen.
pub fn workbook(title: &str, rows: &[[String; 11]]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    sheet.set_name(if name.is_empty() { "整改台账" } else { name.as_str() })?;
    let header = Format::new().set_bold().set_background_color("#F2E6E6").set_align(FormatAlign::Center);
    let text = Format::new().set_num_format("@").set_text_wrap().set_align(FormatAlign::Top);
    for (col, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.set_column_width(col, width)?;
        sheet.write_string_with_format(0, col, title, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (row, cells) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells) {
            sheet.write_string_with_format(row, col, cell, &text)?;
        }
    }
    book.save_to_buffer()
}
