//! A bounded load test against a running `mingjing serve --demo`: signed-in secretaries
//! reading material pages at a fixed number of connections, then members submitting
//! materials (each reviewed by the engine against the campaign) while their secretaries
//! return them for the next round. Prints throughput, error counts and latency
//! percentiles; exits non-zero on any error or lost write.
//!
//! `load-bench rush-seed` and `load-bench rush` are the deadline rush (crates/bench/src/rush).

// The figures on stdout are the program's whole output.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use mingjing_bench::http::{Session, links, token, version};
use mingjing_bench::rush;
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
#[command(
    name = "load-bench",
    about = "Load test of page views and submissions against a demo county; `rush-seed` and `rush` for the deadline rush",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    load: Args,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Seeds the rush county into an empty database (then start `mingjing serve --db URL` on it).
    RushSeed(SeedArgs),
    /// Runs the deadline rush against a server on a seeded database, then checks every acknowledged write.
    Rush(RushArgs),
}

/// The rush accounts' shared password.
const RUSH_PASSWORD: &str = "Rush@2026x";

#[derive(Debug, clap::Args)]
struct SeedArgs {
    /// The database, sqlite://FILE or postgres://…; it must hold no accounts yet.
    #[arg(long)]
    db: String,
    #[arg(long, default_value_t = 20)]
    branches: usize,
    /// Members per branch, besides its secretary.
    #[arg(long, default_value_t = 100)]
    members: usize,
    #[arg(long, default_value = RUSH_PASSWORD)]
    password: String,
}

#[derive(Debug, clap::Args)]
struct RushArgs {
    /// The server, started with `mingjing serve --db URL` on the seeded database.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The same database, read for the county's shape and, afterwards, for the check.
    #[arg(long)]
    db: String,
    #[arg(long, default_value = RUSH_PASSWORD)]
    password: String,
    /// Members arriving per second.
    #[arg(long, default_value_t = 12.0)]
    arrivals_per_second: f64,
    /// Members at work at once at most.
    #[arg(long, default_value_t = 32)]
    max_in_flight: usize,
    /// The branch holding a ballot round (0: none).
    #[arg(long, default_value_t = 1)]
    ballot_branch: usize,
    /// Its members voting with printed codes rather than their phones.
    #[arg(long, default_value_t = 10)]
    slips: usize,
    /// Seconds after the first arrival when the round opens.
    #[arg(long, default_value_t = 30.0)]
    ballot_after: f64,
    /// Seconds over which the branch's members start voting.
    #[arg(long, default_value_t = 30.0)]
    ballot_spread: f64,
    /// Secretaries return one material in this many.
    #[arg(long, default_value_t = 5)]
    return_one_in: u64,
    /// Seconds before the run gives up.
    #[arg(long, default_value_t = 1200)]
    timeout: u64,
}

#[derive(Debug, clap::Args)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080 (started with `mingjing serve --demo`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// Concurrent connections reading material pages.
    #[arg(long, default_value_t = 64)]
    view_connections: usize,
    /// How long to read pages, in seconds.
    #[arg(long, default_value_t = 20)]
    view_seconds: u64,
    /// Concurrent members submitting.
    #[arg(long, default_value_t = 16)]
    submitters: usize,
    /// Submissions each submitter makes (returned by the secretary in between).
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// The demo password.
    #[arg(long, default_value = "Demo@2026")]
    password: String,
}

/// Latency percentiles of a sample, in milliseconds.
fn report(name: &str, mut samples: Vec<Duration>, wall: Duration, errors: usize) {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len().max(1)) - 1;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{name}: {} requests in {:.1} s = {:.0}/s; errors {errors}; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}",
        samples.len(),
        wall.as_secs_f64(),
        samples.len() as f64 / wall.as_secs_f64().max(1e-9),
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0),
    );
}

/// The current campaign (the demo's 2025 one) as its home-page link.
async fn current_campaign(admin: &Session) -> Result<String> {
    let home = admin.page("/").await?;
    for link in links(&home, "/campaigns/") {
        let id = link.trim_start_matches("/campaigns/");
        if id.contains(['/', '?']) || id == "new" {
            continue;
        }
        if admin.page(&link).await?.contains("2025年度") {
            return Ok(link);
        }
    }
    bail!("no 2025 campaign on the admin's home page")
}

async fn views(args: &Args, campaign: &str) -> Result<()> {
    let mut sessions = Vec::new();
    for n in 0..args.view_connections {
        let login = format!("secretary{:02}", n % 15 + 1);
        let session = Session::login(&args.base, &login, &args.password).await?;
        let list = session.page(campaign).await?;
        let materials = links(&list, "/materials/");
        if materials.is_empty() {
            bail!("{login} sees no materials on {campaign}");
        }
        sessions.push((session, materials));
    }
    let deadline = Instant::now() + Duration::from_secs(args.view_seconds);
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, (session, materials)) in sessions.into_iter().enumerate() {
        let errors = Arc::clone(&errors);
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut i = n;
            while Instant::now() < deadline {
                let path = &materials[i % materials.len()];
                i += 1;
                let t = Instant::now();
                match session.page(path).await {
                    Ok(html) if html.contains("对照检查材料") => samples.push(t.elapsed()),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await?);
    }
    report(
        &format!("material page views at {} connections", args.view_connections),
        all,
        started.elapsed(),
        errors.load(Ordering::Relaxed),
    );
    Ok(())
}

/// A member who can submit in the campaign, with their branch's secretary.
struct Submitter {
    member: Session,
    secretary: Arc<Mutex<Session>>,
}

async fn submitters(args: &Args, campaign: &str) -> Result<Vec<Submitter>> {
    let mut found = Vec::new();
    let mut secretaries = std::collections::HashMap::new();
    'branches: for round in 1..=20 {
        for branch in 1..=15 {
            if found.len() == args.submitters {
                break 'branches;
            }
            let login = format!("m{branch:02}{round:02}");
            let Ok(member) = Session::login(&args.base, &login, &args.password).await else { continue };
            let page = member.page(campaign).await?;
            if !page.contains("value=\"submit\"") {
                continue;
            }
            let secretary = match secretaries.get(&branch) {
                Some(s) => Arc::clone(s),
                None => {
                    let s = Session::login(&args.base, &format!("secretary{branch:02}"), &args.password).await?;
                    let s = Arc::new(Mutex::new(s));
                    secretaries.insert(branch, Arc::clone(&s));
                    s
                }
            };
            found.push(Submitter { member, secretary });
        }
    }
    if found.len() < args.submitters {
        bail!("only {} members can submit; the demo needs drafts", found.len());
    }
    Ok(found)
}

/// Submits, then has the secretary return it so the next round can submit again.
async fn round(submitter: &Submitter, campaign: &str, body: &str) -> Result<Duration> {
    let page = submitter.member.page(campaign).await?;
    let fields = [
        ("csrf", token(&page)?),
        ("version", version(&page).unwrap_or_else(|| "0".into())),
        ("mode", "text".to_owned()),
        ("body", body.to_owned()),
        ("action", "submit".to_owned()),
    ];
    let t = Instant::now();
    let response = submitter.member.post(&format!("{campaign}/material"), &fields).await?;
    let took = t.elapsed();
    if response.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("submit: {}", response.status());
    }
    let page = submitter.member.page(campaign).await?;
    let material = links(&page, "/materials/").into_iter().next().context("the material's link")?;
    let material = material.trim_end_matches("/versions").to_owned();
    let secretary = submitter.secretary.lock().await;
    let html = secretary.page(&material).await?;
    let fields = [
        ("csrf", token(&html)?),
        ("version", version(&html).context("version")?),
        ("decision", "return".to_owned()),
        ("comment", "压力测试：请修改后重新提交".to_owned()),
    ];
    let response = secretary.post(&format!("{material}/decision"), &fields).await?;
    if response.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("return: {}", response.status());
    }
    Ok(took)
}

async fn submissions(args: &Args, campaign: &str) -> Result<()> {
    let people = submitters(args, campaign).await?;
    let body = include_str!("../../../examples/material-2021-county.txt");
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, submitter) in people.into_iter().enumerate() {
        let (campaign, errors, rounds) = (campaign.to_owned(), Arc::clone(&errors), args.rounds);
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for r in 0..rounds {
                // Each round's text differs a little, as a revision would.
                let text = format!("{body}\n（第{}轮修改，提交人{n}）", r + 1);
                match round(&submitter, &campaign, &text).await {
                    Ok(took) => samples.push(took),
                    Err(e) => {
                        eprintln!("submitter {n}: {e:#}");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await?);
    }
    let errors = errors.load(Ordering::Relaxed);
    report(&format!("submit-with-review at {} submitters", args.submitters), all, started.elapsed(), errors);
    if errors > 0 {
        bail!("{errors} submissions failed");
    }
    Ok(())
}

/// The real clock: the accounts' passwords are set now, so that no rotation is due during the run.
#[allow(clippy::disallowed_methods)]
fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

async fn rush_seed(args: &SeedArgs) -> Result<()> {
    let shape = rush::Shape { branches: args.branches, members: args.members };
    let started = Instant::now();
    let seeded = rush::seed_database(&args.db, shape, &args.password, now_ms()).await?;
    println!(
        "seeded {} accounts ({} branches of {} members and a secretary) and campaign {} in {:.1} s",
        seeded.accounts,
        shape.branches,
        shape.members,
        seeded.campaign_id,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn rush_run(args: &RushArgs) -> Result<()> {
    let store = mingjing_storage::Store::connect(&args.db).await.with_context(|| format!("open {}", args.db))?;
    let county = rush::seed::find(&store).await?;
    let plan = rush::Plan {
        base: args.base.clone(),
        password: args.password.clone(),
        campaign_id: county.campaign_id.clone(),
        shape: county.shape,
        arrivals_per_second: args.arrivals_per_second,
        max_in_flight: args.max_in_flight,
        ballot_branch: (args.ballot_branch > 0).then_some(args.ballot_branch),
        slips: args.slips,
        ballot_after: Duration::from_secs_f64(args.ballot_after),
        ballot_spread: Duration::from_secs_f64(args.ballot_spread),
        return_one_in: args.return_one_in,
        secretary_idle: Duration::from_secs(1),
        timeout: Duration::from_secs(args.timeout),
    };
    let before = rush::load_average().unwrap_or_default();
    println!("load average before: {before}");
    let outcome = rush::run::run(&plan).await?;
    println!("load average after: {}", rush::load_average().unwrap_or_default());
    let verdict = rush::verify::verify(&store, &county.campaign_id, &outcome).await?;
    store.close().await;
    print!("{}", rush::render(&plan, &outcome, &verdict));
    if !rush::passed(&plan, &outcome, &verdict) {
        bail!("the rush failed: {} errors, {} lost writes", outcome.recorder.errors(), verdict.lost.len());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::RushSeed(args)) => return rush_seed(args).await,
        Some(Command::Rush(args)) => return rush_run(args).await,
        None => {}
    }
    let args = cli.load;
    let admin = Session::login(&args.base, "admin", &args.password).await?;
    let campaign = current_campaign(&admin).await?;
    println!("campaign {campaign} on {}", args.base);
    views(&args, &campaign).await?;
    submissions(&args, &campaign).await
}
