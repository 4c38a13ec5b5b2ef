//! Account management for the system admin (三员分立: they manage accounts and read no materials): list, create,
//! reset a password, disable or enable, change role or organization. Every change is a permission change and goes to
//! the audit log; nobody else may open these pages. Unlocking, the second factor, forced password changes and ending
//! sessions belong to the security administrator (security.rs). The three administrators' own accounts are out of
//! the system admin's reach: they are managed on the server with `mingjing admin`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use mingjing_storage::{Account, AccountChange, AccountQuery, Member, NewAccount, Org, Role, StoreError};
use serde::Deserialize;

use crate::auth::{CurrentUser, require_csrf};
use crate::csrf::TokenForm;
use crate::pages::{HtmxRequest, Pages, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list_page).post(create))
        .route("/accounts/{id}", get(account_page).post(change))
        .route("/accounts/{id}/password", post(reset_password))
        .route("/accounts/{id}/disable", post(disable))
        .route("/accounts/{id}/enable", post(enable))
}

/// The roles the system admin grants; the administrators' roles are granted on the server only.
const ROLES: [Role; 3] = [Role::SuperiorAdmin, Role::Secretary, Role::Member];
/// Every role, for the list's filter.
const ALL_ROLES: [Role; 6] =
    [Role::SuperiorAdmin, Role::Secretary, Role::Member, Role::Auditor, Role::SystemAdmin, Role::SecurityAdmin];

/// Why an administrator's account is not managed here.
const ADMINISTRATORS_ON_CONSOLE: &str = "系统、安全、审计管理员（三员）的账号不能在网页上创建、修改、重置密码或停用，请在服务器上用 mingjing admin 命令办理。";

/// Refuses everyone but the system admin, with 403 and an audit entry.
async fn require_system_admin(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    if user.role() == Role::SystemAdmin {
        return Ok(());
    }
    user.audit(state, "access_denied", Some("accounts"), "denied", "非系统管理员").await?;
    Err(AppError::Forbidden)
}

/// The account `id` if it belongs to the admin's subtree; otherwise the same 404 as a missing one, audited.
async fn account_in_scope(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Account, Org), AppError> {
    require_system_admin(state, user).await?;
    in_subtree(state, user, id).await
}

/// The account `id` with its organization if that lies in the user's subtree; otherwise the same 404 as a
/// missing one, audited. The caller has checked the user's role.
pub(crate) async fn in_subtree(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Account, Org), AppError> {
    let found = match state.store.account(id).await {
        Ok(account) => Some(account),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(account) = found {
        let org = state.store.org(&account.org_id).await?;
        if user.org.contains(&org) {
            return Ok((account, org));
        }
    }
    let target: String = id.chars().take(64).collect();
    user.audit(state, "access_denied", Some(&format!("account:{target}")), "denied", "").await?;
    Err(AppError::NotFound)
}

/// An organization named by a form, inside the admin's subtree.
fn org_in_subtree<'a>(orgs: &'a [Org], id: &str) -> Result<&'a Org, AppError> {
    orgs.iter().find(|o| o.id == id).ok_or_else(|| AppError::BadRequest("请选择所属组织".into()))
}

/// A role the system admin may grant.
fn role_of(code: &str) -> Result<Role, AppError> {
    match Role::from_code(code) {
        Some(role) if role.is_administrator() => Err(AppError::BadRequest(ADMINISTRATORS_ON_CONSOLE.into())),
        Some(role) => Ok(role),
        None => Err(AppError::BadRequest("请选择角色".into())),
    }
}

/// The account `id` if the system admin may change it: in scope, and not one of the three administrators.
async fn manageable(state: &AppState, user: &CurrentUser, id: &str) -> Result<Account, AppError> {
    let (account, _) = account_in_scope(state, user, id).await?;
    if account.role.is_administrator() {
        let target = format!("account:{}", account.id);
        user.audit(state, "access_denied", Some(&target), "denied", "三员账号只能在服务器上管理").await?;
        return Err(AppError::BadRequest(ADMINISTRATORS_ON_CONSOLE.into()));
    }
    Ok(account)
}

struct AccountRow {
    id: String,
    login: String,
    display_name: String,
    role: &'static str,
    org: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    rows: Vec<AccountRow>,
    orgs: Vec<(String, String)>,
    /// The roles a new account may get.
    roles: Vec<(&'static str, &'static str)>,
    filter_roles: Vec<(&'static str, &'static str)>,
    filter_org: String,
    filter_role: String,
    search: String,
    /// Accounts matching the filters, on all pages.
    total: i64,
    pages: Pages,
    csrf: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    org: String,
    #[serde(default)]
    role: String,
    /// Part of an account name, a name or a phone number.
    #[serde(default)]
    q: String,
    /// The page number; anything that is not one shows the first page.
    #[serde(default)]
    page: String,
}

/// Accounts on one page of the list: a county has a few thousand.
const PAGE_SIZE: i64 = 50;

async fn list_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    require_system_admin(&state, &user).await?;
    let page = list_view(&state, &user, query, None).await?;
    render(&htmx, "账号管理", Some(&user.view()), &page)
}

async fn list_view(
    state: &AppState,
    user: &CurrentUser,
    query: ListQuery,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    let orgs = state.store.subtree(&user.org).await?;
    let root = orgs.iter().find(|o| o.id == query.org).unwrap_or(&user.org);
    let role = Role::from_code(&query.role);
    let names: HashMap<&str, &str> = orgs.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect();
    let search = query.q.trim();
    let page = query.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let listed =
        AccountQuery { path: &root.path, role, search, limit: PAGE_SIZE, offset: (page - 1).saturating_mul(PAGE_SIZE) };
    let (accounts, total) = state.store.accounts_page(&listed).await?;
    let rows = accounts
        .into_iter()
        .map(|a| AccountRow {
            org: names.get(a.org_id.as_str()).copied().unwrap_or_default().to_owned(),
            role: a.role.label(),
            disabled: a.disabled,
            id: a.id,
            login: a.login,
            display_name: a.display_name,
        })
        .collect();
    Ok(ListPage {
        rows,
        orgs: orgs.iter().map(|o| (o.id.clone(), o.name.clone())).collect(),
        roles: ROLES.iter().map(|r| (r.code(), r.label())).collect(),
        filter_roles: ALL_ROLES.iter().map(|r| (r.code(), r.label())).collect(),
        filter_role: role.map(Role::code).unwrap_or_default().to_owned(),
        pages: Pages::new(page, total, PAGE_SIZE, &[("org", &query.org), ("role", &query.role), ("q", search)]),
        search: search.to_owned(),
        total,
        filter_org: query.org,
        csrf: user.csrf.as_str().to_owned(),
        error,
    })
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    csrf: String,
    login: String,
    #[serde(default)]
    phone: String,
    display_name: String,
    role: String,
    org: String,
}

fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// A login is letters, digits, `_`, `.` or `-`: it is typed on phones and read aloud.
fn check_login(login: &str) -> Result<(), AppError> {
    let ok = (2..=32).contains(&login.len())
        && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest("账号名应为 2 到 32 位字母、数字、下划线、点或短横线".into()))
    }
}

fn check_phone(phone: Option<&str>) -> Result<(), AppError> {
    match phone {
        Some(p) if p.len() != 11 || !p.starts_with('1') || !p.chars().all(|c| c.is_ascii_digit()) => {
            Err(AppError::BadRequest("手机号应为 11 位数字".into()))
        }
        _ => Ok(()),
    }
}

fn check_display_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::BadRequest("请填写姓名（最多 50 个字）".into()));
    }
    Ok(name)
}

/// A new initial password shown once: three groups of four (upper, lower, digit, lower) joined by `-`, which meets
/// both profiles (14 characters from four classes, random) and reads out over the phone.
pub fn initial_password() -> Result<String, AppError> {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a password: {e}")))?;
    let groups: Vec<String> = bytes
        .chunks(4)
        .map(|c| {
            [UPPER, LOWER, DIGIT, LOWER]
                .iter()
                .zip(c)
                .map(|(set, b)| char::from(set[usize::from(*b) % set.len()]))
                .collect()
        })
        .collect();
    Ok(groups.join("-"))
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    account_id: String,
    login: String,
    display_name: String,
    password: String,
    created: bool,
    /// The active profile's rules for the password the owner sets at first login.
    policy_hint: &'static str,
}

async fn create(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    require_system_admin(&state, &user).await?;
    let login = form.login.trim();
    check_login(login)?;
    let phone = optional(&form.phone);
    check_phone(phone)?;
    let display_name = check_display_name(&form.display_name)?;
    let role = role_of(&form.role)?;
    let orgs = state.store.subtree(&user.org).await?;
    let org = org_in_subtree(&orgs, &form.org)?;
    let password = initial_password()?;
    let hash = state.passwords.hash(password.clone()).await?;
    let new = NewAccount {
        login,
        phone,
        display_name,
        role,
        org_id: &org.id,
        member_id: None,
        password_hash: &hash,
        must_change_password: true,
    };
    let account = match state.store.create_account(&new, state.clock.now_ms()).await {
        Ok(account) => account,
        Err(StoreError::Duplicate(_)) => return Err(AppError::Conflict("账号名或手机号已被使用".into())),
        Err(e) => return Err(e.into()),
    };
    let detail = format!("{}，{}，{}", account.login, role.label(), org.name);
    user.audit(&state, "account.create", Some(&format!("account:{}", account.id)), "ok", &detail).await?;
    let page = PasswordPage {
        account_id: account.id,
        login: account.login,
        display_name: account.display_name,
        password,
        created: true,
        policy_hint: state.config.password_policy.hint(),
    };
    shown_once(render(&htmx, "初始密码", Some(&user.view()), &page)?)
}

/// A page with a password on it must not be cached anywhere.
fn shown_once(mut response: Response) -> Result<Response, AppError> {
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    account: Account,
    role: &'static str,
    org_name: String,
    orgs: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    /// Members of the account's organization, to link a member account to its roster entry (names only).
    members: Vec<(String, String)>,
    csrf: String,
    /// One of the three administrators: shown, not changed here.
    administrator: bool,
}

async fn account_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (account, org) = account_in_scope(&state, &user, &id).await?;
    let orgs = state.store.subtree(&user.org).await?;
    let members: Vec<Member> = state.store.members_of(&org.id).await?;
    let page = AccountPage {
        role: account.role.label(),
        org_name: org.name,
        orgs: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        roles: ROLES.iter().map(|r| (r.code(), r.label())).collect(),
        members: members.into_iter().map(|m| (m.id, m.name)).collect(),
        csrf: user.csrf.as_str().to_owned(),
        administrator: account.role.is_administrator(),
        account,
    };
    render(&htmx, "账号", Some(&user.view()), &page)
}

#[derive(Debug, Deserialize)]
struct ChangeForm {
    csrf: String,
    display_name: String,
    #[serde(default)]
    phone: String,
    role: String,
    org: String,
    #[serde(default)]
    member: String,
}

async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let account = manageable(&state, &user, &id).await?;
    let display_name = check_display_name(&form.display_name)?;
    let phone = optional(&form.phone);
    check_phone(phone)?;
    let role = role_of(&form.role)?;
    let orgs = state.store.subtree(&user.org).await?;
    let org = org_in_subtree(&orgs, &form.org)?;
    // A roster entry is linked only if it is in the account's (new) organization.
    let member = match optional(&form.member) {
        Some(member_id) => match state.store.member(member_id).await {
            Ok(m) if m.org_id == org.id => Some(m.id),
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(AppError::BadRequest("关联的党员不在所选组织的名册上".into()));
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let change = AccountChange { display_name, phone, role, org_id: &org.id, member_id: member.as_deref() };
    match state.store.update_account(&account.id, &change).await {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => return Err(AppError::Conflict("手机号已被其他账号使用".into())),
        Err(e) => return Err(e.into()),
    }
    let old_org = orgs.iter().find(|o| o.id == account.org_id).map_or(account.org_id.as_str(), |o| o.name.as_str());
    let detail =
        format!("{}：角色 {} → {}，组织 {old_org} → {}", account.login, account.role.label(), role.label(), org.name);
    user.audit(&state, "account.change", Some(&format!("account:{}", account.id)), "ok", &detail).await?;
    // A new role or organization must not ride on sessions opened under the old one.
    if account.role != role || account.org_id != org.id {
        state.store.revoke_sessions_of(&account.id).await?;
    }
    Ok(Redirect::to(&format!("/accounts/{}", account.id)).into_response())
}

async fn reset_password(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    require_csrf(&user, &form.csrf)?;
    let account = manageable(&state, &user, &id).await?;
    let password = initial_password()?;
    let hash = state.passwords.hash(password.clone()).await?;
    state.store.set_password(&account.id, &hash, true, state.clock.now_ms()).await?;
    // Whoever knew the old password is signed out.
    state.store.revoke_sessions_of(&account.id).await?;
    user.audit(&state, "account.reset_password", Some(&format!("account:{}", account.id)), "ok", &account.login)
        .await?;
    let page = PasswordPage {
        account_id: account.id,
        login: account.login,
        display_name: account.display_name,
        password,
        created: false,
        policy_hint: state.config.password_policy.hint(),
    };
    shown_once(render(&htmx, "初始密码", Some(&user.view()), &page)?)
}

async fn set_disabled(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    csrf: &str,
    disabled: bool,
) -> Result<Response, AppError> {
    require_csrf(user, csrf)?;
    let account = manageable(state, user, id).await?;
    if account.id == user.account.id {
        return Err(AppError::BadRequest("不能停用自己的账号".into()));
    }
    state.store.set_disabled(&account.id, disabled).await?;
    let action = if disabled { "account.disable" } else { "account.enable" };
    user.audit(state, action, Some(&format!("account:{}", account.id)), "ok", &account.login).await?;
    Ok(Redirect::to(&format!("/accounts/{}", account.id)).into_response())
}

async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    set_disabled(&state, &user, &id, &form.csrf, true).await
}

async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    set_disabled(&state, &user, &id, &form.csrf, false).await
}
