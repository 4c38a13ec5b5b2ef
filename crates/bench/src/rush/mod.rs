//! The deadline rush (截止前高峰): a county's members all submitting their materials within a few minutes, their
//! secretaries reviewing as the submissions come in, and one branch's ballot round running at the same time,
//! against a real server on loopback; then every acknowledged write checked in the database. `load-bench
//! rush-seed` makes the county, `load-bench rush` runs it; scripts/rush.sh does both on SQLite and PostgreSQL.

pub mod record;
pub mod run;
pub mod seed;
pub mod text;
pub mod verify;

use std::fmt::Write as _;

use anyhow::{Context, Result};
use mingjing_storage::Store;

pub use run::{Outcome, Plan};
pub use seed::Shape;
pub use verify::Verdict;

/// The load average now (1, 5, 15 minutes), where the machine tells it.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// Seeds the rush county into the (empty) database at `url`, every account with `password`.
pub async fn seed_database(url: &str, shape: Shape, password: &str, now: i64) -> Result<seed::Seeded> {
    let store = Store::connect(url).await.with_context(|| format!("open {url}"))?;
    let hash = mingjing_web::hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let seeded = seed::seed(&store, shape, &hash, now).await;
    store.close().await;
    seeded
}

/// The figures and the check, as printed.
pub fn render(plan: &Plan, outcome: &Outcome, verdict: &Verdict) -> String {
    let mut out = String::new();
    let members = plan.shape.branches * plan.shape.members;
    let a = &outcome.arrivals;
    let _ = writeln!(
        out,
        "rush: {members} members in {} branches, {} secretaries, ballot in branch {:?} ({} codes); wall {:.1} s",
        plan.shape.branches,
        plan.shape.branches,
        plan.ballot_branch,
        plan.slips,
        outcome.wall.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "arrivals: offered {:.1}/s, achieved {:.1}/s, at most {} at once, longest wait for a slot {:.1} s; \
         every member done after {:.1} s",
        a.offered_per_second,
        a.achieved_per_second,
        plan.max_in_flight,
        a.max_wait.as_secs_f64(),
        a.all_done.as_secs_f64()
    );
    out.push('\n');
    out.push_str(&record::table(&outcome.recorder.figures(outcome.wall)));
    out.push('\n');
    let p = &outcome.pool;
    let _ = writeln!(
        out,
        "database pool (from /metrics, {} samples): mean {:.1} and at most {:.0} of {:.0} connections in use",
        p.samples, p.mean_in_use, p.max_in_use, p.size
    );
    for line in &outcome.review_metrics {
        let _ = writeln!(out, "server: {line}");
    }
    let _ = writeln!(
        out,
        "check: {} submissions (with their drafts and reviews), {} decisions, {} ballots acknowledged; \
         {} materials past draft in the database; lost writes: {}",
        verdict.submissions,
        verdict.decisions,
        verdict.ballots,
        verdict.stored_submissions,
        verdict.lost.len()
    );
    for problem in verdict.lost.iter().take(20) {
        let _ = writeln!(out, "  LOST {problem}");
    }
    let errors = outcome.recorder.errors();
    let _ = writeln!(out, "errors: {errors}");
    for reason in outcome.recorder.reasons() {
        let _ = writeln!(out, "  ERROR {reason}");
    }
    out
}

/// Whether the rush passed: no error, nothing lost, every member submitted, the round closed.
pub fn passed(plan: &Plan, outcome: &Outcome, verdict: &Verdict) -> bool {
    let members = plan.shape.branches * plan.shape.members;
    let round_ok = plan.ballot_branch.is_none() || outcome.ballot.as_ref().is_some_and(|b| b.closed);
    outcome.recorder.errors() == 0 && verdict.lost.is_empty() && verdict.submissions == members && round_ok
}
