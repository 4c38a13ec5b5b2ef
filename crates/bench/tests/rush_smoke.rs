//! The deadline rush at a smoke size, on both backends, so its code cannot rot between the long runs of
//! scripts/rush.sh: a county of 4 branches × 20 members seeded through the store, a real server in this process,
//! members submitting, secretaries deciding, a ballot round with phones and codes; no error, nothing lost.

use std::time::Duration;

use mingjing_bench::rush::{self, Plan, Shape};
use mingjing_storage::testing::TestDb;
use mingjing_web::{AppState, Config, router, run};
use tokio::net::TcpListener;

const PASSWORD: &str = "Smoke@2026x";

/// The real clock: the server runs on it, and a password set long ago would be due for rotation.
#[allow(clippy::disallowed_methods)]
fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

async fn smoke(db: TestDb) {
    let shape = Shape { branches: 4, members: 20 };
    let seeded = rush::seed_database(&db.url, shape, PASSWORD, now_ms()).await.expect("seeded");
    assert_eq!(seeded.accounts, 1 + 4 * 21);
    let again = rush::seed_database(&db.url, shape, PASSWORD, now_ms()).await;
    assert!(again.is_err(), "a database with accounts is refused");

    let store = db.store().await;
    let county = rush::seed::find(&store).await.expect("the county");
    assert_eq!(county.shape, shape);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, router(AppState::new(Config::default(), store.clone())), async {
        let _ = stopped.await;
    }));

    let plan = Plan {
        base,
        password: PASSWORD.into(),
        campaign_id: county.campaign_id.clone(),
        shape,
        arrivals_per_second: 40.0,
        max_in_flight: 8,
        ballot_branch: Some(2),
        slips: 3,
        ballot_after: Duration::from_millis(300),
        ballot_spread: Duration::from_millis(500),
        return_one_in: 3,
        secretary_idle: Duration::from_millis(100),
        timeout: Duration::from_secs(120),
    };
    let outcome = rush::run::run(&plan).await.expect("the rush runs");
    let verdict = rush::verify::verify(&store, &county.campaign_id, &outcome).await.expect("checked");
    let printed = rush::render(&plan, &outcome, &verdict);
    eprintln!("{printed}");
    assert!(rush::passed(&plan, &outcome, &verdict), "{printed}");
    assert_eq!(verdict.submissions, 80);
    assert_eq!(verdict.stored_submissions, 80, "every submission, and only those, past draft");
    assert_eq!(verdict.decisions, 80, "every submission decided: {printed}");
    assert!(outcome.decided.iter().any(|d| !d.approve) && outcome.decided.iter().any(|d| d.approve));
    let ballot = outcome.ballot.as_ref().expect("the round ran");
    assert_eq!((ballot.phone_ballots, ballot.code_ballots), (18, 3), "21 members: 18 phones, 3 codes");
    assert_eq!(ballot.expected.len(), 21, "everyone graded");
    for op in ["member: submit (reviewed)", "secretary: approve", "ballot: vote by phone", "ballot: vote by code"] {
        assert!(printed.contains(&format!("| {op} |")), "{op} in {printed}");
    }
    // A ballot counted twice or a draft rewritten would be found: the check is not a formality.
    let mut tampered = outcome;
    tampered.submitted[0].body.push('改');
    if let Some(b) = tampered.ballot.as_mut() {
        b.phone_ballots += 1;
    }
    let found = rush::verify::verify(&store, &county.campaign_id, &tampered).await.expect("checked");
    assert!(found.lost.len() >= 3, "{:?}", found.lost);

    let _ = stop.send(());
    server.await.expect("the server task").expect("the server stops");
    store.close().await;
    db.remove().await;
}

#[tokio::test]
async fn the_rush_at_smoke_size_loses_nothing_on_sqlite() {
    smoke(TestDb::sqlite()).await;
}

#[tokio::test]
async fn the_rush_at_smoke_size_loses_nothing_on_postgresql() {
    smoke(TestDb::postgres().await).await;
}
