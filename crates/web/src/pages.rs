//! Pages: the full/partial convention, the layout, and the templates shared by several modules.
//!
//! Each page is one askama template holding only its own content: the partial. The full page is that partial
//! rendered into `base.html`. A request from htmx gets the partial; a page load, a boosted link or a history
//! restore gets the full page. One template per page, so the two can never drift apart.

use std::convert::Infallible;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::header::VARY;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

use crate::assets;
use crate::csrf::CsrfToken;
use crate::error::AppError;

/// What htmx said about the request, from its `HX-*` headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmxRequest {
    htmx: bool,
    wants_full: bool,
}

impl HtmxRequest {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let is_true = |name: &str| headers.get(name).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        // Boosted links and history restores replace the whole body, so they need the full page.
        Self { htmx: is_true("hx-request"), wants_full: is_true("hx-boosted") || is_true("hx-history-restore-request") }
    }

    /// Sent by htmx at all.
    pub fn is_htmx(&self) -> bool {
        self.htmx
    }

    /// Answered with the partial rather than the full page.
    pub fn wants_partial(&self) -> bool {
        self.htmx && !self.wants_full
    }
}

impl<S: Send + Sync> FromRequestParts<S> for HtmxRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// The signed-in user as the page header shows them.
#[derive(Debug, Clone)]
pub struct UserView {
    pub display_name: String,
    /// The session's token, for the logout form in the header.
    pub csrf: CsrfToken,
}

#[derive(Template)]
#[template(path = "base.html")]
struct Layout<'a> {
    title: &'a str,
    user: Option<&'a UserView>,
    css_url: &'a str,
    js_url: &'a str,
    content: &'a str,
}

/// Renders `page` as a partial for htmx and inside `base.html` otherwise; `title` goes into `<title>`.
pub fn render<T: Template>(
    htmx: &HtmxRequest,
    title: &str,
    user: Option<&UserView>,
    page: &T,
) -> Result<Response, AppError> {
    let content = page.render().map_err(|e| AppError::Internal(e.into()))?;
    let body = if htmx.wants_partial() {
        content
    } else {
        let css_url = assets::url("app.css").unwrap_or_default();
        let js_url = assets::url("htmx.min.js").unwrap_or_default();
        let layout = Layout { title, user, css_url: &css_url, js_url: &js_url, content: &content };
        layout.render().map_err(|e| AppError::Internal(e.into()))?
    };
    // Caches must not hand a partial to a page load or the reverse.
    Ok(([(VARY, HeaderValue::from_static("HX-Request"))], Html(body)).into_response())
}

/// An error page's content; for htmx, a message box that goes into the `#flash` area.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorView<'a> {
    pub message: &'a str,
    pub request_id: &'a str,
    pub partial: bool,
}

/// The sign-in form. `account` is what the user typed before a failed attempt, so they need not type it again;
/// `notice` says why they are here (a session that timed out).
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub csrf: &'a CsrfToken,
    pub account: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

/// The change-password form; `notice` says why the password must be replaced before anything else, when it must.
#[derive(Debug, Template)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage<'a> {
    pub csrf: &'a CsrfToken,
    pub notice: Option<&'a str>,
    /// The password rules in one sentence, from whoever enforces them.
    pub policy_hint: &'a str,
    pub error: Option<&'a str>,
}

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn not_found() -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserView {
        UserView { display_name: "张<三>".into(), csrf: CsrfToken::from_stored(&"ab".repeat(32)).unwrap() }
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn full_page_has_the_layout_and_escapes_the_user_name() {
        let page = ErrorView { message: "页面不存在", request_id: "-", partial: false };
        let html = body(render(&HtmxRequest::default(), "首页", Some(&user()), &page).unwrap()).await;
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<html lang="zh-CN">"#));
        assert!(html.contains(r#"<meta name="renderer" content="webkit">"#));
        assert!(html.contains(r#"content="IE=edge""#));
        assert!(html.contains("张&#60;三&#62;") || html.contains("张&lt;三&gt;"), "{html}");
        assert!(!html.contains("张<三>"));
        assert!(html.contains("退出") && html.contains(&"ab".repeat(32)), "logout form with the token");
        assert!(!html.contains("<style") && !html.contains(" style="), "no inline style");
        assert!(!html.contains("<script>"), "no inline script");
    }

    #[tokio::test]
    async fn htmx_gets_the_partial_but_boosts_and_history_restores_get_the_full_page() {
        let mut headers = HeaderMap::new();
        headers.insert("hx-request", HeaderValue::from_static("true"));
        let partial = body(
            render(
                &HtmxRequest::from_headers(&headers),
                "首页",
                None,
                &ErrorView { message: "李四", request_id: "-", partial: true },
            )
            .unwrap(),
        )
        .await;
        assert!(!partial.contains("<html") && partial.contains("李四"));
        for extra in ["hx-boosted", "hx-history-restore-request"] {
            let mut h = headers.clone();
            h.insert(extra, HeaderValue::from_static("true"));
            assert!(!HtmxRequest::from_headers(&h).wants_partial(), "{extra}");
        }
    }

    #[test]
    fn forms_carry_the_token_and_need_no_script() {
        let token = CsrfToken::from_stored(&"0f".repeat(32)).unwrap();
        let login =
            LoginPage { csrf: &token, account: "13800000000", error: Some("账号或密码不正确"), notice: None }
                .render()
                .unwrap();
        assert!(
            login.contains(&format!(r#"name="csrf" value="{}""#, "0f".repeat(32)))
                && login.contains("账号或密码不正确")
        );
        assert!(login.contains(r#"method="post""#) && login.contains(r#"value="13800000000""#));
        let change =
            ChangePasswordPage {
                csrf: &token, notice: Some("请先设置新密码"), policy_hint: "至少 10 位", error: None
            }
            .render()
            .unwrap();
        assert!(
            change.contains(&format!(r#"name="csrf" value="{}""#, "0f".repeat(32)))
                && change.contains(r#"type="password""#)
                && change.contains("请先设置新密码")
        );
        for html in [login, change] {
            assert!(!html.contains("<script") && !html.contains("onclick") && !html.contains("onsubmit"));
        }
    }
}

/// The links between the pages of a long list, each keeping the list's filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pages {
    pub current: i64,
    pub last: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pages {
    /// For page `current` of `total` rows shown `per_page` at a time; `filters` go into every link's query.
    pub fn new(current: i64, total: i64, per_page: i64, filters: &[(&str, &str)]) -> Self {
        let last = ((total + per_page - 1) / per_page.max(1)).max(1);
        let link = |page: i64| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in filters.iter().filter(|(_, v)| !v.is_empty()) {
                query.append_pair(name, value);
            }
            query.append_pair("page", &page.to_string());
            format!("?{}", query.finish())
        };
        Self {
            current,
            last,
            previous: (current > 1).then(|| link((current - 1).min(last))),
            next: (current < last).then(|| link(current + 1)),
        }
    }

    /// Whether there is more than one page at all.
    pub fn several(&self) -> bool {
        self.last > 1
    }
}

#[cfg(test)]
mod pages_tests {
    use super::Pages;

    #[test]
    fn links_keep_the_filters_and_stop_at_the_ends() {
        let pages = Pages::new(2, 120, 50, &[("q", "王 建"), ("role", "")]);
        assert_eq!((pages.current, pages.last), (2, 3));
        assert_eq!(pages.previous.as_deref(), Some("?q=%E7%8E%8B+%E5%BB%BA&page=1"));
        assert_eq!(pages.next.as_deref(), Some("?q=%E7%8E%8B+%E5%BB%BA&page=3"));
        let only = Pages::new(1, 0, 50, &[]);
        assert!(!only.several() && only.previous.is_none() && only.next.is_none());
        let beyond = Pages::new(9, 120, 50, &[]);
        assert_eq!(beyond.previous.as_deref(), Some("?page=3"), "past the end leads back to the last page");
    }
}
