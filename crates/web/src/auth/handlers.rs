//! The login, logout and change-password pages.
//!
//! A login that fails says only “账号或密码不正确”, whether the account is unknown or the password wrong, and both
//! take one password verification (an unknown account is checked against a dummy hash), so neither the page nor its
//! timing tells a guesser which accounts exist. Only a locked account says so, because its owner needs to know how
//! long to wait; and a disabled account says so only after the right password.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Form, extract::rejection::FormRejection};
use mingjing_storage::NewAuditEntry;
use serde::Deserialize;

use super::second_factor;
use super::session::{self, CurrentUser, SessionUser, require_csrf};
use crate::AppState;
use crate::clock::duration_ms;
use crate::csrf;
use crate::error::{AppError, CHANGE_PASSWORD_PATH, LOGIN_PATH};
use crate::pages::{ChangePasswordPage, HtmxRequest, LoginPage, render};

/// The one answer to a wrong password and to an unknown account.
pub const LOGIN_REFUSED: &str = "账号或密码不正确";
const SESSION_EXPIRED: &str = "登录已超时，请重新登录";
pub(crate) const DISABLED: &str = "账号已停用，请联系系统管理员";

/// Where the request came from, for the audit log; never refuses.
#[derive(Debug, Clone)]
pub(crate) struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(session::source_ip(parts)))
    }
}

/// A form's fields; each defaults to empty so that a missing token is refused as a forgery (403), not as a
/// malformed form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangePasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// A form body that could not be read is the user's problem, said in Chinese.
fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, AppError> {
    form.map(|Form(value)| value).map_err(|_| AppError::BadRequest("提交的内容格式不正确".to_owned()))
}

fn redirect(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, location.to_owned())]).into_response()
}

pub(crate) async fn login_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let token = csrf::pre_session_token(&headers, state.config.behind_tls)?;
    let expired = uri.query().is_some_and(|q| q.split('&').any(|pair| pair == "expired=1"));
    let page = LoginPage { csrf: &token.token, account: "", error: None, notice: expired.then_some(SESSION_EXPIRED) };
    Ok(token.attach(render(&htmx, "登录", None, &page)?))
}

pub(crate) async fn login(
    State(state): State<AppState>,
    SourceIp(source_ip): SourceIp,
    htmx: HtmxRequest,
    headers: HeaderMap,
    body: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, AppError> {
    let LoginForm { csrf: submitted, account: typed, password } = form(body)?;
    csrf::verify_pre_session(&headers, &submitted)?;
    let typed = typed.trim();
    let policy = state.config.password_policy;
    let now = state.clock.now_ms();
    let audit = |account_id: Option<String>, action: &'static str, outcome: &'static str, detail: &'static str| {
        let state = state.clone();
        let source_ip = source_ip.clone();
        async move {
            let entry = NewAuditEntry {
                at: now,
                account_id: account_id.as_deref(),
                action,
                target: None,
                source_ip: source_ip.as_deref(),
                outcome,
                detail,
            };
            state.store.append_audit(&entry).await
        }
    };
    let refuse = |message: String| -> Result<Response, AppError> {
        let token = csrf::pre_session_token(&headers, state.config.behind_tls)?;
        let page = LoginPage { csrf: &token.token, account: typed, error: Some(&message), notice: None };
        let mut response = token.attach(render(&htmx, "登录", None, &page)?);
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        Ok(response)
    };

    let found = if typed.is_empty() { None } else { state.store.account_by_login(typed).await? };
    let Some(account) = found else {
        state.passwords.verify_unknown(password).await?;
        // What was typed is not recorded: people type their password into the account field.
        audit(None, "login_failed", "denied", "账号不存在").await?;
        return refuse(LOGIN_REFUSED.to_owned());
    };
    let lock_ms = duration_ms(policy.lock_for());
    if let Some(until) = account.locked_until.filter(|&until| until > now) {
        audit(Some(account.id), "login_failed", "denied", "账户已锁定").await?;
        return refuse(locked_message(until - now));
    }
    if !state.passwords.verify(account.password_hash.clone(), password).await? {
        if account.locked_until.is_some() {
            // A lock that has run out starts a fresh count; the store would otherwise lock again at the next miss.
            state.store.record_login_success(&account.id).await?;
        }
        let counted = state.store.record_login_failure(&account.id, now, policy.lock_after(), lock_ms).await?;
        audit(Some(account.id), "login_failed", "denied", "密码错误").await?;
        return match counted.locked_until.filter(|&until| until > now) {
            Some(until) => refuse(locked_message(until - now)),
            None => refuse(LOGIN_REFUSED.to_owned()),
        };
    }
    if account.disabled {
        audit(Some(account.id), "login_failed", "denied", "账号已停用").await?;
        return refuse(DISABLED.to_owned());
    }
    // With a second factor due, the failure count stays until it is given too: otherwise the right password could
    // be typed again and again to buy more guesses at the code.
    if let Some(stage) = second_factor::stage_for(&state, &account).await? {
        audit(Some(account.id.clone()), "login_password_ok", "ok", "待第二因素").await?;
        return second_factor::begin(&state, &account, stage).await;
    }
    state.store.record_login_success(&account.id).await?;
    let cookie = session::start(&state, &account.id).await?;
    audit(Some(account.id.clone()), "login", "ok", "").await?;
    let location = if policy.change_due(&account, now).is_some() { CHANGE_PASSWORD_PATH } else { "/" };
    let mut response = redirect(location);
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}

/// “请 N 分钟后再试”, rounding up so that the wait is never shorter than said.
pub(crate) fn locked_message(remaining_ms: i64) -> String {
    let minutes = ((remaining_ms + 59_999) / 60_000).max(1);
    format!("密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试")
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    body: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form(body)?.csrf)?;
    state.store.revoke_session(&user.session_hash).await?;
    user.audit(&state, "logout", None, "ok", "").await?;
    let mut response = redirect(LOGIN_PATH);
    response.headers_mut().append(SET_COOKIE, session::clear_cookie(state.config.behind_tls)?);
    Ok(response)
}

fn password_form(
    htmx: &HtmxRequest,
    state: &AppState,
    user: &CurrentUser,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let page = ChangePasswordPage {
        csrf: &user.csrf,
        notice: user.change_due.map(|due| due.notice()),
        policy_hint: state.config.password_policy.hint(),
        error,
    };
    let mut response = render(htmx, "修改密码", Some(&user.view()), &page)?;
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub(crate) async fn change_password_page(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    htmx: HtmxRequest,
) -> Result<Response, AppError> {
    password_form(&htmx, &state, &user, None)
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    htmx: HtmxRequest,
    body: Result<Form<ChangePasswordForm>, FormRejection>,
) -> Result<Response, AppError> {
    let ChangePasswordForm { csrf: submitted, current, new, confirm } = form(body)?;
    require_csrf(&user, &submitted)?;
    let policy = state.config.password_policy;
    let refuse = |message: &str| password_form(&htmx, &state, &user, Some(message));
    if new != confirm {
        return refuse("两次输入的新密码不一致");
    }
    if new == current {
        return refuse("新密码不能与当前密码相同");
    }
    if let Err(message) = policy.check(&new, &user.account.login, user.account.phone.as_deref()) {
        return refuse(message);
    }
    let now = state.clock.now_ms();
    if let Some(until) = user.account.locked_until.filter(|&until| until > now) {
        return refuse(&locked_message(until - now));
    }
    if !state.passwords.verify(user.account.password_hash.clone(), current).await? {
        // Counted like a failed login: a stolen session must not become a way to guess the password.
        let lock_ms = duration_ms(policy.lock_for());
        let counted = state.store.record_login_failure(&user.account.id, now, policy.lock_after(), lock_ms).await?;
        user.audit(&state, "password_change", None, "denied", "当前密码不正确").await?;
        if let Some(until) = counted.locked_until.filter(|&until| until > now) {
            state.store.revoke_sessions_of(&user.account.id).await?;
            return refuse(&locked_message(until - now));
        }
        return refuse("当前密码不正确");
    }
    let hash = state.passwords.hash(new).await?;
    state.store.set_password(&user.account.id, &hash, false, now).await?;
    // Whoever knew the old password may hold a session: end them all, and give this browser a fresh one.
    state.store.revoke_sessions_of(&user.account.id).await?;
    let cookie = session::start(&state, &user.account.id).await?;
    user.audit(&state, "password_change", None, "ok", "").await?;
    let mut response = redirect("/");
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_messages_round_the_wait_up() {
        assert_eq!(locked_message(15 * 60_000), "密码错误次数过多，账户已锁定，请 15 分钟后再试");
        assert_eq!(locked_message(60_001), "密码错误次数过多，账户已锁定，请 2 分钟后再试");
        assert_eq!(locked_message(1), "密码错误次数过多，账户已锁定，请 1 分钟后再试");
    }
}
