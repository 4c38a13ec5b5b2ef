//! The one mapping from what went wrong to what the user sees: a status, a message in Chinese, and the request id.
//!
//! [`AppError`]'s `IntoResponse` only marks the response; [`render_errors`], which sits outside every handler and
//! inner layer, turns the mark into the page. Rendering needs the request id and whether htmx asked, which a bare
//! `IntoResponse` cannot see; and the same middleware gives a Chinese page to the bare 404, 405, 408 and 413
//! responses that axum and tower-http produce themselves.

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::header::{ALLOW, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::middleware::RequestId;
use crate::pages::{self, ErrorView, HtmxRequest};

/// Where a visitor who is not signed in is sent.
pub const LOGIN_PATH: &str = "/login";
/// Where a visitor whose session timed out is sent: the login page, saying why.
pub const SESSION_EXPIRED_PATH: &str = "/login?expired=1";
/// Where a user whose password must be changed is sent before anything else.
pub const CHANGE_PASSWORD_PATH: &str = "/password";

/// Everything a handler may fail with. Messages meant for the user are in Chinese; `Internal` is logged with the
/// request id and shown only as “系统出现错误”.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("not signed in")]
    Unauthorized,
    /// Signed in once, but idle too long or past the absolute timeout.
    #[error("session expired")]
    SessionExpired,
    /// Signed in, but an initial or too old password must be replaced first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// The message is shown to the user as it is: write it in Chinese.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A concurrent edit or a double submit; the message is shown as it is.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("cross-site request refused")]
    Csrf,
    #[error("request timed out")]
    Timeout,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::Unauthorized | Self::SessionExpired => StatusCode::UNAUTHORIZED,
            Self::PasswordChangeRequired => StatusCode::SEE_OTHER,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user reads.
    pub fn message(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Self::NotFound => "页面不存在",
            Self::Forbidden => "您没有权限访问这里",
            Self::Unauthorized => "请先登录",
            Self::SessionExpired => "登录已超时，请重新登录",
            Self::PasswordChangeRequired => "请先修改密码",
            Self::BadRequest(msg) | Self::Conflict(msg) => return Cow::Borrowed(msg),
            Self::PayloadTooLarge => "上传的文件太大",
            Self::Csrf => "页面已过期，请刷新后重试",
            Self::Timeout => "请求超时，请稍后重试",
            Self::MethodNotAllowed => "不支持这种访问方式",
            Self::Internal(_) => "系统出现错误",
        })
    }

    /// The error a bare error response from outside our handlers stands for.
    fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::REQUEST_TIMEOUT => Self::Timeout,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            s if s.is_client_error() => Self::BadRequest("提交的内容格式不正确".to_owned()),
            s => Self::Internal(anyhow::anyhow!("{s} without an AppError (a panic or an inner layer)")),
        }
    }

    /// Where the user is sent instead of being shown a page, for the errors that mean "go there first".
    fn redirect(&self) -> Option<&'static str> {
        match self {
            Self::Unauthorized => Some(LOGIN_PATH),
            Self::SessionExpired => Some(SESSION_EXPIRED_PATH),
            Self::PasswordChangeRequired => Some(CHANGE_PASSWORD_PATH),
            _ => None,
        }
    }
}

/// Storage failures a handler did not handle itself: a missing row is a missing page, a lost race asks the user to
/// reload, anything else is logged as internal.
impl From<mingjing_storage::StoreError> for AppError {
    fn from(error: mingjing_storage::StoreError) -> Self {
        use mingjing_storage::StoreError;
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Stale => {
                Self::Conflict("内容已在别处修改（可能在另一个窗口），请刷新页面，在最新内容上继续修改".to_owned())
            }
            StoreError::Duplicate(_) => Self::Conflict("这份内容已经存在（可能重复提交了），请刷新页面".to_owned()),
            // The state a guarded change found instead of the one it needed.
            StoreError::State(state) => match state.as_str() {
                "submitted" => Self::Conflict("材料已经提交，不能重复提交或修改".to_owned()),
                "approved" => Self::Conflict("材料已审核通过，不能再修改".to_owned()),
                "draft" | "returned" => Self::Conflict("材料尚未提交，不能审核，请刷新页面".to_owned()),
                "org_has_members" => Self::Conflict("该组织还有党员，不能撤销。请先将党员转到其他组织".to_owned()),
                "org_has_children" => Self::Conflict("该组织还有下级组织，不能撤销。请先撤销或移走下级组织".to_owned()),
                "org_move_into_itself" => Self::Conflict("不能把组织移到它自己或它的下级组织之下".to_owned()),
                "org_is_root" => Self::Conflict("最上级的党组织不能撤销或移动".to_owned()),
                "import_done" => Self::Conflict("这份花名册已经导入，不会重复导入".to_owned()),
                "import_expired" => Self::Conflict("预览已过期，请重新上传花名册".to_owned()),
                _ => Self::Internal(StoreError::State(state).into()),
            },
            other => Self::Internal(other.into()),
        }
    }
}

/// The mark [`AppError`] leaves on its response for [`render_errors`].
#[derive(Debug, Clone)]
struct ErrorMark {
    status: StatusCode,
    message: String,
    redirect: Option<&'static str>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(source) = &self {
            // The request's span carries the request id, so this line and the page the user sees share it.
            tracing::error!(error = format!("{source:#}"), "internal error");
        }
        let mark = ErrorMark { status: self.status(), message: self.message().into_owned(), redirect: self.redirect() };
        let mut response = mark.status.into_response();
        response.extensions_mut().insert(mark);
        response
    }
}

/// Marks a response a machine reads (the readiness probe, the metrics scraper): its status and plain body are kept
/// rather than turned into an error page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlainAnswer;

/// Renders every error response as a Chinese page (or, for htmx, a fragment) that shows the request id. Responses
/// that already are HTML, such as a form shown again with its field errors, pass through untouched.
pub(crate) async fn render_errors(request: Request, next: Next) -> Response {
    let htmx = HtmxRequest::from_headers(request.headers());
    let request_id = request.extensions().get::<RequestId>().cloned();
    let mut response = next.run(request).await;
    let mark = match response.extensions_mut().remove::<ErrorMark>() {
        Some(mark) => mark,
        None if response.extensions().get::<PlainAnswer>().is_some() => return response,
        None if response.status().as_u16() >= 400 && !is_html(response.headers()) => {
            let error = AppError::for_status(response.status());
            if let AppError::Internal(source) = &error {
                tracing::error!(error = format!("{source:#}"), "internal error");
            }
            ErrorMark { status: error.status(), message: error.message().into_owned(), redirect: error.redirect() }
        }
        None => return response,
    };
    let allow = response.headers().get(ALLOW).cloned();
    let mut page = error_page(&mark, &htmx, request_id.as_ref());
    if let Some(allow) = allow {
        page.headers_mut().insert(ALLOW, allow);
    }
    page
}

fn is_html(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

fn error_page(mark: &ErrorMark, htmx: &HtmxRequest, request_id: Option<&RequestId>) -> Response {
    if let Some(location) = mark.redirect {
        // A page load follows the redirect; htmx would swap the target page into a fragment, so it is told to load
        // that page itself. A 401 for the login page (htmx acts on HX-Redirect whatever the status).
        let status = if mark.status == StatusCode::UNAUTHORIZED { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
        return if htmx.is_htmx() {
            (status, [("hx-redirect", location)]).into_response()
        } else {
            (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
        };
    }
    let request_id = request_id.map_or("-", RequestId::as_str);
    let view = ErrorView { message: &mark.message, request_id, partial: htmx.wants_partial() };
    let mut response = match pages::render(htmx, &mark.message, None, &view) {
        Ok(response) => response,
        // Only a broken template gets here; the user still gets Chinese and the id.
        Err(_) => {
            Html(format!("<!DOCTYPE html><html lang=\"zh-CN\"><p>{} 请求编号：{request_id}</p></html>", mark.message))
                .into_response()
        }
    };
    *response.status_mut() = mark.status;
    if htmx.wants_partial() {
        // Into the message area above the page, never over the fragment the user was editing.
        let headers = response.headers_mut();
        headers.insert("hx-retarget", HeaderValue::from_static("#flash"));
        headers.insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    }
    response
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
