//! The second step of a login: after the right password, an account with a TOTP secret types a code from its app
//! (or a one-time recovery code); an account that must have a second factor (`totp_required`, every role but 党员)
//! and has none sets one up first — the secret as text and as a QR code, confirmed by a code before it counts, and
//! ten recovery codes shown once.
//!
//! Between the password and the code the browser holds a login challenge (its own cookie, a row of its own), not a
//! session: no page but these accepts it. Every wrong code counts toward the same lockout as a wrong password, and
//! the failure count is cleared only when the whole login succeeds, so the password cannot be re-entered to buy more
//! guesses at the code. A code is accepted once: its step is recorded and no code of that step or an earlier one is
//! taken again.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mingjing_storage::{Account, ChallengeStage, LoginChallenge, NewAuditEntry};
use serde::Deserialize;

use super::handlers::{DISABLED, SourceIp, locked_message};
use super::session::{self, cookie_header, new_token, token_hash, well_formed};
use super::totp;
use crate::AppState;
use crate::clock::duration_ms;
use crate::csrf::{self, CsrfToken};
use crate::error::{AppError, CHANGE_PASSWORD_PATH};
use crate::pages::{HtmxRequest, LoginPage, render};

/// The cookie that holds a login challenge's token.
pub const CHALLENGE_COOKIE: &str = "mingjing_challenge";
/// How long the second step may take.
const CHALLENGE_MS: i64 = 10 * 60_000;
pub const TOTP_PATH: &str = "/login/totp";
pub const ENROL_PATH: &str = "/login/totp/enrol";
const WRONG_CODE: &str = "验证码不正确，请输入验证器上当前显示的 6 位数字，或一个未用过的恢复码";
const REPLAYED: &str = "这个验证码已经用过，请等验证器显示下一个验证码后再输入";

/// What the account still owes after its password: a code, an enrolment, or nothing.
pub(crate) async fn stage_for(state: &AppState, account: &Account) -> Result<Option<ChallengeStage>, AppError> {
    if state.store.totp_secret(&account.id).await?.is_some() {
        return Ok(Some(ChallengeStage::Code));
    }
    let required = state.config.totp_required && account.role.needs_second_factor();
    Ok(required.then_some(ChallengeStage::Enrol))
}

/// Opens a challenge for `account` and sends the browser to its page.
pub(crate) async fn begin(state: &AppState, account: &Account, stage: ChallengeStage) -> Result<Response, AppError> {
    let now = state.clock.now_ms();
    state.store.delete_expired_challenges(now).await?;
    let token = new_token()?;
    let challenge = LoginChallenge {
        token_hash: token_hash(&token),
        account_id: account.id.clone(),
        csrf_token: CsrfToken::generate()?.as_str().to_owned(),
        stage,
        enrol_secret: match stage {
            ChallengeStage::Enrol => Some(totp::new_secret()?),
            ChallengeStage::Code => None,
        },
        created_at: now,
        expires_at: now + CHALLENGE_MS,
    };
    state.store.create_challenge(&challenge).await?;
    let cookie = cookie_header(
        &format!("{CHALLENGE_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict"),
        state.config.behind_tls,
    )?;
    let location = match stage {
        ChallengeStage::Code => TOTP_PATH,
        ChallengeStage::Enrol => ENROL_PATH,
    };
    let mut response = redirect(location);
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}

fn redirect(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, location.to_owned())]).into_response()
}

fn clear_cookie(behind_tls: bool) -> Result<HeaderValue, AppError> {
    cookie_header(&format!("{CHALLENGE_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"), behind_tls)
}

/// The browser's live challenge with its account; anything else goes back to the login page.
async fn current(state: &AppState, headers: &HeaderMap) -> Result<(LoginChallenge, Account), AppError> {
    let token = csrf::cookie(headers, CHALLENGE_COOKIE).filter(|t| well_formed(t)).ok_or(AppError::Unauthorized)?;
    let challenge = state.store.challenge(&token_hash(token)).await?.ok_or(AppError::Unauthorized)?;
    if challenge.expires_at <= state.clock.now_ms() {
        state.store.delete_challenge(&challenge.token_hash).await?;
        return Err(AppError::SessionExpired);
    }
    let account = state.store.account(&challenge.account_id).await?;
    Ok((challenge, account))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "login_totp.html")]
struct CodePage<'a> {
    csrf: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct EnrolPage<'a> {
    csrf: &'a str,
    login: &'a str,
    secret: String,
    qr_svg: String,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage {
    codes: Vec<String>,
    next: &'static str,
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

fn code_page(htmx: &HtmxRequest, challenge: &LoginChallenge, error: Option<&str>) -> Result<Response, AppError> {
    let page = CodePage { csrf: &challenge.csrf_token, error };
    let response = render(htmx, "验证码", None, &page)?;
    Ok(if error.is_some() { with_status(response, StatusCode::UNAUTHORIZED) } else { response })
}

fn enrol_page(
    htmx: &HtmxRequest,
    challenge: &LoginChallenge,
    account: &Account,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let secret = challenge
        .enrol_secret
        .as_deref()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an enrolment challenge without a secret")))?;
    let page = EnrolPage {
        csrf: &challenge.csrf_token,
        login: &account.login,
        secret: totp::grouped(secret),
        qr_svg: totp::qr_svg(&totp::otpauth_uri(&account.login, secret))?,
        error,
    };
    let mut response = render(htmx, "设置双因素认证", None, &page)?;
    // The secret is on this page: no cache may keep it.
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(if error.is_some() { with_status(response, StatusCode::UNAUTHORIZED) } else { response })
}

/// GET /login/totp
pub(crate) async fn code_form(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (challenge, _) = current(&state, &headers).await?;
    if challenge.stage == ChallengeStage::Enrol {
        return Ok(redirect(ENROL_PATH));
    }
    code_page(&htmx, &challenge, None)
}

/// GET /login/totp/enrol
pub(crate) async fn enrol_form(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (challenge, account) = current(&state, &headers).await?;
    if challenge.stage == ChallengeStage::Code {
        return Ok(redirect(TOTP_PATH));
    }
    enrol_page(&htmx, &challenge, &account, None)
}

/// What a submitted code turned out to be.
enum Verdict {
    /// Good; the detail says how, for the audit log.
    Accepted(&'static str),
    Wrong(&'static str),
}

/// Where a posted code goes next.
enum Answer {
    /// On to checking the code: the form, the challenge, its account and the time.
    Go(Box<(CodeForm, LoginChallenge, Account, i64)>),
    /// The request ends here: the page of the stage the challenge is really at, or a refusal.
    Stop(Response),
}

/// The challenge a posted code answers, checked before the code is: the form's token, the stage the form is for,
/// and an account still allowed in.
async fn answered(
    state: &AppState,
    htmx: &HtmxRequest,
    headers: &HeaderMap,
    body: Result<Form<CodeForm>, FormRejection>,
    stage: ChallengeStage,
) -> Result<Answer, AppError> {
    let form = form(body)?;
    let (challenge, account) = current(state, headers).await?;
    csrf::verify_token(&challenge.csrf_token, &form.csrf)?;
    if challenge.stage != stage {
        let page = if challenge.stage == ChallengeStage::Enrol { ENROL_PATH } else { TOTP_PATH };
        return Ok(Answer::Stop(redirect(page)));
    }
    let now = state.clock.now_ms();
    if let Some(refused) = refuse_locked_or_disabled(state, htmx, headers, &challenge, &account, now).await? {
        return Ok(Answer::Stop(refused));
    }
    Ok(Answer::Go(Box::new((form, challenge, account, now))))
}

/// POST /login/totp
pub(crate) async fn submit_code(
    State(state): State<AppState>,
    SourceIp(source_ip): SourceIp,
    htmx: HtmxRequest,
    headers: HeaderMap,
    body: Result<Form<CodeForm>, FormRejection>,
) -> Result<Response, AppError> {
    let (form, challenge, account, now) = match answered(&state, &htmx, &headers, body, ChallengeStage::Code).await? {
        Answer::Go(parts) => *parts,
        Answer::Stop(response) => return Ok(response),
    };
    let verdict = match state.store.totp_secret(&account.id).await? {
        None => Verdict::Wrong(WRONG_CODE),
        Some(_) if !totp::is_code(&form.code) => {
            let hash = totp::recovery_hash(&form.code);
            if state.store.use_recovery_code(&account.id, &hash, now).await? {
                Verdict::Accepted("恢复码")
            } else {
                Verdict::Wrong(WRONG_CODE)
            }
        }
        Some((secret, _)) => match totp::check(&secret, &form.code, now)? {
            Some(step) if state.store.take_totp_step(&account.id, step).await? => Verdict::Accepted("动态验证码"),
            Some(_) => Verdict::Wrong(REPLAYED),
            None => Verdict::Wrong(WRONG_CODE),
        },
    };
    match verdict {
        Verdict::Accepted(how) => {
            let (cookies, next) = complete(&state, &challenge, &account, &source_ip, how).await?;
            let mut response = redirect(next);
            for cookie in cookies {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            Ok(response)
        }
        Verdict::Wrong(message) => {
            if let Some(locked) = count_failure(&state, &htmx, &headers, &challenge, &account, &source_ip).await? {
                return Ok(locked);
            }
            code_page(&htmx, &challenge, Some(message))
        }
    }
}

/// POST /login/totp/enrol
pub(crate) async fn confirm_enrol(
    State(state): State<AppState>,
    SourceIp(source_ip): SourceIp,
    htmx: HtmxRequest,
    headers: HeaderMap,
    body: Result<Form<CodeForm>, FormRejection>,
) -> Result<Response, AppError> {
    let (form, challenge, account, now) = match answered(&state, &htmx, &headers, body, ChallengeStage::Enrol).await? {
        Answer::Go(parts) => *parts,
        Answer::Stop(response) => return Ok(response),
    };
    let secret = challenge
        .enrol_secret
        .clone()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an enrolment challenge without a secret")))?;
    let Some(step) = totp::check(&secret, &form.code, now)? else {
        if let Some(locked) = count_failure(&state, &htmx, &headers, &challenge, &account, &source_ip).await? {
            return Ok(locked);
        }
        return enrol_page(
            &htmx,
            &challenge,
            &account,
            Some("验证码不正确：请确认验证器已添加上面的密钥，再输入它当前显示的 6 位数字"),
        );
    };
    let codes = totp::new_recovery_codes()?;
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    state.store.enrol_totp(&account.id, &secret, step, &hashes, now).await?;
    audit(&state, &account, &source_ip, "totp.enrol", "ok", "").await?;
    let (cookies, next) = complete(&state, &challenge, &account, &source_ip, "设置双因素认证").await?;
    // Instead of a redirect, the recovery codes, shown this once, with the new session's cookie.
    let mut page = render(&htmx, "恢复码", None, &RecoveryPage { codes, next })?;
    for cookie in cookies {
        page.headers_mut().append(SET_COOKIE, cookie);
    }
    page.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page)
}

fn form(body: Result<Form<CodeForm>, FormRejection>) -> Result<CodeForm, AppError> {
    body.map(|Form(f)| f).map_err(|_| AppError::BadRequest("提交的内容格式不正确".to_owned()))
}

async fn audit(
    state: &AppState,
    account: &Account,
    source_ip: &Option<String>,
    action: &str,
    outcome: &str,
    detail: &str,
) -> Result<(), AppError> {
    let entry = NewAuditEntry {
        at: state.clock.now_ms(),
        account_id: Some(&account.id),
        action,
        target: None,
        source_ip: source_ip.as_deref(),
        outcome,
        detail,
    };
    state.store.append_audit(&entry).await?;
    Ok(())
}

/// The login page with `message`, the challenge ended and its cookie removed.
async fn back_to_login(
    state: &AppState,
    htmx: &HtmxRequest,
    headers: &HeaderMap,
    challenge: &LoginChallenge,
    account: &Account,
    message: &str,
) -> Result<Response, AppError> {
    state.store.delete_challenge(&challenge.token_hash).await?;
    let token = csrf::pre_session_token(headers, state.config.behind_tls)?;
    let page = LoginPage { csrf: &token.token, account: &account.login, error: Some(message), notice: None };
    let mut response = with_status(token.attach(render(htmx, "登录", None, &page)?), StatusCode::UNAUTHORIZED);
    response.headers_mut().append(SET_COOKIE, clear_cookie(state.config.behind_tls)?);
    Ok(response)
}

async fn refuse_locked_or_disabled(
    state: &AppState,
    htmx: &HtmxRequest,
    headers: &HeaderMap,
    challenge: &LoginChallenge,
    account: &Account,
    now: i64,
) -> Result<Option<Response>, AppError> {
    if let Some(until) = account.locked_until.filter(|&until| until > now) {
        return back_to_login(state, htmx, headers, challenge, account, &locked_message(until - now)).await.map(Some);
    }
    if account.disabled {
        return back_to_login(state, htmx, headers, challenge, account, DISABLED).await.map(Some);
    }
    Ok(None)
}

/// Counts a wrong code like a wrong password; when that locks the account, the answer is the login page.
async fn count_failure(
    state: &AppState,
    htmx: &HtmxRequest,
    headers: &HeaderMap,
    challenge: &LoginChallenge,
    account: &Account,
    source_ip: &Option<String>,
) -> Result<Option<Response>, AppError> {
    let policy = state.config.password_policy;
    let now = state.clock.now_ms();
    if account.locked_until.is_some() {
        // A lock that has run out starts a fresh count, as at the password step.
        state.store.record_login_success(&account.id).await?;
    }
    let counted =
        state.store.record_login_failure(&account.id, now, policy.lock_after(), duration_ms(policy.lock_for())).await?;
    audit(state, account, source_ip, "login_failed", "denied", "第二因素错误").await?;
    match counted.locked_until.filter(|&until| until > now) {
        Some(until) => {
            back_to_login(state, htmx, headers, challenge, account, &locked_message(until - now)).await.map(Some)
        }
        None => Ok(None),
    }
}

/// The login is complete: the challenge ends, the failure count is cleared, a session starts. Returns the cookies
/// to set (the session's, and the challenge's removal) and where to go next.
async fn complete(
    state: &AppState,
    challenge: &LoginChallenge,
    account: &Account,
    source_ip: &Option<String>,
    how: &str,
) -> Result<(Vec<HeaderValue>, &'static str), AppError> {
    state.store.delete_challenge(&challenge.token_hash).await?;
    state.store.record_login_success(&account.id).await?;
    let cookie = session::start(state, &account.id).await?;
    audit(state, account, source_ip, "login", "ok", how).await?;
    let now = state.clock.now_ms();
    let due = state.config.password_policy.change_due(account, now).is_some();
    let next = if due { CHANGE_PASSWORD_PATH } else { "/" };
    Ok((vec![cookie, clear_cookie(state.config.behind_tls)?], next))
}
