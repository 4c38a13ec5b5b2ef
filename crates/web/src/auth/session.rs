//! Sessions as the browser sees them: a random token in an HttpOnly cookie, looked up by its SHA-256 in the
//! database, so any server process can check it, an administrator can revoke it, and a copy of the table opens no
//! session.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use mingjing_storage::{Account, NewAuditEntry, Org, Role};
use sha2::{Digest, Sha256};

use super::policy::ChangeDue;
use crate::AppState;
use crate::clock::duration_ms;
use crate::csrf::{self, CsrfToken};
use crate::error::AppError;
use crate::pages::UserView;

/// The cookie that holds the session token.
pub const SESSION_COOKIE: &str = "mingjing_session";
const TOKEN_BYTES: usize = 32;
/// `last_seen_at` is written at most this often: the idle timeout is counted in minutes, and a write per page view
/// would make every read a write on SQLite's single writer.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The signed-in user of a request: the account, its organization, and the session's form token.
///
/// As an extractor it refuses a request without a live session (to the login page, saying so when the session timed
/// out) and one whose password must be changed first (to the change-password page). [`SessionUser`] skips the
/// second check, for the pages that must stay reachable until the password is changed.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub account: Account,
    /// The organization the account belongs to: the root of everything it may see.
    pub org: Org,
    /// The session's token that every state-changing form must echo ([`require_csrf`]).
    pub csrf: CsrfToken,
    /// Where the request came from, for the audit log.
    pub source_ip: Option<String>,
    /// SHA-256 of the session cookie, the session's key in the store.
    pub session_hash: String,
    /// Set when the password must be changed before anything else.
    pub change_due: Option<ChangeDue>,
}

impl CurrentUser {
    pub fn role(&self) -> Role {
        self.account.role
    }

    /// What the page header shows.
    pub fn view(&self) -> UserView {
        UserView { display_name: self.account.display_name.clone(), csrf: self.csrf.clone() }
    }

    /// Appends an audit entry about something this user did, now.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        target: Option<&str>,
        outcome: &str,
        detail: &str,
    ) -> Result<(), AppError> {
        let entry = NewAuditEntry {
            at: state.clock.now_ms(),
            account_id: Some(&self.account.id),
            action,
            target,
            source_ip: self.source_ip.as_deref(),
            outcome,
            detail,
        };
        state.store.append_audit(&entry).await?;
        Ok(())
    }
}

/// Checks the form token of a state-changing request against the user's session. Call it first in every POST
/// handler of a signed-in page.
pub fn require_csrf(user: &CurrentUser, form_token: &str) -> Result<(), AppError> {
    user.csrf.verify(form_token)
}

/// The signed-in user, whether or not their password must be changed first. Only the change-password page and
/// logout take this; everything else takes [`CurrentUser`].
#[derive(Debug, Clone)]
pub struct SessionUser(pub CurrentUser);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            csrf::cookie(&parts.headers, SESSION_COOKIE).filter(|t| well_formed(t)).ok_or(AppError::Unauthorized)?;
        load(state, &token_hash(token), source_ip(parts)).await.map(Self)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SessionUser(user) = SessionUser::from_request_parts(parts, state).await?;
        if user.change_due.is_some() {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(user)
    }
}

async fn load(state: &AppState, session_hash: &str, source_ip: Option<String>) -> Result<CurrentUser, AppError> {
    let now = state.clock.now_ms();
    let (session, account, org) =
        state.store.session_with_account(session_hash).await?.ok_or(AppError::Unauthorized)?;
    if session.revoked {
        return Err(AppError::Unauthorized);
    }
    if !session.is_live(now, duration_ms(state.config.session_idle_timeout)) {
        return Err(AppError::SessionExpired);
    }
    if account.disabled {
        // Disabling an account should end its sessions; if that was missed, end them now.
        state.store.revoke_sessions_of(&account.id).await?;
        return Err(AppError::Unauthorized);
    }
    let csrf = CsrfToken::from_stored(&session.csrf_token)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("session has a malformed form token")))?;
    if now - session.last_seen_at >= TOUCH_EVERY_MS {
        state.store.touch_session(session_hash, now).await?;
    }
    let change_due = state.config.password_policy.change_due(&account, now);
    Ok(CurrentUser { account, org, csrf, source_ip, session_hash: session_hash.to_owned(), change_due })
}

/// The peer's address as the server saw it. Behind a proxy that is the proxy; trusting `X-Forwarded-For` needs a
/// configured list of proxies, which is not there yet.
pub(crate) fn source_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip().to_string())
}

/// A new session for `account_id`, stored; returns the `Set-Cookie` value that hands it to the browser.
pub(crate) async fn start(state: &AppState, account_id: &str) -> Result<HeaderValue, AppError> {
    let token = new_token()?;
    let csrf = CsrfToken::generate()?;
    let now = state.clock.now_ms();
    let expires_at = now.saturating_add(duration_ms(state.config.session_absolute_timeout));
    state.store.create_session(&token_hash(&token), account_id, csrf.as_str(), now, expires_at).await?;
    // No Max-Age: the cookie goes when the browser closes, which on a shared office computer is when it should;
    // the server's timeouts hold either way. Lax, not Strict, so a link to the system from a WeChat message or an
    // email opens it signed in; state changes are guarded by the form token and the Origin check.
    cookie_header(&format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"), state.config.behind_tls)
}

/// A fresh random cookie token: 32 bytes in hex.
pub(crate) fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a token: {e}")))?;
    Ok(hex(&bytes))
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie(behind_tls: bool) -> Result<HeaderValue, AppError> {
    cookie_header(&format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"), behind_tls)
}

pub(crate) fn cookie_header(value: &str, secure: bool) -> Result<HeaderValue, AppError> {
    let value = if secure { format!("{value}; Secure") } else { value.to_owned() };
    HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.into()))
}

/// The key a session is stored under: SHA-256 of the cookie's token, in hex.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_BYTES * 2 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_keeps_a_hash_not_the_token() {
        let hash = token_hash("ab");
        assert_eq!(hash, "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
        assert!(well_formed(&"0a".repeat(32)));
        assert!(!well_formed("0a") && !well_formed(&"zz".repeat(32)));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_behind_tls() {
        let cleared = clear_cookie(true).unwrap();
        let cleared = cleared.to_str().unwrap();
        assert!(cleared.starts_with("mingjing_session=;") && cleared.contains("Max-Age=0"));
        assert!(cleared.contains("HttpOnly") && cleared.contains("SameSite=Lax") && cleared.ends_with("; Secure"));
        assert!(!clear_cookie(false).unwrap().to_str().unwrap().contains("Secure"));
    }
}
