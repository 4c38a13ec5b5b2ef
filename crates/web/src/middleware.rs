//! The layers every request passes through: request id and log span, security headers, error pages, panic catching,
//! the Origin check, the timeout, the body limit and compression.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state, map_response_with_state};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::config::Config;
use crate::csrf;
use crate::error::{AppError, render_errors};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// No inline script or style anywhere, so the policy needs no nonce and no `unsafe-inline`.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// A short id for one request, shown on error pages and in every log line of the request, so a user can read it to
/// an administrator who then finds the log. Ten characters of Crockford base32: no I, L, O or U to misread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    fn generate() -> Self {
        const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
        let mut bytes = [0u8; 8];
        // The id only has to be unlikely to repeat, not secret: if the OS has no randomness, a counter still
        // tells requests apart.
        let n = match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => {
                static COUNTER: AtomicU64 = AtomicU64::new(0);
                COUNTER.fetch_add(1, Ordering::Relaxed)
            }
        };
        let id: String = (0..10).map(|i| char::from(ALPHABET[((n >> (i * 5)) & 31) as usize])).collect();
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Wraps `routes` in the stack. Routes added to the returned router afterwards get none of it, so add every route
/// (and the fallback) first.
pub fn apply_layers(routes: Router, config: &Config) -> Router {
    // Innermost, so that compressed bodies are what the limits and timeouts see leaving; error pages rendered
    // further out are small and stay uncompressed.
    let routes = if config.compression { routes.layer(CompressionLayer::new()) } else { routes };
    let allowed_origins: Arc<[String]> = config.allowed_origins.clone().into();
    // Listed innermost first: each layer wraps the ones above it.
    routes
        // One limit for every body, enforced by tower-http before any byte is read; axum's own lower default
        // for extractors would otherwise cut uploads at 2 MiB.
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(from_fn_with_state(allowed_origins, csrf::check_origin))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(render_errors))
        .layer(map_response_with_state(config.behind_tls, security_headers))
        .layer(from_fn(request_context))
}

/// Gives the request its id and a span, and logs one line when it is answered. Only the method and the route
/// pattern are logged: paths, query strings and bodies may hold names, phone numbers or passwords.
async fn request_context(mut request: Request, next: Next) -> Response {
    let id = RequestId::generate();
    request.extensions_mut().insert(id.clone());
    let route = request.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str).to_owned();
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), route);
    let method = request.method().clone();
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    crate::observability::record_request(&method, &route, response.status(), started.elapsed());
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(parent: &span, status = response.status().as_u16(), latency_ms, "answered");
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

async fn security_headers(State(behind_tls): State<bool>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Only when a TLS proxy is in front: HSTS over plain HTTP is ignored at best, and on a LAN address served
    // without TLS it would lock users out if a browser kept it.
    if behind_tls {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    AppError::Internal(anyhow::anyhow!("handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_readable_and_differ() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_eq!(a.as_str().len(), 10);
        assert!(a.as_str().chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert!(!a.as_str().contains(['i', 'l', 'o', 'u']));
        assert_ne!(a, b);
    }
}
