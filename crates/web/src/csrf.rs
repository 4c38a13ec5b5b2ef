//! Defences against cross-site request forgery: an Origin (or Referer) check on every request that may change
//! something, and form tokens compared in constant time.
//!
//! Signed-in forms carry the session's [`CsrfToken`] (the session store keeps it); forms shown before a session
//! exists, such as the login form, use a token echoed in a cookie instead ([`pre_session_token`],
//! [`verify_pre_session`]). The anonymous opinion form sets no cookie at all: see [`PUBLIC_FORM_PREFIX`].

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, REFERER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// The form of a button that carries nothing but the page's token (delete, disable…).
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    pub csrf: String,
}

/// The form field every state-changing form carries its token in.
pub const FORM_FIELD: &str = "csrf";
/// The cookie holding the token of forms shown before sign-in.
pub const PRE_SESSION_COOKIE: &str = "mingjing_csrf";
const TOKEN_BYTES: usize = 32;

/// A secret per session (or per pre-session cookie) that forms echo back. 64 hex characters.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// A fresh token from the operating system's randomness.
    pub fn generate() -> Result<Self, AppError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a token: {e}")))?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// A token as the session store kept it; `None` unless it has the shape [`CsrfToken::generate`] gives.
    pub fn from_stored(token: &str) -> Option<Self> {
        let well_formed = token.len() == TOKEN_BYTES * 2 && token.bytes().all(|b| b.is_ascii_hexdigit());
        well_formed.then(|| Self(token.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the token a form submitted against this one.
    pub fn verify(&self, submitted: &str) -> Result<(), AppError> {
        verify_token(&self.0, submitted)
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken(***)")
    }
}

/// Compares in constant time so the response time tells an attacker nothing about how much of a guess was right.
pub fn verify_token(expected: &str, submitted: &str) -> Result<(), AppError> {
    let equal: bool = expected.as_bytes().ct_eq(submitted.as_bytes()).into();
    if equal && !expected.is_empty() { Ok(()) } else { Err(AppError::Csrf) }
}

/// The token for a form shown before sign-in, and the cookie to set when the browser did not already hold one.
#[derive(Debug)]
pub struct PreSessionCsrf {
    pub token: CsrfToken,
    /// `Set-Cookie` value to send with the page; `None` when the browser's cookie is reused, so that two open
    /// login tabs do not invalidate each other.
    pub set_cookie: Option<HeaderValue>,
}

/// Reuses the token in the request's cookie, or makes a new one. `secure` adds the cookie's `Secure` flag (set it
/// when behind TLS).
pub fn pre_session_token(headers: &HeaderMap, secure: bool) -> Result<PreSessionCsrf, AppError> {
    if let Some(token) = cookie(headers, PRE_SESSION_COOKIE).and_then(CsrfToken::from_stored) {
        return Ok(PreSessionCsrf { token, set_cookie: None });
    }
    let token = CsrfToken::generate()?;
    let secure = if secure { "; Secure" } else { "" };
    let value = format!("{PRE_SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=86400{secure}", token.0);
    let set_cookie = HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.into()))?;
    Ok(PreSessionCsrf { token, set_cookie: Some(set_cookie) })
}

impl PreSessionCsrf {
    /// Adds the cookie, if a new one was made, to the page's response.
    pub fn attach(&self, mut response: Response) -> Response {
        if let Some(value) = &self.set_cookie {
            response.headers_mut().append(SET_COOKIE, value.clone());
        }
        response
    }
}

/// Checks a pre-session form's submitted token against the browser's cookie.
pub fn verify_pre_session(headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    let expected = cookie(headers, PRE_SESSION_COOKIE).ok_or(AppError::Csrf)?;
    verify_token(expected, submitted)
}

pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// Refuses every request other than GET and HEAD whose Origin (or, without one, Referer) is neither the host it was
/// sent to nor in `allowed`. A request with neither header is refused too: browsers send at least one on every form
/// post from our pages (the Referrer-Policy keeps same-origin referers), so only forged or non-browser requests
/// lack both.
pub(crate) async fn check_origin(State(allowed): State<Arc<[String]>>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if is_same_origin(request.headers(), host, &allowed) || is_headerless_public_form(&request) {
        next.run(request).await
    } else {
        tracing::warn!("cross-origin request refused");
        AppError::Csrf.into_response()
    }
}

/// The public opinion form (/o/{token}) is posted by people without an account, some of
/// whose browsers or privacy settings send neither Origin nor Referer; a post there without
/// both is let through, since there is no session to ride on and the form's own guard is the
/// unguessable token in its path. A post naming a foreign origin is still refused.
pub const PUBLIC_FORM_PREFIX: &str = "/o/";

fn is_headerless_public_form(request: &Request) -> bool {
    let headers = request.headers();
    request.uri().path().starts_with(PUBLIC_FORM_PREFIX)
        && headers.get(ORIGIN).is_none()
        && headers.get(REFERER).is_none()
}

/// Whether the request comes from a page of `host` or of an allowed origin (lower case, no trailing slash).
pub fn is_same_origin(headers: &HeaderMap, host: Option<&str>, allowed: &[String]) -> bool {
    let source = match (headers.get(ORIGIN), headers.get(REFERER)) {
        (Some(origin), _) => origin.to_str().ok().map(str::to_owned),
        (None, Some(referer)) => referer.to_str().ok().and_then(origin_of),
        (None, None) => None,
    };
    let Some(source) = source.map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase()) else { return false };
    if allowed.contains(&source) {
        return true;
    }
    // Compared without the scheme: behind a TLS proxy the server sees plain HTTP while the page's origin is https.
    let authority = source.strip_prefix("https://").or_else(|| source.strip_prefix("http://"));
    match (authority, host) {
        (Some(authority), Some(host)) => !authority.is_empty() && authority.eq_ignore_ascii_case(host.trim()),
        _ => false,
    }
}

/// `scheme://host[:port]` of a URL, or `None` for anything else (a browser's `null`, a relative reference).
fn origin_of(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(url[..scheme_end + end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_host_origin_passes_and_a_foreign_one_does_not() {
        let host = Some("127.0.0.1:8080");
        assert!(is_same_origin(&headers(&[("origin", "http://127.0.0.1:8080")]), host, &[]));
        assert!(is_same_origin(&headers(&[("origin", "https://127.0.0.1:8080")]), host, &[]));
        assert!(!is_same_origin(&headers(&[("origin", "http://evil.example")]), host, &[]));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), host, &[]));
        assert!(!is_same_origin(&headers(&[("origin", "http://127.0.0.1:8081")]), host, &[]));
    }

    #[test]
    fn referer_counts_only_without_origin() {
        let host = Some("dj.example.cn");
        assert!(is_same_origin(&headers(&[("referer", "https://dj.example.cn/login?x=1")]), host, &[]));
        assert!(!is_same_origin(&headers(&[("referer", "https://dj.example.cn.evil.example/")]), host, &[]));
        let both = headers(&[("origin", "https://evil.example"), ("referer", "https://dj.example.cn/")]);
        assert!(!is_same_origin(&both, host, &[]));
        assert!(!is_same_origin(&headers(&[]), host, &[]), "neither header: refused");
    }

    #[test]
    fn allowed_origins_pass_even_when_the_host_differs() {
        let allowed = vec!["https://dj.example.cn".to_owned()];
        let h = headers(&[("origin", "https://DJ.example.cn")]);
        assert!(is_same_origin(&h, Some("10.0.0.5:8080"), &allowed));
        assert!(!is_same_origin(&h, Some("10.0.0.5:8080"), &[]));
    }

    #[test]
    fn tokens_verify_only_when_equal() {
        let token = CsrfToken::generate().unwrap();
        assert_eq!(token.as_str().len(), 64);
        assert!(token.verify(token.as_str()).is_ok());
        assert!(matches!(token.verify(""), Err(AppError::Csrf)));
        let mut wrong = token.as_str().to_owned();
        wrong.replace_range(63.., if wrong.ends_with('0') { "1" } else { "0" });
        assert!(token.verify(&wrong).is_err());
        assert!(verify_token("", "").is_err(), "an empty expected token never matches");
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn pre_session_token_reuses_a_good_cookie_and_replaces_a_bad_one() {
        let fresh = pre_session_token(&HeaderMap::new(), true).unwrap();
        let set = fresh.set_cookie.as_ref().unwrap().to_str().unwrap().to_owned();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure"));
        let cookie = format!("other=1; {PRE_SESSION_COOKIE}={}", fresh.token.as_str());
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
        let again = pre_session_token(&h, true).unwrap();
        assert_eq!(again.token, fresh.token);
        assert!(again.set_cookie.is_none());
        assert!(verify_pre_session(&h, fresh.token.as_str()).is_ok());
        assert!(verify_pre_session(&h, "forged").is_err());
        assert!(verify_pre_session(&HeaderMap::new(), fresh.token.as_str()).is_err());
        let bad = headers(&[("cookie", "mingjing_csrf=short")]);
        assert!(pre_session_token(&bad, false).unwrap().set_cookie.is_some());
    }
}
