//! A material's submitted or approved version as the member wrote it, as a `.docx` in the official layout (or its
//! preview in WeChat). Readable by whoever may read the material; a draft or a returned material has no version to
//! export, since what the secretary has not got is not a document yet.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mingjing_documents::OfficialDocument;
use mingjing_storage::MaterialStatus;

use crate::auth::CurrentUser;
use crate::download::{self, PreviewQuery, Target, Want};
use crate::{AppError, AppState};

pub(super) async fn material_docx(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let (material, member, _) = crate::Scope::new(&state, &user).material_and_owner(&id).await?;
    if !matches!(material.status, MaterialStatus::Submitted | MaterialStatus::Approved) {
        return Err(AppError::Conflict("这份材料还没有提交（或已退回修改），暂时没有可以导出的版本。".to_owned()));
    }
    let campaign = state.store.campaign(&material.campaign_id).await?;
    let version = state.store.material_version(&material.id, material.version).await?;
    let doc = document(&campaign.title, &member.name, material.status, &version.body);
    user.audit(&state, "material.export", Some(&material.id), "ok", &format!("第 {} 版", material.version)).await?;
    let name = download::file_name(&format!("{}的对照检查材料", member.name), "docx");
    let url = format!("/materials/{id}/document.docx");
    let target = Target { name: &name, ascii: "material.docx", url: &url };
    download::docx(&Want::new(&headers, &query), &user, &doc, target)
}

/// The material's text laid out as a document, the author's name under the title.
fn document(campaign_title: &str, author: &str, status: MaterialStatus, body: &str) -> OfficialDocument {
    let mut doc = OfficialDocument::from_text(&format!("{campaign_title}对照检查材料"), body);
    if !doc.title.contains(author) {
        doc.subtitle.push(author.to_owned());
    }
    if status == MaterialStatus::Submitted {
        // Not yet approved: the reader should know.
        doc.subtitle.push("（已提交，待审核）".to_owned());
    }
    doc
}
