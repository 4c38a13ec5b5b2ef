//! The security administrator's pages (安全管理员, 三员分立): the security state of the accounts in their subtree
//! (second factor, lockout, password age, initial password pending) and the switches that are theirs alone —
//! unlock, reset the second factor, force a password change, end every session. Each is audited. The security
//! administrator manages no accounts, reads no materials and no audit log.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_storage::{Account, AccountQuery, Role};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, Pages, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/security", get(overview))
        .route("/security/accounts/{id}/unlock", post(unlock))
        .route("/security/accounts/{id}/totp-reset", post(reset_totp))
        .route("/security/accounts/{id}/force-password", post(force_password))
        .route("/security/accounts/{id}/sessions", post(revoke_sessions))
}

/// Refuses everyone but the security administrator, with 403 and an audit entry.
async fn require_security_admin(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    if user.role() == Role::SecurityAdmin {
        return Ok(());
    }
    user.audit(state, "access_denied", Some("security"), "denied", "非安全管理员").await?;
    Err(AppError::Forbidden)
}

/// The account `id` if it is in the administrator's subtree; otherwise the same 404 as a missing one, audited.
async fn account_in_scope(state: &AppState, user: &CurrentUser, id: &str) -> Result<Account, AppError> {
    require_security_admin(state, user).await?;
    Ok(crate::accounts::in_subtree(state, user, id).await?.0)
}

struct Row {
    id: String,
    login: String,
    display_name: String,
    role: &'static str,
    org: String,
    disabled: bool,
    /// “已启用（N 个恢复码）”, “未启用”, or “未启用（必须启用）” when the configuration requires it.
    totp: String,
    totp_enrolled: bool,
    totp_missing: bool,
    /// Minutes of lockout left, when locked now.
    locked_minutes: Option<i64>,
    failed_logins: i64,
    password_age_days: i64,
    must_change: bool,
}

#[derive(Template)]
#[template(path = "security/overview.html")]
struct OverviewPage {
    rows: Vec<Row>,
    filter_roles: Vec<(&'static str, &'static str)>,
    filter_role: String,
    search: String,
    total: i64,
    pages: Pages,
    totp_required: bool,
    csrf: String,
    /// The list's query, so an action comes back to the same page.
    back: String,
}

#[derive(Debug, Default, Deserialize)]
struct OverviewQuery {
    #[serde(default)]
    role: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

const PAGE_SIZE: i64 = 50;
const ROLES: [Role; 6] =
    [Role::SuperiorAdmin, Role::Secretary, Role::Member, Role::Auditor, Role::SystemAdmin, Role::SecurityAdmin];

async fn overview(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Query(query): Query<OverviewQuery>,
) -> Result<Response, AppError> {
    require_security_admin(&state, &user).await?;
    let now = state.clock.now_ms();
    let orgs = state.store.subtree(&user.org).await?;
    let names: HashMap<&str, &str> = orgs.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect();
    let role = Role::from_code(&query.role);
    let search = query.q.trim();
    let page = query.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let listed = AccountQuery {
        path: &user.org.path,
        role,
        search,
        limit: PAGE_SIZE,
        offset: (page - 1).saturating_mul(PAGE_SIZE),
    };
    let (accounts, total) = state.store.accounts_page(&listed).await?;
    let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let states = state.store.security_states(&ids).await?;
    let required = state.config.totp_required;
    let rows = accounts
        .into_iter()
        .zip(states)
        .map(|(a, s)| {
            let totp_missing = s.totp_enrolled_at.is_none() && required && a.role.needs_second_factor();
            let totp = match s.totp_enrolled_at {
                Some(_) => format!("已启用（剩 {} 个恢复码）", s.recovery_left),
                None if totp_missing => "未启用（必须启用，下次登录时设置）".to_owned(),
                None => "未启用".to_owned(),
            };
            Row {
                org: names.get(a.org_id.as_str()).copied().unwrap_or_default().to_owned(),
                role: a.role.label(),
                disabled: a.disabled,
                totp,
                totp_enrolled: s.totp_enrolled_at.is_some(),
                totp_missing,
                locked_minutes: a
                    .locked_until
                    .filter(|&until| until > now)
                    .map(|until| (until - now + 59_999) / 60_000),
                failed_logins: a.failed_logins,
                password_age_days: (now - a.password_changed_at).max(0) / 86_400_000,
                must_change: a.must_change_password,
                id: a.id,
                login: a.login,
                display_name: a.display_name,
            }
        })
        .collect();
    let filters = [("role", query.role.as_str()), ("q", search)];
    let mut back = form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters.iter().filter(|(_, v)| !v.is_empty()) {
        back.append_pair(name, value);
    }
    let back = back.append_pair("page", &page.to_string()).finish();
    let page = OverviewPage {
        rows,
        filter_roles: ROLES.iter().map(|r| (r.code(), r.label())).collect(),
        filter_role: role.map(Role::code).unwrap_or_default().to_owned(),
        pages: Pages::new(page, total, PAGE_SIZE, &filters),
        search: search.to_owned(),
        total,
        totp_required: required,
        csrf: user.csrf.as_str().to_owned(),
        back,
    };
    render(&htmx, "安全管理", Some(&user.view()), &page)
}

/// An action's form: the token and where the list was.
#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// Back to the list as it was; only a query string of our own making is followed.
fn back_to(back: &str) -> Response {
    let safe = back.chars().all(|c| c.is_ascii_alphanumeric() || "=&%+-_.".contains(c));
    let location = if safe && !back.is_empty() { format!("/security?{back}") } else { "/security".to_owned() };
    Redirect::to(&location).into_response()
}

/// What the security administrator can do to an account.
#[derive(Debug, Clone, Copy)]
enum Action {
    Unlock,
    ResetTotp,
    ForcePassword,
    RevokeSessions,
}

impl Action {
    fn audit_name(self) -> &'static str {
        match self {
            Self::Unlock => "security.unlock",
            Self::ResetTotp => "security.totp_reset",
            Self::ForcePassword => "security.force_password",
            Self::RevokeSessions => "security.revoke_sessions",
        }
    }
}

async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &ActionForm,
    action: Action,
) -> Result<Response, AppError> {
    require_csrf(user, &form.csrf)?;
    let account = account_in_scope(state, user, id).await?;
    match action {
        Action::Unlock => state.store.unlock_account(&account.id).await?,
        Action::ResetTotp => {
            state.store.reset_totp(&account.id).await?;
            // Whoever holds a session made with the old factor is signed out with it.
            state.store.revoke_sessions_of(&account.id).await?;
        }
        Action::ForcePassword => state.store.force_password_change(&account.id).await?,
        Action::RevokeSessions => state.store.revoke_sessions_of(&account.id).await?,
    }
    let target = format!("account:{}", account.id);
    user.audit(state, action.audit_name(), Some(&target), "ok", &account.login).await?;
    Ok(back_to(&form.back))
}

async fn unlock(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    act(&state, &user, &id, &form, Action::Unlock).await
}

async fn reset_totp(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    act(&state, &user, &id, &form, Action::ResetTotp).await
}

async fn force_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    act(&state, &user, &id, &form, Action::ForcePassword).await
}

async fn revoke_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    act(&state, &user, &id, &form, Action::RevokeSessions).await
}
