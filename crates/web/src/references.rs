//! Reference templates (参考范文): texts a superior admin uploads — samples found on the
//! web, last year's circulated model materials — so that every material in their subtree
//! is also checked for copying from them.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_review::input;
use mingjing_storage::Role;

use crate::auth::{CurrentUser, require_csrf};
use crate::csrf::TokenForm;
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// Most templates one organization keeps: enough for a county's collection, bounded so
/// a mistaken bulk upload cannot slow every review down.
const MAX_TEMPLATES: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/templates", get(templates_page).post(upload_template))
        .route("/templates/{id}/delete", post(delete_template))
}

fn superior(user: &CurrentUser) -> Result<(), AppError> {
    if user.role() == Role::SuperiorAdmin { Ok(()) } else { Err(AppError::Forbidden) }
}

struct TemplateRow {
    id: String,
    title: String,
    chars: usize,
    time: String,
    /// Uploaded by this organization (removable here) or inherited from above.
    own: bool,
}

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    org_name: String,
    rows: Vec<TemplateRow>,
    csrf: String,
}

async fn templates_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
) -> Result<Response, AppError> {
    superior(&user)?;
    let rows = state
        .store
        .templates_for(&user.org.path)
        .await?
        .into_iter()
        .map(|t| TemplateRow {
            own: t.org_id == user.org.id,
            chars: t.body.chars().count(),
            time: crate::audit::beijing_time(t.created_at),
            id: t.id,
            title: t.title,
        })
        .collect();
    let page = TemplatesPage { org_name: user.org.name.clone(), rows, csrf: user.csrf.as_str().to_owned() };
    render(&htmx, "参考范文", Some(&user.view()), &page)
}

async fn upload_template(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    superior(&user)?;
    let (mut csrf, mut title, mut files) = (String::new(), String::new(), Vec::new());
    while let Some(field) =
        multipart.next_field().await.map_err(|_| AppError::BadRequest("上传的内容不完整，请重试".into()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("title") => title = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = crate::upload::file_name(field.file_name(), "范文");
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                if !bytes.is_empty() {
                    files.push((name, bytes));
                }
            }
            _ => {}
        }
    }
    require_csrf(&user, &csrf)?;
    if files.is_empty() {
        return Err(AppError::BadRequest("请选择要上传的范文文件（.docx 或 .txt，可多选）".into()));
    }
    let existing = state.store.templates_for(&user.org.path).await?.len();
    if existing + files.len() > MAX_TEMPLATES {
        return Err(AppError::BadRequest(format!("参考范文最多保留 {MAX_TEMPLATES} 篇，请先删除不再需要的")));
    }
    // Read every file before storing any, so one bad file stores nothing.
    let mut texts = Vec::with_capacity(files.len());
    for (name, bytes) in &files {
        let source = input::read(name, bytes).map_err(|e| AppError::BadRequest(format!("《{name}》：{e}")))?;
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
        let title = if files.len() == 1 && !title.trim().is_empty() { title.trim() } else { stem };
        texts.push((title.chars().take(100).collect::<String>(), source.text().to_owned()));
    }
    let now = state.clock.now_ms();
    for (title, body) in &texts {
        let id = state.store.add_template(&user.org.id, title, body, now).await?;
        user.audit(&state, "template_add", Some(&id), "ok", title).await?;
    }
    Ok(Redirect::to("/templates").into_response())
}

async fn delete_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    superior(&user)?;
    require_csrf(&user, &form.csrf)?;
    state.store.remove_template(&user.org.id, &id).await?;
    user.audit(&state, "template_remove", Some(&id), "ok", "").await?;
    Ok(Redirect::to("/templates").into_response())
}
