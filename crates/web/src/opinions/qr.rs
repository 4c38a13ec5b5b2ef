//! The channel's QR code, made by the server: SVG for the page and for print, PNG for
//! pasting into a WeChat group or a slide.

use std::io::Cursor;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use image::{ImageFormat, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::channel::{in_scope, public_link};
use crate::auth::CurrentUser;
use crate::{AppError, AppState};

/// GET /campaigns/{cid}/orgs/{oid}/opinions/qr.svg
pub(super) async fn svg(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let code = code(&state, &user, &headers, &cid, &oid).await?;
    let image = code.render::<svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build();
    Ok(([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "private, no-cache")], image).into_response())
}

/// GET /campaigns/{cid}/orgs/{oid}/opinions/qr.png
pub(super) async fn png(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let code = code(&state, &user, &headers, &cid, &oid).await?;
    let image = code.render::<Luma<u8>>().min_dimensions(480, 480).quiet_zone(true).build();
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).map_err(|e| AppError::Internal(e.into()))?;
    Ok(([(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, "private, no-cache")], bytes).into_response())
}

/// The code of the channel's public link; 404 if no channel was opened.
async fn code(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    cid: &str,
    oid: &str,
) -> Result<QrCode, AppError> {
    let (campaign, org) = in_scope(state, user, cid, oid).await?;
    let channel = state.store.opinion_channel(&campaign.id, &org.id).await?.ok_or(AppError::NotFound)?;
    let link = public_link(state, headers, &channel.token);
    // Level M survives a crease or a smudge on a printed notice and keeps the code small.
    QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).map_err(|e| AppError::Internal(e.into()))
}
