//! 征求意见: a branch's opinion channel (a public link and QR code anyone may use without
//! signing in), the secretary's reading of what came in with the summaries relayed to
//! members, a member's view of the opinions about themselves once there are at least k,
//! and the campaign's k. docs/anonymity.md says what is kept and what is not.

mod channel;
mod gate;
mod mine;
mod public;
mod qr;
mod settings;

use axum::Router;
use axum::routing::{get, post};
use mingjing_review::Source;
use mingjing_review::structure::Material as Structure;
use mingjing_storage::{Campaign, Member};
use tower_http::limit::RequestBodyLimitLayer;

use crate::audit::beijing_time;
use crate::{AppError, AppState};

pub use gate::OpinionGate;

/// The longest opinion accepted, in characters.
pub const MAX_OPINION_CHARS: usize = 2000;
/// The longest summary a secretary relays, in characters.
pub const MAX_SUMMARY_CHARS: usize = 5000;

/// The most a public opinion post may send: 2,000 characters percent-encoded are at most
/// 18 KB; a form that needs no account must not let anyone make the server buffer megabytes.
const PUBLIC_BODY_LIMIT: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    let public = Router::new()
        .route("/o/{token}", get(public::form_page).post(public::submit))
        .layer(RequestBodyLimitLayer::new(PUBLIC_BODY_LIMIT));
    Router::new()
        .merge(public)
        .route("/campaigns/{id}/opinions", get(channel::campaign_opinions))
        .route("/campaigns/{id}/opinions/mine", get(mine::mine_page))
        .route("/campaigns/{id}/settings/opinions", get(settings::settings_page).post(settings::save_settings))
        .route("/campaigns/{cid}/orgs/{oid}/opinions", get(channel::channel_page))
        .route("/campaigns/{cid}/orgs/{oid}/opinions/open", post(channel::open))
        .route("/campaigns/{cid}/orgs/{oid}/opinions/close", post(channel::close))
        .route("/campaigns/{cid}/orgs/{oid}/opinions/summary", post(channel::save_summary))
        .route("/campaigns/{cid}/orgs/{oid}/opinions/qr.svg", get(qr::svg))
        .route("/campaigns/{cid}/orgs/{oid}/opinions/qr.png", get(qr::png))
}

/// Today in Beijing as `YYYY-MM-DD`: all an opinion keeps of when it was given.
fn today(state: &AppState) -> String {
    beijing_time(state.clock.now_ms())[..10].to_owned()
}

/// A fresh channel token: 128 bits from the operating system, in hex.
fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether a path segment has the shape of a token, checked before any database lookup.
fn is_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Puts `items` in a random order (a sort by random keys from the operating system), so
/// that no page shows opinions in the order they came in or in the same order twice.
fn shuffle<T>(items: &mut Vec<T>) {
    let mut keys = vec![0u8; items.len() * 8];
    // Without randomness the order of the random database keys stays, which is random too.
    if getrandom::fill(&mut keys).is_err() {
        return;
    }
    let mut keyed: Vec<(u64, T)> = keys
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .zip(items.drain(..))
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    items.extend(keyed.into_iter().map(|(_, item)| item));
}

/// The opinions about `member` in `campaign` that the material text `body` does not
/// respond to, or `None` when there are no opinions about them. The engine's correspondence
/// measure decides; segmenting runs off the async threads.
pub async fn unanswered_opinions(
    state: &AppState,
    campaign: &Campaign,
    member: &Member,
    body: &str,
) -> Result<Option<Unanswered>, AppError> {
    let mut opinions: Vec<String> =
        state.store.opinions_about(&campaign.id, &member.id).await?.into_iter().map(|o| o.body).collect();
    if opinions.is_empty() {
        return Ok(None);
    }
    let body = body.to_owned();
    let total = opinions.len();
    let mut left = tokio::task::spawn_blocking(move || -> Result<Vec<String>, String> {
        let source = Source::from_text(body).map_err(|e| e.to_string())?;
        let structure = Structure::parse(&source);
        let asked: Vec<&str> = opinions.iter().map(String::as_str).collect();
        let missing = mingjing_review::checks::correspondence::unanswered(&asked, &structure);
        // Indices ascending: take them out from the back so the earlier ones stay put.
        Ok(missing.into_iter().rev().map(|i| opinions.swap_remove(i)).collect())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::BadRequest)?;
    shuffle(&mut left);
    Ok(Some(Unanswered { total, opinions: left }))
}

/// What the material page shows under “未回应的意见”.
#[derive(Debug)]
pub struct Unanswered {
    /// How many opinions there are about the member.
    pub total: usize,
    /// Those the material does not take up, in random order.
    pub opinions: Vec<String>,
}

/// Whether the member may read the opinions about themselves: once at least k exist.
pub async fn member_may_read(state: &AppState, campaign_id: &str, count: usize) -> Result<bool, AppError> {
    let k = state.store.opinion_threshold(campaign_id).await?;
    Ok(i64::try_from(count).unwrap_or(i64::MAX) >= k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bit_hex_and_differ() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert!(is_token(&a) && is_token(&b));
        assert_ne!(a, b);
        assert!(!is_token("../../etc") && !is_token(&a.to_uppercase()) && !is_token(&a[1..]));
    }

    #[test]
    fn a_shuffle_keeps_every_item() {
        let mut items: Vec<u32> = (0..50).collect();
        shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(items, sorted, "1 in 50! to stay in order");
    }
}
