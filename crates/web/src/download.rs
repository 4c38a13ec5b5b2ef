//! Exported files as responses: a `.docx` or `.xlsx` with a Chinese file name (RFC 5987 `filename*` and an ASCII
//! `filename` for old clients), or, in WeChat's built-in browser where downloads fail, the same document shown in
//! the page with the hint to open it in the system browser. `?preview=1` asks for the preview anywhere.

use askama::Template;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, USER_AGENT};
use axum::response::{IntoResponse, Response};
use mingjing_documents::{Block, OfficialDocument, Sheet, Table};
use serde::Deserialize;

use crate::AppError;
use crate::auth::CurrentUser;
use crate::pages::{HtmxRequest, render};

pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `?preview=1`: the page view instead of the file.
#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    pub preview: Option<String>,
}

/// What the request asked for and from where.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    pub preview: bool,
    /// Asked from WeChat's browser: the preview says how to get the file.
    pub wechat: bool,
    pub htmx: HtmxRequest,
}

impl Want {
    pub fn new(headers: &HeaderMap, query: &PreviewQuery) -> Self {
        let wechat = is_wechat(headers);
        Self { preview: query.preview.is_some() || wechat, wechat, htmx: HtmxRequest::from_headers(headers) }
    }
}

/// WeChat's in-app browser (and WeChat Work's) says so in its User-Agent.
pub fn is_wechat(headers: &HeaderMap) -> bool {
    headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).is_some_and(|ua| ua.contains("MicroMessenger"))
}

/// `Content-Disposition` for a download named `name` (Chinese allowed), with `ascii` for clients without RFC 5987.
pub fn disposition(name: &str, ascii: &str) -> String {
    let ascii: String = ascii.chars().filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';')).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(name))
}

/// RFC 5987 `attr-char` encoding.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `2026-01-05` as a 成文日期 is written: `2026年1月5日` (anything else as it is).
pub fn chinese_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if [y, m, d].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())) => {
            format!("{y}年{}月{}日", m.trim_start_matches('0'), d.trim_start_matches('0'))
        }
        _ => iso.to_owned(),
    }
}

/// A file name without the characters file systems refuse.
pub fn file_name(stem: &str, extension: &str) -> String {
    let stem: String =
        stem.chars().map(|c| if "\\/:*?\"<>|".contains(c) || c.is_control() { '_' } else { c }).collect();
    format!("{}.{extension}", stem.trim())
}

#[derive(Template)]
#[template(path = "download/preview.html")]
struct PreviewPage<'a> {
    file_name: &'a str,
    download_url: &'a str,
    wechat: bool,
    document: &'a str,
}

/// The file itself.
fn file(bytes: Vec<u8>, content_type: &'static str, name: &str, ascii: &str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition(name, ascii)),
            // A file of people's data is not kept by shared caches.
            (CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// How an export is named and where it is downloaded.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The file name shown to the user (Chinese).
    pub name: &'a str,
    /// The name for clients without RFC 5987.
    pub ascii: &'a str,
    /// The download's own address, without query.
    pub url: &'a str,
}

/// The preview page of `doc`.
fn preview(want: &Want, user: &CurrentUser, doc: &OfficialDocument, target: Target<'_>) -> Result<Response, AppError> {
    let html = doc.to_html();
    let page = PreviewPage { file_name: target.name, download_url: target.url, wechat: want.wechat, document: &html };
    render(&want.htmx, target.name, Some(&user.view()), &page)
}

/// Answers with a `.docx` of `doc`, or with its preview.
pub fn docx(want: &Want, user: &CurrentUser, doc: &OfficialDocument, target: Target<'_>) -> Result<Response, AppError> {
    if want.preview {
        return preview(want, user, doc, target);
    }
    let bytes = doc.to_docx().map_err(|e| AppError::Internal(e.into()))?;
    Ok(file(bytes, DOCX, target.name, target.ascii))
}

/// Answers with an `.xlsx` of `sheets`, or with a preview of their tables under `title`.
pub fn xlsx(
    want: &Want,
    user: &CurrentUser,
    title: &str,
    sheets: &[Sheet],
    target: Target<'_>,
) -> Result<Response, AppError> {
    if want.preview {
        let mut doc = OfficialDocument::new(title);
        for sheet in sheets {
            doc.push(Block::Heading1(sheet.name.clone()));
            let mut table = Table::new(sheet.header.clone());
            for row in &sheet.rows {
                table.push_row(row.iter().map(cell_text));
            }
            doc.push(Block::Table(table));
        }
        return preview(want, user, &doc, target);
    }
    let bytes = mingjing_documents::workbook(sheets).map_err(|e| AppError::Internal(e.into()))?;
    Ok(file(bytes, XLSX, target.name, target.ascii))
}

fn cell_text(cell: &mingjing_documents::Cell) -> String {
    match cell {
        mingjing_documents::Cell::Text(text) => text.clone(),
        mingjing_documents::Cell::Number(n) => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_encoded_and_the_ascii_fallback_is_clean() {
        assert_eq!(
            disposition("会议记录.docx", "minutes \"x\".docx"),
            "attachment; filename=\"minutesx.docx\"; filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95.docx"
        );
        assert_eq!(chinese_date("2026-01-05"), "2026年1月5日");
        assert_eq!(chinese_date(""), "");
        assert_eq!(file_name("第一支部/2025: 记录", "docx"), "第一支部_2025_ 记录.docx");
    }

    #[test]
    fn wechat_is_known_by_its_user_agent() {
        let mut headers = HeaderMap::new();
        assert!(!is_wechat(&headers));
        headers.insert(USER_AGENT, "Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.47.2560".parse().unwrap());
        assert!(is_wechat(&headers));
    }
}
