//! Hostile input, item by item (issue 7's list): forged posts on every state-changing route, script in the names
//! every page shows, SQL metacharacters, odd upload names, slow clients. The readers' own defences (zip bombs, XML
//! entities, oversized files) are tested next to the readers in mingjing-review and mingjing-roster.

use std::path::Path;
use std::time::Duration;

use mingjing_storage::{NewMember, OrgKind, Standing, new_id};
use mingjing_web::Config;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{App, Browser, START_MS, TestServer, each_backend};

/// Every `.route("…", …post(…))` in the server's sources (tests' own routes excluded), read from the files so that
/// a route added later is swept without anyone remembering to list it.
fn post_routes() -> Vec<String> {
    routes_with("post(")
}

/// Every route in the server's sources whose handlers include `method` (`"get("` or `"post("`).
fn routes_with(method: &str) -> Vec<String> {
    let mut routes = Vec::new();
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("a source folder").map(|e| e.expect("an entry").path()));
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.ends_with(".rs") || name.ends_with("_tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a source file");
        for piece in source.split(".route(\"").skip(1) {
            let Some((path, rest)) = piece.split_once('"') else { continue };
            let call = rest.split(".route(").next().unwrap_or_default();
            let call = call.split(';').next().unwrap_or_default();
            if call.contains(method) {
                routes.push(path.to_owned());
            }
        }
    }
    routes.sort();
    routes.dedup();
    routes
}

/// `route` with its parameters filled from the fixture where one fits, a fresh id elsewhere.
fn filled(route: &str, app: &App) -> String {
    filled_for(route, app, Side::Own)
}

/// Whose ids fill a route's organization and member parameters.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    /// Branch A, where the test's secretary and member belong.
    Own,
    /// Branch B, which they must never reach.
    Other,
}

fn filled_for(route: &str, app: &App, side: Side) -> String {
    let f = &app.fixture;
    let mut out = String::new();
    let mut rest = route;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("a closed parameter");
        let param = &rest[open + 1..close];
        let (branch, member, account) = match side {
            Side::Own => (&f.branch_a, &f.member_a, &f.member_a_account),
            Side::Other => (&f.branch_b, &f.member_b, &f.member_b_account),
        };
        let value = match (param, out.as_str()) {
            ("cid" | "campaign_id", _) => f.campaign.id.clone(),
            ("oid" | "org" | "org_id", _) => branch.id.clone(),
            ("id", prefix) if prefix.starts_with("/campaigns/") && prefix.len() == "/campaigns/".len() => {
                f.campaign.id.clone()
            }
            ("id", "/orgs/") => branch.id.clone(),
            ("id", "/accounts/") => account.id.clone(),
            ("id", "/members/") => member.id.clone(),
            _ => new_id(),
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn no_state_changing_route_accepts_a_forged_post() {
    each_backend(|app| async move {
        let routes = post_routes();
        // The sweep would prove nothing if the reading of the sources broke.
        for known in ["/login", "/campaigns/{id}/material", "/campaigns/{cid}/orgs/{oid}/appraisal/decisions"] {
            assert!(routes.iter().any(|r| r == known), "{known} not found among {routes:?}");
        }
        assert!(routes.len() > 40, "only {} post routes found", routes.len());
        let audited_before: std::collections::HashSet<String> =
            app.store.audit_entries(None, 100_000).await.unwrap().into_iter().map(|e| e.id).collect();
        let superior = app.signed_in("gongwei").await;
        let secretary = app.signed_in("shuji_a").await;
        let member = app.signed_in("wangjianguo").await;
        let anonymous = app.browser();
        for route in &routes {
            let path = filled(route, &app);
            for (who, browser) in [("superior", &superior), ("secretary", &secretary), ("member", &member)] {
                // From another site, with whatever fields: the Origin check refuses it before any handler.
                let forged = browser
                    .client()
                    .post(format!("{}{path}", app.base))
                    .header("origin", "https://evil.example")
                    .form(&[("csrf", "x"), ("name", "x"), ("title", "x")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{who} {path}: a foreign origin must be refused");
                // From our own origin but without the session's token: never a success.
                let tokenless = browser.post(&path, &[("csrf", "forged"), ("name", "x"), ("title", "x")]).await;
                let status = tokenless.status();
                assert!(
                    status.is_client_error(),
                    "{who} {path}: a post with a forged token answered {status}: {}",
                    tokenless.text().await.unwrap_or_default()
                );
            }
            let _ = anonymous.post(&path, &[("csrf", "forged")]).await;
        }
        // Refusals are logged as security events; nothing else may have been recorded.
        let after = app.store.audit_entries(None, 100_000).await.unwrap();
        let changed: Vec<_> = after
            .iter()
            .filter(|e| !audited_before.contains(&e.id))
            .filter(|e| e.outcome == "ok" && !matches!(e.action.as_str(), "login"))
            .map(|e| e.action.clone())
            .collect();
        assert!(changed.is_empty(), "forged posts changed something: {changed:?}");
    })
    .await;
}

#[tokio::test]
async fn another_branchs_ids_in_any_url_are_refused() {
    each_backend(|app| async move {
        let routes: Vec<String> = routes_with("get(")
            .into_iter()
            .filter(|r| {
                ["{oid}", "{org}", "{org_id}", "/orgs/{id}", "/members/{id}", "/accounts/{id}"]
                    .iter()
                    .any(|p| r.contains(p))
            })
            .collect();
        assert!(routes.len() > 10, "only {} routes name an organization or a person: {routes:?}", routes.len());
        let secretary = app.signed_in("shuji_a").await;
        let member = app.signed_in("wangjianguo").await;
        let mut own_reached = Vec::new();
        for route in &routes {
            let own = filled_for(route, &app, Side::Own);
            let other = filled_for(route, &app, Side::Other);
            for (who, browser) in [("secretary of A", &secretary), ("member of A", &member)] {
                let (status, html) = browser.page(&other).await;
                assert!(
                    matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED),
                    "{who} reached branch B's {other}: {status}"
                );
                assert!(!html.contains("李秀英"), "{who} saw a member of branch B on {other}");
            }
            if secretary.page(&own).await.0 == StatusCode::OK {
                own_reached.push(route.clone());
            }
        }
        // The refusals above mean something only if the same pages open with the secretary's own ids.
        assert!(own_reached.len() * 2 > routes.len(), "the secretary reaches only {own_reached:?} of {routes:?}");
    })
    .await;
}

const SCRIPT: &str = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;

/// Pages must show `SCRIPT` as text: the raw tag nowhere, the escaped form where the name appears.
fn assert_escaped(path: &str, html: &str) {
    assert!(!html.contains("<script>alert"), "{path} carries a live script tag");
    assert!(!html.contains("<img src=x"), "{path} carries a live img tag");
}

#[tokio::test]
async fn script_in_names_and_titles_is_shown_as_text_everywhere() {
    each_backend(|app| async move {
        let f = &app.fixture;
        let at = START_MS;
        let branch = app.store.create_org(Some(&f.committee.id), SCRIPT, OrgKind::Branch, at).await.unwrap();
        let new = NewMember {
            org_id: &f.branch_a.id,
            name: SCRIPT,
            standing: Standing::Full,
            joined_on: Some("2010-07-01"),
            post: Some(SCRIPT),
            phone: None,
            leading_cadre: false,
        };
        let member = app.store.add_member(&new, at).await.unwrap();
        let superior = app.signed_in("gongwei").await;
        let secretary = app.signed_in("shuji_a").await;
        let campaign = &f.campaign.id;
        let branch_a = &f.branch_a.id;
        let pages = [
            (&superior, "/orgs".to_owned(), false),
            (&superior, format!("/orgs/{}", branch.id), false),
            (&superior, format!("/orgs/{branch_a}"), false),
            (&superior, format!("/campaigns/{campaign}/overview"), true),
            (&secretary, format!("/members/{}/edit", member.id), true),
            (&secretary, format!("/campaigns/{campaign}/orgs/{branch_a}/talks"), true),
            (&secretary, format!("/campaigns/{campaign}/orgs/{branch_a}/study/new"), true),
            (&secretary, format!("/campaigns/{campaign}/orgs/{branch_a}/meeting"), true),
            (&secretary, format!("/campaigns/{campaign}/orgs/{branch_a}/appraisal"), false),
            (&superior, "/campaigns".to_owned(), false),
        ];
        for (browser, path, shows_name) in pages {
            let (status, html) = browser.page(&path).await;
            assert!(status.is_success(), "{path}: {status}");
            assert_escaped(&path, &html);
            if shows_name {
                // askama writes `<` as `&#60;`; our own SVG and document code as `&lt;`.
                let escaped = ["&lt;script&gt;alert", "&#60;script&#62;alert"];
                assert!(escaped.iter().any(|e| html.contains(e)), "{path} should show the name as text: {html}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn sql_metacharacters_are_data() {
    each_backend(|app| async move {
        let f = &app.fixture;
        let name = "O'Brien\"; DROP TABLE accounts;--";
        let new = NewMember {
            org_id: &f.branch_a.id,
            name,
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        app.store.add_member(&new, START_MS).await.unwrap();
        let admin = app.signed_in("xitong").await;
        // LIKE wildcards in a search are literal: "%" finds nobody, "_" finds nobody, a quote breaks nothing.
        for query in ["%", "_", "'", "\\", "%' OR '1'='1"] {
            let path = format!("/accounts?q={}", form_urlencoded_component(query));
            let (status, html) = admin.page(&path).await;
            assert_eq!(status, StatusCode::OK, "{query}: {html}");
            assert!(!html.contains("王建国"), "{query:?} must not match every account");
        }
        let (status, html) = app.signed_in("shuji_a").await.page(&format!("/orgs/{}", f.branch_a.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("O&#39;Brien&#34;; DROP TABLE accounts;--") || html.contains("O&#x27;Brien"), "{html}");
        assert!(app.store.account_count().await.unwrap() > 0, "the accounts table is still there");
    })
    .await;
}

fn form_urlencoded_component(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn file_part(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned())
}

#[tokio::test]
async fn uploaded_file_names_are_cut_to_a_clean_last_component() {
    each_backend(|app| async move {
        let superior = app.signed_in("gongwei").await;
        let body = "关于加强学习的体会\n一是学习不够深入。".as_bytes().to_vec();
        for (sent, shown) in [
            ("../../../../etc/passwd.txt", "passwd"),
            (r"C:\Documents and Settings\党建\桌面\网上范文甲.txt", "网上范文甲"),
            ("范文\u{202E}txt.exe.txt", "范文txt.exe"),
        ] {
            let token = superior.token("/templates").await;
            let form = reqwest::multipart::Form::new().text("csrf", token).part("file", file_part(sent, body.clone()));
            let response = superior.post_multipart("/templates", form).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{sent}: {}", response.text().await.unwrap());
            let (_, html) = superior.page("/templates").await;
            assert!(html.contains(shown), "{sent} should be listed as {shown}");
        }
        let (_, html) = superior.page("/templates").await;
        assert!(!html.contains("../"), "no path survives");
        assert!(!html.contains('\u{202E}'), "no direction override survives");
        assert!(!html.contains("Documents and Settings"), "no Windows path survives");

        // A name whose extension the readers do not know is refused in Chinese, nothing stored.
        let before = app.store.templates_for(&app.fixture.committee.path).await.unwrap().len();
        let token = superior.token("/templates").await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", token)
            .part("file", file_part("../../bin/sh", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0".to_vec()));
        let response = superior.post_multipart("/templates", form).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.text().await.unwrap().contains("《sh》"), "the refusal names the clean file name");
        assert_eq!(app.store.templates_for(&app.fixture.committee.path).await.unwrap().len(), before);
    })
    .await;
}

/// A server whose request timeout (and so its header timeout) is one second.
async fn impatient_server() -> TestServer {
    let config = Config { request_timeout: Duration::from_secs(1), ..Config::default() };
    TestServer::with_config(config).await
}

/// Reads what the server sends until it closes the connection, failing the test if that takes over five seconds.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept a slow client's connection open");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let server = impatient_server().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream.write_all(format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: ", server.address).as_bytes()).await.unwrap();
    let _ = read_until_closed(&mut stream).await;
    // The server is still there for everyone else.
    assert_eq!(server.get("/healthz").await.status(), StatusCode::OK);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_gets_408_in_chinese() {
    let server = impatient_server().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let address = server.address;
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nConnection: close\r\n\r\naccount="
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("请求超时"), "{answer}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn many_idle_connections_do_not_starve_the_server() {
    let server = impatient_server().await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(server.address).await.unwrap());
    }
    assert_eq!(server.get("/healthz").await.status(), StatusCode::OK, "served beside 300 idle connections");
    // Each idle connection is closed once the header timeout passes.
    let mut last = idle.pop().unwrap();
    let _ = read_until_closed(&mut last).await;
    drop(idle);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_anonymous_browser_posting_everywhere_changes_nothing() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server.origin());
    let response = browser.post("/accounts", &[("csrf", "x"), ("login", "evil"), ("role", "system_admin")]).await;
    assert!(matches!(response.status(), StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN));
    assert_eq!(server.store.account_count().await.unwrap(), 0);
    server.stop().await.unwrap();
}
