//! Readiness and Prometheus metrics: `/readyz` asks the database, `/metrics` shows request counts and latencies by
//! route pattern, review time, pool use and backup age. Labels are route patterns and status classes only, never a
//! raw path, so nothing personal (an id, a name) reaches a scraper.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::PlainAnswer;

/// How long the readiness probe waits for the database before calling it unready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Request latency buckets in seconds: a page view is tens of milliseconds, an upload or an export seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

pub fn routes() -> Router<AppState> {
    Router::new().route("/readyz", get(readyz)).route("/metrics", get(metrics_page))
}

/// The process's one Prometheus recorder, installed on first use (every `record_*` here makes sure of it: a
/// value recorded before the install would vanish). Global so that the backup task of the CLI and
/// every server of a test program record into the same place; installing it twice is never tried.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        // The buckets are constants and non-empty, so this cannot fail; if it did, summaries would do.
        let builder = builder.set_buckets(&LATENCY_BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        handle
    })
}

/// Counts one answered request under its route pattern (`-` when no route matched) and status class.
pub fn record_request(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    handle();
    let route = if route == "-" { "unmatched".to_owned() } else { route.to_owned() };
    let class = format!("{}xx", status.as_u16() / 100);
    let labels = [("method", method.as_str().to_owned()), ("route", route), ("status", class)];
    metrics::counter!("mingjing_http_requests_total", &labels).increment(1);
    metrics::histogram!("mingjing_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

/// Records how long the review engine took on one material.
pub fn record_review(elapsed: Duration) {
    handle();
    metrics::histogram!("mingjing_review_duration_seconds").record(elapsed.as_secs_f64());
}

/// Records a successful backup at `unix_secs`; the backup's age is `time() - this` in a query.
pub fn record_backup_success(unix_secs: f64) {
    handle();
    metrics::gauge!("mingjing_backup_last_success_timestamp_seconds").set(unix_secs);
}

/// 200 "ready" when the database answers within [`READY_TIMEOUT`], else 503: for a load balancer or systemd.
async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => plain(StatusCode::OK, "ready"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            plain(StatusCode::SERVICE_UNAVAILABLE, "数据库不可用 / database unavailable")
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            plain(StatusCode::SERVICE_UNAVAILABLE, "数据库无响应 / database timed out")
        }
    }
}

/// The Prometheus text, for a loopback peer (unless turned off) or a bearer of the configured token.
async fn metrics_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !may_read_metrics(&state, peer, &headers) {
        return plain(StatusCode::FORBIDDEN, "无权读取监控指标 / forbidden");
    }
    let handle = handle();
    let (size, idle) = state.store.pool_stats();
    metrics::gauge!("mingjing_db_pool_connections").set(f64::from(size));
    metrics::gauge!("mingjing_db_pool_idle_connections").set(idle as f64);
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

fn may_read_metrics(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> bool {
    if state.config.metrics_loopback && peer.ip().is_loopback() {
        return true;
    }
    let Some(token) = &state.config.metrics_token else { return false };
    let sent = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    sent.is_some_and(|sent| bool::from(sent.trim().as_bytes().ct_eq(token.expose_secret().as_bytes())))
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    let content_type = [(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))];
    (status, content_type, Extension(PlainAnswer), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_time_and_review_time_reach_the_rendered_text() {
        record_backup_success(1_767_196_800.0);
        record_review(Duration::from_millis(40));
        let text = handle().render();
        assert!(text.contains("mingjing_backup_last_success_timestamp_seconds 1767196800"), "{text}");
        assert!(text.contains("mingjing_review_duration_seconds_bucket"), "{text}");
    }

    #[test]
    fn an_unmatched_path_is_one_label_not_the_path() {
        record_request(&Method::GET, "-", StatusCode::NOT_FOUND, Duration::from_millis(1));
        let text = handle().render();
        assert!(text.contains(r#"route="unmatched""#) && text.contains(r#"status="4xx""#), "{text}");
    }
}
