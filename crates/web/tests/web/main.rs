//! The real server on a free loopback port, spoken to over HTTP.

mod accounts;
mod appraisal;
mod auth;
mod campaigns;
mod documents;
mod editor;
mod helpers;
mod hostile;
mod materials;
mod meeting;
mod observability;
mod opinions;
mod orgs;
mod passwords;
mod rectification;
mod roster;
mod scope;
mod second_factor;
mod security;
mod study;
mod superior;
mod talks;

use helpers::TestServer;
use mingjing_web::Config;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn assert_security_headers(headers: &HeaderMap, path: &str) {
    let csp = headers.get("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
    let csp = csp.to_str().expect("ASCII");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}");
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("referrer-policy", "same-origin"), ("x-frame-options", "DENY")]
    {
        assert_eq!(headers.get(name).map(|v| v.as_bytes()), Some(value.as_bytes()), "{path}: {name}");
    }
    assert!(headers.get("x-request-id").is_some(), "{path}");
}

/// The `href` or `src` in `html` that ends with `/name`.
fn asset_url(html: &str, name: &str) -> String {
    let end = html.find(&format!("/{name}\"")).expect("the asset is linked") + name.len() + 1;
    let start = html[..end].rfind('"').expect("an attribute") + 1;
    html[start..end].to_owned()
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = TestServer::start().await;
    let response = server.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(response.headers(), "/healthz");
    assert_eq!(response.text().await.unwrap(), "ok");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn security_headers_are_on_every_response_including_errors() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/login", "/", "/no-such-page", "/static/0/app.css", "/static/0/nothing.js"] {
        let response = server.get(path).await;
        assert_security_headers(response.headers(), path);
        assert!(response.headers().get("strict-transport-security").is_none(), "no HSTS without TLS");
    }
    let refused =
        server.client.post(server.url("/login")).header("origin", "http://evil.example").send().await.unwrap();
    assert_security_headers(refused.headers(), "POST /login");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn hsts_is_sent_only_behind_tls() {
    let server = TestServer::with_config(Config { behind_tls: true, ..Config::default() }).await;
    let response = server.get("/no-such-page").await;
    assert!(response.headers().get("strict-transport-security").unwrap().to_str().unwrap().contains("max-age="));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_pages_get_a_chinese_404_with_the_request_id() {
    let server = TestServer::start().await;
    let response = server.get("/no-such-page/123?phone=13800000000").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains("页面不存在") && html.contains("<html lang=\"zh-CN\">"), "{html}");
    assert!(html.contains(&id), "request id {id} on the page");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused_in_chinese() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(server.url("/login"))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("account=a&password=b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("页面已过期，请刷新后重试"));

    let no_headers = server.client.post(server.url("/login")).send().await.unwrap();
    assert_eq!(no_headers.status(), StatusCode::FORBIDDEN, "neither Origin nor Referer");

    // From our own page the check lets it through to the handler, which finds no form in the body.
    let own = server.client.post(server.url("/login")).header("origin", server.origin()).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::BAD_REQUEST);
    assert!(own.text().await.unwrap().contains("提交的内容格式不正确"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversized_body_gets_413_in_chinese() {
    let server = TestServer::start().await;
    // By hand, declaring 9 MiB and sending none of it: the limit must answer from the header alone, and a client
    // still writing megabytes would race the early answer.
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    let address = server.address;
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        9 * 1024 * 1024
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("上传的文件太大"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-request-id:"), "{answer}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_login_page_renders_with_its_csrf_field_and_cookie() {
    let server = TestServer::start().await;
    let response = server.get("/login").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("mingjing_csrf=") && cookie.contains("HttpOnly"), "{cookie}");
    let token = cookie["mingjing_csrf=".len()..].split(';').next().unwrap().to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"<input type="hidden" name="csrf" value="{token}">"#)), "{html}");
    assert!(html.contains(r#"<meta name="renderer" content="webkit">"#));
    assert!(html.contains(r#"name="account""#) && html.contains(r#"type="password""#));
    assert!(html.contains("明镜"));

    let again = server.client.get(server.url("/login")).header("cookie", format!("mingjing_csrf={token}")).send().await;
    let again = again.unwrap();
    assert!(again.headers().get("set-cookie").is_none(), "an existing token is kept");
    assert!(again.text().await.unwrap().contains(&token));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn static_files_are_served_with_long_cache_headers() {
    let server = TestServer::start().await;
    let html = server.get("/login").await.text().await.unwrap();
    for (name, kind) in [("app.css", "text/css"), ("htmx.min.js", "text/javascript")] {
        let url = asset_url(&html, name);
        let response = server.get(&url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let headers = response.headers();
        assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with(kind), "{url}");
        let cache = headers.get("cache-control").unwrap().to_str().unwrap();
        assert!(cache.contains("max-age=31536000") && cache.contains("immutable"), "{url}: {cache}");
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    let stale = server.get("/static/0000000000000000/app.css").await;
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(stale.headers().get("cache-control").unwrap(), "no-cache");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn htmx_requests_get_the_partial() {
    let server = TestServer::start().await;
    let response = server.client.get(server.url("/login")).header("hx-request", "true").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("vary").unwrap(), "HX-Request");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<html") && !html.contains("<head"), "{html}");
    assert!(html.contains(r#"name="csrf""#) && html.contains("登录明镜"));

    let error = server.client.get(server.url("/nothing")).header("hx-request", "true").send().await.unwrap();
    assert_eq!(error.status(), StatusCode::NOT_FOUND);
    assert_eq!(error.headers().get("hx-retarget").unwrap(), "#flash");
    assert!(!error.text().await.unwrap().contains("<html"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_home_page_sends_visitors_to_the_login_form() {
    let server = TestServer::start().await;
    let page = server.get("/").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers().get("location").unwrap(), "/login");
    let htmx = server.client.get(server.url("/")).header("hx-request", "true").send().await.unwrap();
    assert_eq!(htmx.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(htmx.headers().get("hx-redirect").unwrap(), "/login");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_stops_the_server_cleanly() {
    let server = TestServer::start().await;
    let address = server.address;
    assert_eq!(server.get("/healthz").await.status(), StatusCode::OK);
    server.stop().await.unwrap();
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "nobody listens any more");
}
