//! Crash safety, on SQLite and on PostgreSQL: a real `mingjing serve` is killed with SIGKILL in the middle of a burst
//! of material saves and ballot actions (rounds opened, votes cast, rounds closed or voided), several times, and
//! restarted. Every save the client saw acknowledged must be there, word for word, under the version it was
//! acknowledged as; every acknowledged vote's mark is kept, so nobody votes twice; a round is either closed with
//! results that add up to its ballots or holds no results at all (a round the kill interrupted says it must be
//! voted again); SQLite passes its integrity check and PostgreSQL reads back whole; and a submission whose review
//! the kill cut off is reviewed when its secretary opens it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mingjing_storage::testing::TestDb;
use mingjing_storage::{MaterialStatus, NewAccount, NewMember, Role, Standing, Store};
use reqwest::StatusCode;
use sqlx::Connection;

use mingjing_bench::http::{field_ids, links, token, version};

use crate::helpers::{Server, client, login, page, post};
use crate::scaling::{PASSWORD, now_ms, seed};

/// One acknowledged save: who, which version the server said it became, and its text.
#[derive(Debug, Clone)]
struct Acknowledged {
    login: &'static str,
    version: i64,
    body: String,
}

const WRITERS: [&str; 3] = ["zhang", "liu", "shuji"];
/// Members who only vote: the ballot's burst runs beside the writers'.
const VOTERS: [&str; 5] = ["v1", "v2", "v3", "v4", "v5"];
const ROUNDS: u64 = 4;

/// What the ballot's clients saw acknowledged.
#[derive(Debug, Default)]
struct BallotLog {
    /// (round, member) for every vote the page said was cast.
    votes: Vec<(String, String)>,
    /// Rounds whose close was acknowledged.
    closed: Vec<String>,
}

/// The form token of a page, if the page arrived whole.
fn csrf_of(html: &str) -> Option<String> {
    token(html).ok()
}

/// The version the editor page shows (the one the next save must name).
fn version_of(html: &str) -> i64 {
    version(html).and_then(|v| v.parse().ok()).unwrap_or(0)
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
async fn acknowledged_saves_and_votes_survive_sigkill_on_sqlite() {
    crash_and_check(TestDb::sqlite()).await;
}

#[tokio::test]
async fn acknowledged_saves_and_votes_survive_sigkill_on_postgresql() {
    crash_and_check(TestDb::postgres().await).await;
}

async fn crash_and_check(db: TestDb) {
    let store = db.store().await;
    let campaign = seed(&store).await;
    let (org, voters) = add_voters(&store).await;
    store.close().await;
    let log: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let ballots: Arc<Mutex<BallotLog>> = Arc::default();
    for round in 0..ROUNDS {
        let server = Server::start(&db.url);
        let mut tasks: Vec<_> = WRITERS
            .iter()
            .map(|login| {
                tokio::spawn(keep_saving(server.base.clone(), campaign.clone(), login, round, Arc::clone(&log)))
            })
            .collect();
        let ballot = Ballot { base: server.base.clone(), campaign: campaign.clone(), org: org.clone() };
        tasks.push(tokio::spawn(keep_voting(ballot, voters.clone(), Arc::clone(&ballots))));
        // Kill at a different moment each round: early, mid-burst, late.
        tokio::time::sleep(Duration::from_millis(300 + 400 * round)).await;
        drop(server);
        for task in tasks {
            task.await.expect("a client");
        }
    }
    let acknowledged = log.lock().expect("the log").clone();
    assert!(acknowledged.len() >= 10, "the burst wrote something: {}", acknowledged.len());
    let (votes, closed) = {
        let ballots = ballots.lock().expect("the log");
        (ballots.votes.clone(), ballots.closed.clone())
    };
    assert!(!votes.is_empty(), "the ballot's burst voted");
    eprintln!(
        "crash: {} saves, {} votes, {} closed rounds acknowledged",
        acknowledged.len(),
        votes.len(),
        closed.len()
    );

    // The last round submits, and the kill may land between the submission and its review.
    let server = Server::start(&db.url);
    let zhang = client();
    login(&zhang, &server.base, "zhang", PASSWORD).await;
    let html = page(&zhang, &format!("{}/campaigns/{campaign}?mode=text", server.base)).await;
    let (csrf, version) = (csrf_of(&html).expect("a form token"), version_of(&html).to_string());
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
    check_rounds(&store, &campaign, &org, &votes, &closed).await;
    store.close().await;

    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.expect("open the file");
        let check: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.expect("check");
        assert_eq!(check, ["ok"]);
        conn.close().await.expect("close");
    }

    // Whatever the kill cut off, the secretary sees the submission reviewed.
    let server = Server::start(&db.url);
    let secretary = client();
    login(&secretary, &server.base, "shuji", PASSWORD).await;
    let html = page(&secretary, &format!("{}/materials/{}", server.base, zhang_material.id)).await;
    assert!(html.contains("检视方面覆盖"), "reviewed: {html}");

    // A round the kills left open is voted again from scratch and closes with every ballot counted.
    let ballot = Ballot { base: server.base.clone(), campaign: campaign.clone(), org: org.clone() };
    let final_log: Arc<Mutex<BallotLog>> = Arc::default();
    let secretary = client();
    login(&secretary, &server.base, "shuji", PASSWORD).await;
    let round = one_ballot(&ballot, &secretary, &voters, &final_log).await.expect("a whole round after the kills");
    drop(server);
    let store = Store::connect(&db.url).await.expect("reopen");
    let (votes, closed) = {
        let log = final_log.lock().expect("the log");
        (log.votes.clone(), log.closed.clone())
    };
    assert_eq!(closed, std::slice::from_ref(&round));
    assert_eq!(votes.len(), VOTERS.len());
    check_rounds(&store, &campaign, &org, &votes, &closed).await;
    store.close().await;
    db.remove().await;
}

/// The voters' accounts in the seeded branch: the branch's id and (login, member id) of each.
async fn add_voters(store: &Store) -> (String, Vec<(&'static str, String)>) {
    let shuji = store.account_by_login("shuji").await.expect("query").expect("the secretary");
    let hash = mingjing_web::hash_password(PASSWORD).expect("hash");
    let mut voters = Vec::new();
    for login in VOTERS {
        let new = NewMember {
            org_id: &shuji.org_id,
            name: login,
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        let member = store.add_member(&new, 0).await.expect("a voter");
        let account = NewAccount {
            login,
            phone: None,
            display_name: login,
            role: Role::Member,
            org_id: &shuji.org_id,
            member_id: Some(&member.id),
            password_hash: &hash,
            must_change_password: false,
        };
        // Created now: a password from 1970 would be past the policy's 90 days and ask to be changed first.
        store.create_account(&account, now_ms()).await.expect("the voter's account");
        voters.push((login, member.id));
    }
    (shuji.org_id, voters)
}

/// Where the ballot is held.
#[derive(Debug, Clone)]
struct Ballot {
    base: String,
    campaign: String,
    org: String,
}

impl Ballot {
    fn branch(&self) -> String {
        format!("{}/campaigns/{}/orgs/{}/appraisal", self.base, self.campaign, self.org)
    }
}

/// Runs ballot rounds one after another until the server goes away.
async fn keep_voting(ballot: Ballot, voters: Vec<(&'static str, String)>, log: Arc<Mutex<BallotLog>>) {
    let secretary = client();
    if !try_login(&secretary, &ballot.base, "shuji").await {
        return;
    }
    while one_ballot(&ballot, &secretary, &voters, &log).await.is_some() {}
}

/// One round: a round the last kill left open is voided, a new one opened with the voters present and everyone
/// graded, each voter votes on a phone, the round is closed. None when the server went away on the way.
async fn one_ballot(
    ballot: &Ballot,
    secretary: &reqwest::Client,
    voters: &[(&'static str, String)],
    log: &Mutex<BallotLog>,
) -> Option<String> {
    let branch = ballot.branch();
    let page = get_text(secretary, &branch).await?;
    if let Some(stale) = open_round(&page) {
        acted(ballot, secretary, &format!("{branch}/rounds/{stale}/void"), &page, Vec::new()).await?;
    }
    let page = get_text(secretary, &branch).await?;
    let mut fields = vec![("method".to_owned(), "online".to_owned())];
    for id in field_ids(&page, "r_") {
        if voters.iter().any(|(_, member)| *member == id) {
            fields.push((format!("p_{id}"), "on".to_owned()));
        }
        fields.push((format!("r_{id}"), "on".to_owned()));
    }
    acted(ballot, secretary, &format!("{branch}/rounds"), &page, fields).await?;
    let page = get_text(secretary, &branch).await?;
    let round = open_round(&page)?;
    for (login, member) in voters {
        if !vote(ballot, login).await {
            return None;
        }
        log.lock().expect("the log").votes.push((round.clone(), member.clone()));
    }
    let page = get_text(secretary, &branch).await?;
    acted(ballot, secretary, &format!("{branch}/rounds/{round}/close"), &page, Vec::new()).await?;
    log.lock().expect("the log").closed.push(round.clone());
    Some(round)
}

/// Posts the secretary's form from `page` (its token added to `fields`); Some when the server answered with its
/// redirect, the sign that the action was done.
async fn acted(
    ballot: &Ballot,
    secretary: &reqwest::Client,
    url: &str,
    page: &str,
    mut fields: Vec<(String, String)>,
) -> Option<()> {
    fields.push(("csrf".to_owned(), csrf_of(page)?));
    let sent = secretary.post(url).header("origin", &ballot.base).form(&fields).send().await.ok()?;
    (sent.status() == StatusCode::SEE_OTHER).then_some(())
}

/// One voter signs in on a phone and casts a whole ballot; whether the page said it was cast.
async fn vote(ballot: &Ballot, login: &str) -> bool {
    let phone = client();
    if !try_login(&phone, &ballot.base, login).await {
        return false;
    }
    let Some(mine) = get_text(&phone, &format!("{}/campaigns/{}/appraisal/mine", ballot.base, ballot.campaign)).await
    else {
        return false;
    };
    let Some(link) = links(&mine, "/ballots/").into_iter().next() else { return false };
    let url = format!("{}{link}", ballot.base);
    let Some(form) = get_text(&phone, &url).await else { return false };
    let Some(csrf) = csrf_of(&form) else { return false };
    let mut fields = vec![("csrf".to_owned(), csrf)];
    fields.extend(field_ids(&form, "g_").into_iter().map(|id| (format!("g_{id}"), "competent".to_owned())));
    let Ok(sent) = phone.post(&url).header("origin", &ballot.base).form(&fields).send().await else { return false };
    sent.status() == StatusCode::OK && sent.text().await.is_ok_and(|t| t.contains("投票成功"))
}

async fn get_text(client: &reqwest::Client, url: &str) -> Option<String> {
    let response = client.get(url).send().await.ok()?;
    if response.status() != StatusCode::OK {
        return None;
    }
    response.text().await.ok()
}

/// The open round's id on the branch page (from its close or void form).
fn open_round(html: &str) -> Option<String> {
    html.split("/rounds/").skip(1).find_map(|s| {
        let (id, rest) = s.split_once('/')?;
        (rest.starts_with("close") || rest.starts_with("void")).then(|| id.to_owned())
    })
}

/// Every round of the branch against what the clients saw: acknowledged votes kept as marks, acknowledged closes
/// closed with results adding up to their ballots, every other round without a single result row.
async fn check_rounds(store: &Store, campaign: &str, org: &str, votes: &[(String, String)], closed: &[String]) {
    let rounds = store.ballot_rounds(campaign, org).await.expect("rounds");
    assert!(rounds.iter().filter(|r| r.is_open()).count() <= 1, "one open round at most: {rounds:?}");
    for (round, member) in votes {
        let marks = store.round_voters(round).await.expect("voters");
        assert!(marks.iter().any(|v| v.member_id == *member && v.voted), "{member}'s acknowledged vote in {round}");
    }
    for round in &rounds {
        let results = store.ballot_results(&round.id).await.expect("results");
        let cast = votes.iter().filter(|(r, _)| *r == round.id).count() as i64;
        if closed.contains(&round.id) {
            assert!(round.is_closed(), "an acknowledged close: {round:?}");
            assert_eq!(round.ballots, cast, "every acknowledged ballot counted once");
        }
        if round.is_closed() {
            // Closed, whether or not the kill let its answer through: whole results or none.
            assert!(round.ballots >= cast, "{round:?}");
            for (member, line) in &results.counts {
                assert_eq!(line.iter().sum::<i64>(), round.ballots, "{member}'s votes add up in {round:?}");
            }
            assert_eq!(results.choices, round.ballots * results.counts.len() as i64);
        } else {
            assert_eq!(results.choices, 0, "no result rows of an unclosed round: {round:?}");
        }
    }
}

async fn member_of(store: &Store, login: &str) -> String {
    store.account_by_login(login).await.expect("query").and_then(|a| a.member_id).expect("a member account")
}
