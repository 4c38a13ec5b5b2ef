//! The roster (党员花名册) in and out: upload an `.xlsx` or `.csv`, see every row's problems in a preview kept on the
//! server, confirm once to add everyone in one transaction; export a subtree's roster as `.xlsx`, audited.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_roster::{Category, Known, MAX_BYTES, RosterRow};
use mingjing_storage::{Member, MemberDetails, NewMember, NewRosterImport, Org, Standing, StoreError};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::orgs::require_roster_keeper;
use crate::pages::{HtmxRequest, Pages, render};
use crate::scope::Scope;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/roster/import", get(import_page).post(upload))
        .route("/orgs/{id}/roster.xlsx", get(export))
        .route("/roster/imports/{id}", get(preview_page))
        .route("/roster/imports/{id}/confirm", post(confirm))
}

/// How long a preview waits for its confirmation: it holds personal data, so not long.
const PREVIEW_MS: i64 = 60 * 60 * 1000;

#[derive(Template)]
#[template(path = "roster/import.html")]
struct ImportPage {
    org_id: String,
    org_name: String,
    csrf: String,
    error: Option<String>,
}

/// The organization `id`, live and in the user's reach, for a roster keeper.
async fn roster_org(state: &AppState, user: &CurrentUser, id: &str) -> Result<Org, AppError> {
    require_roster_keeper(state, user, "roster").await?;
    let org = Scope::new(state, user).org(id).await?;
    if org.dissolved { Err(AppError::NotFound) } else { Ok(org) }
}

async fn import_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let org = roster_org(&state, &user, &id).await?;
    let page = ImportPage { org_id: org.id, org_name: org.name, csrf: user.csrf.as_str().to_owned(), error: None };
    render(&htmx, "导入花名册", Some(&user.view()), &page)
}

/// The upload's form token and file, the file read in chunks so that more than [`MAX_BYTES`] is refused without
/// holding it.
async fn read_upload(multipart: &mut Multipart) -> Result<(String, Option<(String, Vec<u8>)>), String> {
    let broken = || "上传的内容不完整，请重试".to_owned();
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(mut field) = multipart.next_field().await.map_err(|_| broken())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| broken())?,
            Some("file") => {
                let name = crate::upload::file_name(field.file_name(), "花名册");
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| broken())? {
                    if bytes.len() + chunk.len() > MAX_BYTES {
                        return Err(mingjing_roster::ReadError::TooLarge.to_string());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    Ok((csrf, file))
}

async fn upload(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let outcome = read_upload(&mut multipart).await;
    if let Ok((csrf, _)) = &outcome {
        require_csrf(&user, csrf)?;
    }
    let org = roster_org(&state, &user, &id).await?;
    let refuse = |error: String| {
        let page = ImportPage {
            org_id: org.id.clone(),
            org_name: org.name.clone(),
            csrf: user.csrf.as_str().to_owned(),
            error: Some(error),
        };
        let mut response = render(&htmx, "导入花名册", Some(&user.view()), &page)?;
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        Ok::<_, AppError>(response)
    };
    let (name, bytes) = match outcome {
        Ok((_, Some((name, bytes)))) if !bytes.is_empty() => (name, bytes),
        Ok(_) => return refuse("请选择花名册文件（.xlsx 或 .csv）".into()),
        // Without the form token a refusal page reveals nothing a forged request could use.
        Err(why) => return refuse(why),
    };
    // Parsing 20,000 rows takes a while: off the async workers.
    let parsed = tokio::task::spawn_blocking(move || mingjing_roster::read(&name, &bytes).map(|r| (name, r)))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (name, mut roster) = match parsed {
        Ok(parsed) => parsed,
        Err(why) => return refuse(why.to_string()),
    };
    mingjing_roster::check_against(&mut roster.rows, &known(&state, &org).await?);
    let payload = serde_json::to_string(&roster.rows).map_err(|e| AppError::Internal(e.into()))?;
    let now = state.clock.now_ms();
    let file_name: String = name.chars().take(100).collect();
    let new = NewRosterImport {
        account_id: &user.account.id,
        org_id: &org.id,
        file_name: &file_name,
        payload: &payload,
        row_count: i64::try_from(roster.rows.len()).unwrap_or(i64::MAX),
        error_count: i64::try_from(roster.error_rows()).unwrap_or(i64::MAX),
        expires_at: now + PREVIEW_MS,
    };
    let import = state.store.create_roster_import(&new, now).await?;
    Ok(Redirect::to(&format!("/roster/imports/{}", import.id)).into_response())
}

/// What an import is checked against: the organizations of the target's subtree and everyone on the roster.
async fn known(state: &AppState, org: &Org) -> Result<Known, AppError> {
    let orgs = state.store.subtree(org).await?.into_iter().map(|o| (o.name, o.id)).collect();
    let mut known = Known { default_org_id: org.id.clone(), orgs, ..Known::default() };
    for (id_number, name, birth) in state.store.roster_keys().await? {
        if let Some(id_number) = id_number {
            known.id_numbers.insert(id_number);
        }
        if let Some(birth) = birth {
            known.name_births.insert((name, birth));
        }
    }
    Ok(known)
}

/// One row as the preview shows it: the ID number masked.
struct PreviewRow {
    line: usize,
    name: String,
    id_number: String,
    branch: String,
    category: &'static str,
    joined_on: String,
    post: String,
    phone: String,
    problems: Vec<String>,
}

fn preview_row(row: RosterRow) -> PreviewRow {
    PreviewRow {
        line: row.line,
        id_number: row.id_number.as_deref().map(mingjing_roster::mask).unwrap_or_default(),
        branch: row.branch.unwrap_or_default(),
        category: row.category.map_or("", Category::label),
        joined_on: row.joined_on.unwrap_or_default(),
        post: row.post.unwrap_or_default(),
        phone: row.phone.unwrap_or_default(),
        problems: row.problems,
        name: row.name,
    }
}

#[derive(Template)]
#[template(path = "roster/preview.html")]
struct PreviewPage {
    import_id: String,
    org_id: String,
    org_name: String,
    file_name: String,
    row_count: i64,
    error_count: i64,
    confirmed: bool,
    expired: bool,
    rows: Vec<PreviewRow>,
    pages: Pages,
    csrf: String,
}

/// Rows on one page of a preview: a county's roster may hold thousands, and a phone cannot show them on one page.
const PREVIEW_PAGE_ROWS: usize = 100;

#[derive(Debug, Default, Deserialize)]
struct PreviewQuery {
    /// The page number; anything that is not one shows the first page.
    #[serde(default)]
    page: String,
}

/// The import `id`, if it is the user's own: anyone else's is a 404, like any id out of reach.
async fn own_import(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(mingjing_storage::RosterImport, Org), AppError> {
    require_roster_keeper(state, user, "roster").await?;
    let import = match state.store.roster_import(id).await {
        Ok(import) if import.account_id == user.account.id => import,
        Ok(_) | Err(StoreError::NotFound) => {
            let target: String = id.chars().take(64).collect();
            user.audit(state, "access_denied", Some(&format!("roster_import:{target}")), "denied", "").await?;
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    let org = Scope::new(state, user).org(&import.org_id).await?;
    Ok((import, org))
}

fn rows_of(payload: &str) -> Result<Vec<RosterRow>, AppError> {
    if payload.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(payload).map_err(|e| AppError::Internal(e.into()))
}

async fn preview_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let (import, org) = own_import(&state, &user, &id).await?;
    let mut rows: Vec<PreviewRow> = rows_of(&import.payload)?.into_iter().map(preview_row).collect();
    // The rows to fix come first; the file's order holds inside each group.
    rows.sort_by_key(|r| r.problems.is_empty());
    let page = query.page.trim().parse::<usize>().unwrap_or(1).max(1);
    let pages = Pages::new(page as i64, rows.len() as i64, PREVIEW_PAGE_ROWS as i64, &[]);
    let rows: Vec<PreviewRow> =
        rows.into_iter().skip((page - 1).saturating_mul(PREVIEW_PAGE_ROWS)).take(PREVIEW_PAGE_ROWS).collect();
    let page = PreviewPage {
        import_id: import.id,
        org_id: org.id,
        org_name: org.name,
        file_name: import.file_name,
        row_count: import.row_count,
        error_count: import.error_count,
        confirmed: import.confirmed,
        expired: !import.confirmed && import.expires_at < state.clock.now_ms(),
        rows,
        pages,
        csrf: user.csrf.as_str().to_owned(),
    };
    render(&htmx, "花名册预览", Some(&user.view()), &page)
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    csrf: String,
}

fn member_of(row: &RosterRow) -> Option<(NewMember<'_>, MemberDetails)> {
    let new = NewMember {
        org_id: row.org_id.as_deref()?,
        name: &row.name,
        standing: match row.category? {
            Category::Full => Standing::Full,
            Category::Probationary => Standing::Probationary,
        },
        joined_on: row.joined_on.as_deref(),
        post: row.post.as_deref(),
        phone: row.phone.as_deref(),
        leading_cadre: false,
    };
    let details = MemberDetails {
        id_number: row.id_number.clone(),
        gender: row.gender.clone(),
        birth_date: row.birth_date.clone(),
        ethnicity: row.ethnicity.clone(),
        education: row.education.clone(),
    };
    Some((new, details))
}

async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let (import, org) = own_import(&state, &user, &id).await?;
    if import.confirmed {
        return Err(StoreError::State(mingjing_storage::IMPORT_DONE.to_owned()).into());
    }
    if import.error_count > 0 {
        return Err(AppError::BadRequest(format!(
            "还有 {} 行有问题，不能导入。请在文件中改正后重新上传，全部无误才能导入",
            import.error_count
        )));
    }
    let rows = rows_of(&import.payload)?;
    let members: Vec<_> = rows.iter().filter_map(member_of).collect();
    if members.len() != rows.len() {
        return Err(AppError::BadRequest("有的行缺少所在组织或人员类别，请重新上传".into()));
    }
    let added =
        match state.store.confirm_roster_import(&import.id, &user.account.id, &members, state.clock.now_ms()).await {
            Ok(added) => added,
            Err(StoreError::Duplicate(_)) => {
                return Err(AppError::Conflict(
                    "有人已在党员名册上（可能刚由别人录入），没有导入任何人，请重新上传".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
    let detail = format!("{}：导入 {added} 人", import.file_name);
    user.audit(&state, "roster.import", Some(&format!("org:{}", org.id)), "ok", &detail).await?;
    Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response())
}

/// The export's columns: the headers the import recognizes, so an exported file imports again.
const COLUMNS: [(&str, f64); 12] = [
    ("序号", 6.0),
    ("姓名", 10.0),
    ("性别", 6.0),
    ("身份证号", 21.0),
    ("出生日期", 12.0),
    ("民族", 8.0),
    ("学历", 10.0),
    ("所在支部", 28.0),
    ("人员类别", 10.0),
    ("入党时间", 12.0),
    ("职务", 16.0),
    ("联系电话", 15.0),
];

async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let org = roster_org(&state, &user, &id).await?;
    let orgs = state.store.subtree(&org).await?;
    let members = state.store.members_under(&org.path).await?;
    let names: HashMap<&str, &str> = orgs.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect();
    let bytes = workbook(&members, &names).map_err(|e| AppError::Internal(e.into()))?;
    // The file holds everyone's ID number: who took it, and when, is on record.
    let detail = format!("{} 人", members.len());
    user.audit(&state, "roster.export", Some(&format!("org:{}", org.id)), "ok", &detail).await?;
    let file_name = format!("{}党员花名册.xlsx", org.name);
    let disposition = format!("attachment; filename=\"roster.xlsx\"; filename*=UTF-8''{}", percent_encode(&file_name));
    Ok((
        [
            (CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// The roster as an `.xlsx`: the header row frozen, every cell text so that ID numbers and phone numbers stay as
/// written.
fn workbook(members: &[Member], org_names: &HashMap<&str, &str>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("党员花名册")?;
    let header = Format::new().set_bold().set_background_color("#F2E6E6");
    let text = Format::new().set_num_format("@");
    for (col, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.set_column_width(col, width)?;
        sheet.write_string_with_format(0, col, title, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (row, (i, m)) in (1u32..).zip(members.iter().enumerate()) {
        let cells = [
            (i + 1).to_string(),
            m.name.clone(),
            m.gender.clone().unwrap_or_default(),
            m.id_number.clone().unwrap_or_default(),
            m.birth_date.clone().unwrap_or_default(),
            m.ethnicity.clone().unwrap_or_default(),
            m.education.clone().unwrap_or_default(),
            org_names.get(m.org_id.as_str()).copied().unwrap_or_default().to_owned(),
            m.standing.label().to_owned(),
            m.joined_on.clone().unwrap_or_default(),
            m.post.clone().unwrap_or_default(),
            m.phone.clone().unwrap_or_default(),
        ];
        for (col, value) in (0u16..).zip(cells) {
            if !value.is_empty() {
                sheet.write_string_with_format(row, col, value, &text)?;
            }
        }
    }
    book.save_to_buffer()
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
