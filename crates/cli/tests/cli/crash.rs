//! Crash safety: a real `mingjing serve` on SQLite is killed with SIGKILL in the middle of a burst of saves and
//! submissions, several times, and restarted. Every save the client saw acknowledged must be there, word for word,
//! under the version it was acknowledged as; the database must pass its integrity check; and a submission whose
//! review the kill cut off is reviewed when its secretary opens it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mingjing_storage::testing::TestDb;
use mingjing_storage::{MaterialStatus, Store};
use reqwest::StatusCode;
use sqlx::Connection;

use crate::helpers::{Server, client, login, page, post, token};
use crate::scaling::{PASSWORD, seed};

/// One acknowledged save: who, which version the server said it became, and its text.
#[derive(Debug, Clone)]
struct Acknowledged {
    login: &'static str,
    version: i64,
    body: String,
}

const WRITERS: [&str; 3] = ["zhang", "liu", "shuji"];
const ROUNDS: u64 = 4;

/// The version the editor page shows (the one the next save must name).
fn version_of(html: &str) -> i64 {
    let key = "name=\"version\" value=\"";
    html.find(key).and_then(|at| html[at + key.len()..].split('"').next()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The form token of a page, if the page arrived whole.
fn csrf_of(html: &str) -> Option<String> {
    let key = "name=\"csrf\" value=\"";
    html.find(key).and_then(|at| html[at + key.len()..].split('"').next()).map(str::to_owned)
}

/// Signs in unless the server is killed first.
async fn try_login(browser: &reqwest::Client, base: &str, login_name: &str) -> bool {
    let Ok(response) = browser.get(format!("{base}/login")).send().await else { return false };
    let Ok(html) = response.text().await else { return false };
    let Some(csrf) = csrf_of(&html) else { return false };
    let fields = [("csrf", csrf.as_str()), ("account", login_name), ("password", PASSWORD)];
    let sent = browser.post(format!("{base}/login")).header("origin", base).form(&fields).send().await;
    matches!(sent, Ok(response) if response.status() == StatusCode::SEE_OTHER)
}

/// Saves drafts one after another until the server goes away, recording each acknowledged one.
async fn keep_saving(
    base: String,
    campaign: String,
    login_name: &'static str,
    round: u64,
    log: Arc<Mutex<Vec<Acknowledged>>>,
) {
    let browser = client();
    // The kill may land while this writer is still signing in; then it has nothing to record.
    if !try_login(&browser, &base, login_name).await {
        return;
    }
    for n in 0.. {
        let Ok(response) = browser.get(format!("{base}/campaigns/{campaign}?mode=text")).send().await else { return };
        let Ok(html) = response.text().await else { return };
        let Some(csrf) = csrf_of(&html) else { return };
        let version = version_of(&html);
        let body =
            format!("对照检查材料\n崩溃测试 {login_name} 第{round}轮 第{n}次保存：{}\n", "查摆问题。".repeat(20));
        let fields = [
            ("csrf", csrf),
            ("version", version.to_string()),
            ("mode", "text".to_owned()),
            ("body", body.clone()),
            ("action", "save".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sent = browser
            .post(format!("{base}/campaigns/{campaign}/material"))
            .header("origin", &base)
            .form(&fields)
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == StatusCode::SEE_OTHER => {
                log.lock().expect("the log").push(Acknowledged { login: login_name, version: version + 1, body });
            }
            _ => return,
        }
    }
}

#[tokio::test]
async fn acknowledged_saves_survive_sigkill_and_the_database_stays_whole() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let campaign = seed(&store).await;
    store.close().await;
    let log: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    for round in 0..ROUNDS {
        let server = Server::start(&db.url);
        let writers: Vec<_> = WRITERS
            .iter()
            .map(|login| {
                tokio::spawn(keep_saving(server.base.clone(), campaign.clone(), login, round, Arc::clone(&log)))
            })
            .collect();
        // Kill at a different moment each round: early, mid-burst, late.
        tokio::time::sleep(Duration::from_millis(150 + 170 * round)).await;
        drop(server);
        for writer in writers {
            writer.await.expect("a writer");
        }
    }
    let acknowledged = log.lock().expect("the log").clone();
    assert!(acknowledged.len() >= 10, "the burst wrote something: {}", acknowledged.len());

    // The last round submits, and the kill may land between the submission and its review.
    let server = Server::start(&db.url);
    let zhang = client();
    login(&zhang, &server.base, "zhang", PASSWORD).await;
    let html = page(&zhang, &format!("{}/campaigns/{campaign}?mode=text", server.base)).await;
    let (csrf, version) = (token(&html), version_of(&html).to_string());
    let body = std::fs::read_to_string(crate::helpers::EXAMPLE).expect("the example");
    let fields =
        [("csrf", csrf.as_str()), ("version", &version), ("mode", "text"), ("action", "submit"), ("body", &body)];
    let submitted = post(&zhang, &server.base, &format!("/campaigns/{campaign}/material"), &fields).await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    drop(server);

    let store = Store::connect(&db.url).await.expect("reopen after the kills");
    for ack in &acknowledged {
        let member = member_of(&store, ack.login).await;
        let material = store.material_of(&campaign, &member).await.expect("query").expect("the material");
        let kept = store.material_version(&material.id, ack.version).await.expect("an acknowledged version is kept");
        assert_eq!(kept.body, ack.body, "{} version {} intact", ack.login, ack.version);
    }
    let zhang_material =
        store.material_of(&campaign, &member_of(&store, "zhang").await).await.expect("query").expect("material");
    assert_eq!(zhang_material.status, MaterialStatus::Submitted);
    store.close().await;

    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.expect("open the file");
    let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.expect("check");
    assert_eq!(check, ["ok"]);
    conn.close().await.expect("close");

    // Whatever the kill cut off, the secretary sees the submission reviewed.
    let server = Server::start(&db.url);
    let secretary = client();
    login(&secretary, &server.base, "shuji", PASSWORD).await;
    let html = page(&secretary, &format!("{}/materials/{}", server.base, zhang_material.id)).await;
    assert!(html.contains("检视方面覆盖"), "reviewed: {html}");
    drop(server);
    db.remove().await;
}

async fn member_of(store: &Store, login: &str) -> String {
    store.account_by_login(login).await.expect("query").and_then(|a| a.member_id).expect("a member account")
}
