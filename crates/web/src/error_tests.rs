//! Each error's status, Chinese page and request id, through the whole middleware stack.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use tower::ServiceExt;

use super::*;
use crate::config::Config;
use crate::middleware::apply_layers;

fn app() -> Router {
    let routes = Router::new()
        .route("/not-found", get(|| async { AppError::NotFound }))
        .route("/forbidden", get(|| async { AppError::Forbidden }))
        .route("/unauthorized", get(|| async { AppError::Unauthorized }))
        .route("/expired", get(|| async { AppError::SessionExpired }))
        .route("/change-password", get(|| async { AppError::PasswordChangeRequired }))
        .route("/bad", get(|| async { AppError::BadRequest("日期格式不正确".into()) }))
        .route("/conflict", get(|| async { AppError::Conflict("材料已在另一个窗口中修改".into()) }))
        .route("/too-large", get(|| async { AppError::PayloadTooLarge }))
        .route("/csrf", get(|| async { AppError::Csrf }))
        .route("/internal", get(|| async { AppError::Internal(anyhow::anyhow!("pool timed out: secret detail")) }))
        .route("/panic", get(panics))
        .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(10)).await }))
        .route("/own-html", get(|| async { (StatusCode::UNPROCESSABLE_ENTITY, Html("<form>已保留</form>")) }))
        .route("/post-only", post(|| async { "ok" }));
    let config = Config { request_timeout: Duration::from_millis(50), ..Config::default() };
    apply_layers(routes, &config)
}

async fn panics() -> &'static str {
    panic!("boom")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn get_path(path: &str, htmx: bool) -> Answer {
    let mut request = Request::get(path).header(header::HOST, "localhost");
    if htmx {
        request = request.header("hx-request", "true");
    }
    send(request.body(Body::empty()).unwrap()).await
}

async fn send(request: Request<Body>) -> Answer {
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
}

/// A full Chinese page with `message`, the request id from the header, and the security headers.
fn assert_page(answer: &Answer, status: StatusCode, message: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(answer.body.contains("<html lang=\"zh-CN\">"), "{}", answer.body);
    assert!(answer.body.contains(message), "{message} missing: {}", answer.body);
    let id = answer.headers.get("x-request-id").unwrap().to_str().unwrap();
    assert!(answer.body.contains(id), "request id {id} missing");
    assert!(answer.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
    assert!(answer.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn every_error_maps_to_its_status_and_chinese_page() {
    let cases = [
        ("/not-found", StatusCode::NOT_FOUND, "页面不存在"),
        ("/forbidden", StatusCode::FORBIDDEN, "您没有权限访问这里"),
        ("/bad", StatusCode::BAD_REQUEST, "日期格式不正确"),
        ("/conflict", StatusCode::CONFLICT, "材料已在另一个窗口中修改"),
        ("/too-large", StatusCode::PAYLOAD_TOO_LARGE, "上传的文件太大"),
        ("/csrf", StatusCode::FORBIDDEN, "页面已过期，请刷新后重试"),
        ("/internal", StatusCode::INTERNAL_SERVER_ERROR, "系统出现错误"),
    ];
    for (path, status, message) in cases {
        assert_page(&get_path(path, false).await, status, message);
    }
}

#[tokio::test]
async fn internal_details_stay_in_the_log() {
    let answer = get_path("/internal", false).await;
    assert!(!answer.body.contains("secret detail"));
}

#[tokio::test]
async fn unauthorized_redirects_a_page_and_tells_htmx_to_redirect() {
    let page = get_path("/unauthorized", false).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.headers.get(header::LOCATION).unwrap(), LOGIN_PATH);
    let htmx = get_path("/unauthorized", true).await;
    assert_eq!(htmx.status, StatusCode::UNAUTHORIZED);
    assert_eq!(htmx.headers.get("hx-redirect").unwrap(), LOGIN_PATH);
}

#[tokio::test]
async fn an_expired_session_and_a_due_password_redirect_to_where_they_are_dealt_with() {
    for (path, location, htmx_status) in [
        ("/expired", SESSION_EXPIRED_PATH, StatusCode::UNAUTHORIZED),
        ("/change-password", CHANGE_PASSWORD_PATH, StatusCode::OK),
    ] {
        let page = get_path(path, false).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.headers.get(header::LOCATION).unwrap(), location);
        let htmx = get_path(path, true).await;
        assert_eq!(htmx.status, htmx_status, "{path}");
        assert_eq!(htmx.headers.get("hx-redirect").unwrap(), location);
    }
}

#[tokio::test]
async fn htmx_gets_a_fragment_aimed_at_the_message_area() {
    let answer = get_path("/conflict", true).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(!answer.body.contains("<html"), "{}", answer.body);
    assert!(answer.body.contains("材料已在另一个窗口中修改"));
    let id = answer.headers.get("x-request-id").unwrap().to_str().unwrap();
    assert!(answer.body.contains(id));
    assert_eq!(answer.headers.get("hx-retarget").unwrap(), "#flash");
}

#[tokio::test]
async fn bare_responses_from_axum_and_tower_get_chinese_pages_too() {
    assert_page(&get_path("/no-such-route", false).await, StatusCode::NOT_FOUND, "页面不存在");
    assert_page(&get_path("/slow", false).await, StatusCode::REQUEST_TIMEOUT, "请求超时");
    assert_page(&get_path("/panic", false).await, StatusCode::INTERNAL_SERVER_ERROR, "系统出现错误");
    let wrong_method = get_path("/post-only", false).await;
    assert_page(&wrong_method, StatusCode::METHOD_NOT_ALLOWED, "不支持这种访问方式");
    assert!(wrong_method.headers.get(header::ALLOW).is_some(), "the Allow header survives");
}

#[tokio::test]
async fn a_handlers_own_html_error_passes_through() {
    let answer = get_path("/own-html", false).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body, "<form>已保留</form>");
}

#[tokio::test]
async fn cross_origin_posts_are_refused_before_the_handler() {
    let foreign = Request::post("/post-only")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::empty())
        .unwrap();
    assert_page(&send(foreign).await, StatusCode::FORBIDDEN, "页面已过期");
    let own = Request::post("/post-only")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(own).await.body, "ok");
}
