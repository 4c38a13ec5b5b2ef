//! `/readyz`, `/metrics` and who may read it, and logs that never hold a password.

use mingjing_storage::testing::TestDb;
use mingjing_web::{Config, MetricsToken};
use reqwest::StatusCode;

use crate::helpers::{App, PASSWORD, TestServer, each_backend, form_token, location};

/// A fresh server on each backend.
async fn servers(config: impl Fn() -> Config) -> Vec<TestServer> {
    vec![TestServer::on(TestDb::sqlite(), config()).await, TestServer::on(TestDb::postgres().await, config()).await]
}

#[tokio::test]
async fn readyz_answers_while_the_database_does_and_503_once_it_is_gone() {
    for server in servers(Config::default).await {
        let ready = server.get("/readyz").await;
        assert_eq!(ready.status(), StatusCode::OK);
        assert_eq!(ready.text().await.unwrap(), "ready");
        assert_eq!(server.get("/healthz").await.status(), StatusCode::OK);

        server.state.store.close().await;
        let gone = server.get("/readyz").await;
        assert_eq!(gone.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(gone.text().await.unwrap().contains("数据库"), "a plain Chinese reason");
        assert_eq!(server.get("/healthz").await.status(), StatusCode::OK, "the process itself still lives");
        server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_never_show_a_raw_id() {
    for server in servers(Config::default).await {
        let raw_id = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000";
        server.get(&format!("/materials/{raw_id}")).await;
        server.get("/readyz").await;
        let response = server.get("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK, "loopback peers may read it by default");
        let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = response.text().await.unwrap();
        assert!(text.contains("mingjing_http_requests_total{"), "{text}");
        assert!(text.contains(r#"route="/materials/{id}""#), "{text}");
        assert!(text.contains(r#"route="/readyz""#) && text.contains(r#"status="2xx""#), "{text}");
        assert!(text.contains("mingjing_http_request_duration_seconds_bucket"), "latency histograms: {text}");
        assert!(text.contains("mingjing_db_pool_connections") && text.contains("mingjing_db_pool_idle_connections"));
        assert!(!text.contains(raw_id), "no raw path reaches a scraper");
        server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn without_loopback_only_the_configured_token_reads_metrics() {
    let with_token = || Config {
        metrics_token: Some(MetricsToken::new("scrape-Obs-4417")),
        metrics_loopback: false,
        ..Config::default()
    };
    let server = TestServer::with_config(with_token()).await;
    let url = server.url("/metrics");
    let bare = server.client.get(&url).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert!(bare.text().await.unwrap().contains("无权"), "a plain Chinese refusal");
    for header in ["Bearer wrong-token", "Bearer scrape-Obs-441", "Basic scrape-Obs-4417", "Bearer "] {
        let refused = server.client.get(&url).header("authorization", header).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{header}");
    }
    let allowed = server.client.get(&url).bearer_auth("scrape-Obs-4417").send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert!(allowed.text().await.unwrap().contains("mingjing_http_requests_total"));
    server.stop().await.unwrap();

    // Loopback turned off and no token: nobody reads it.
    let closed = TestServer::with_config(Config { metrics_loopback: false, ..Config::default() }).await;
    assert_eq!(closed.get("/metrics").await.status(), StatusCode::FORBIDDEN);
    let guessed = closed.client.get(closed.url("/metrics")).bearer_auth("").send().await.unwrap();
    assert_eq!(guessed.status(), StatusCode::FORBIDDEN);
    closed.stop().await.unwrap();
}

#[tokio::test]
async fn no_password_reaches_the_logs() {
    const WRONG: &str = "Wrong@Obs-7731x";
    const NEW: &str = "Neu@Obs-2026xq";
    let captured = crate::helpers::captured_logs();
    each_backend(|app: App| async move {
        let failed = app.browser().login("lixiuying", WRONG).await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED, "the login page again, with a message");
        let browser = app.browser();
        let login = browser.login("xinren", PASSWORD).await;
        assert_eq!((login.status(), location(&login)), (StatusCode::SEE_OTHER, "/password"));
        let (_, html) = browser.page("/password").await;
        let token = form_token(&html).unwrap();
        let fields = [("csrf", token.as_str()), ("current", PASSWORD), ("new", NEW), ("confirm", NEW)];
        let changed = browser.post("/password", &fields).await;
        assert_eq!((changed.status(), location(&changed)), (StatusCode::SEE_OTHER, "/"));
        let again = app.browser().login("xinren", NEW).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER, "the new password works");
    })
    .await;
    let logs = String::from_utf8_lossy(&captured.lock().unwrap()).into_owned();
    assert!(logs.contains("answered"), "the capture sees the server's request lines");
    for password in [PASSWORD, WRONG, NEW] {
        assert!(!logs.contains(password), "a password in the logs: {password}");
    }
}

#[tokio::test]
async fn no_matters_report_content_reaches_the_logs_or_the_audit_trail() {
    const SECRET: &str = "配偶在某公司任职标记七三一";
    let captured = crate::helpers::captured_logs();
    each_backend(|app: App| async move {
        let definition =
            toml::to_string(&mingjing_review::Campaign::builtin("2021-county").expect("built in")).expect("toml");
        let new = mingjing_storage::NewCampaign {
            org_id: &app.fixture.county.id,
            year: 2021,
            title: "2021年度组织生活会",
            notice: "",
            definition: &definition,
        };
        let id = app.store.create_campaign(&new, crate::helpers::START_MS).await.expect("campaign").id;
        app.store.set_leading_cadre(&app.fixture.member_a.id, true).await.expect("flag");
        let member = app.signed_in("wangjianguo").await;
        let (_, html) = member.page(&format!("/campaigns/{id}/matters")).await;
        let token = form_token(&html).expect("token");
        let fields =
            [("csrf", token.as_str()), ("version", "0"), ("family_jobs_yes", "1"), ("family_jobs_text", SECRET)];
        let saved = member.post(&format!("/campaigns/{id}/matters"), &fields).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{}", saved.text().await.unwrap_or_default());
        let stored = app.store.matters_report(&id, &app.fixture.member_a.id).await.expect("q").expect("saved");
        assert!(stored.answers.contains(SECRET), "the answer itself is kept");
        let audit = app.store.audit_entries(None, 1000).await.expect("audit");
        assert!(
            audit.iter().all(|e| !e.detail.contains("标记七三一")),
            "the audit trail names the act, not the content"
        );
    })
    .await;
    let logs = String::from_utf8_lossy(&captured.lock().unwrap()).into_owned();
    assert!(!logs.contains("标记七三一") && !logs.contains("%E6%A0%87%E8%AE%B0"), "matters content in the logs");
}
