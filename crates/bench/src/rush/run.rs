//! The rush itself, over HTTP like browsers and phones: members arrive at a steady rate (at most so many at once),
//! each signs in, opens the campaign, saves a draft and submits their material (reviewed by the engine on submit);
//! meanwhile every branch's secretary loops over the branch's submitted materials, opens each and approves or
//! returns it; meanwhile one branch holds its ballot round, every member voting on a phone or with a printed code,
//! and the secretary closes it. Every acknowledged write is kept for the check against the database afterwards.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mingjing_storage::Grade;
use tokio::sync::Semaphore;

use super::record::Recorder;
use super::seed::{Shape, member_login, secretary_login};
use super::text;
use crate::http::{Session, field_ids, links, token, version};

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub base: String,
    pub password: String,
    pub campaign_id: String,
    pub shape: Shape,
    /// Members arriving per second (the offered load).
    pub arrivals_per_second: f64,
    /// Members at work at once at most; an arrival beyond waits.
    pub max_in_flight: usize,
    /// The branch holding its ballot round (from 1); `None` for no round.
    pub ballot_branch: Option<usize>,
    /// Members of that branch voting with a printed code instead of their phone.
    pub slips: usize,
    /// When the round opens, after the first arrival.
    pub ballot_after: Duration,
    /// Over how long the branch's voters start voting.
    pub ballot_spread: Duration,
    /// The secretaries return one material in this many (by id), approve the rest.
    pub return_one_in: u64,
    /// How long a secretary waits before looking at the list again when nothing new came.
    pub secretary_idle: Duration,
    /// Everything must be over by then.
    pub timeout: Duration,
}

/// A submission the server acknowledged, with the draft saved before it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub login: String,
    pub draft: String,
    pub draft_version: i64,
    pub body: String,
    pub version: i64,
}

/// A secretary's decision the server acknowledged.
#[derive(Debug, Clone)]
pub struct Decided {
    pub secretary: String,
    pub material_id: String,
    pub version: i64,
    pub approve: bool,
}

/// The ballot round as the client saw it.
#[derive(Debug, Clone, Default)]
pub struct BallotSeen {
    pub round_id: String,
    pub phone_ballots: usize,
    pub code_ballots: usize,
    /// Per graded member, the acknowledged votes per grade in [`Grade::ALL`] order.
    pub expected: HashMap<String, [i64; 4]>,
    pub closed: bool,
}

/// When members arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrivals {
    pub offered_per_second: f64,
    /// Members over the time from the first arrival to the last.
    pub achieved_per_second: f64,
    /// The longest an arrival waited for a free slot.
    pub max_wait: Duration,
    /// When the last member finished, from the first arrival.
    pub all_done: Duration,
}

/// The database pool as `/metrics` showed it, sampled every second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PoolUse {
    pub samples: usize,
    pub mean_in_use: f64,
    pub max_in_use: f64,
    pub size: f64,
}

/// Everything the run saw.
#[derive(Debug)]
pub struct Outcome {
    pub recorder: Recorder,
    pub wall: Duration,
    pub arrivals: Arrivals,
    pub submitted: Vec<Submitted>,
    pub decided: Vec<Decided>,
    pub ballot: Option<BallotSeen>,
    pub pool: PoolUse,
    /// The server's review-time lines from `/metrics` at the end.
    pub review_metrics: Vec<String>,
}

type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(shared: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each holder pushes one item; a panic cannot leave the list half-changed.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Member `i` of the arrival order: branches take turns, so every branch is busy throughout.
fn arrival(shape: Shape, i: usize) -> (usize, usize) {
    (i % shape.branches + 1, i / shape.branches + 1)
}

/// Runs the rush; fails only when it cannot start (the figures carry every error).
pub async fn run(plan: &Plan) -> Result<Outcome> {
    let recorder = Recorder::default();
    let shape = plan.shape;
    let total = shape.branches * shape.members;
    let done: Arc<Vec<AtomicUsize>> = Arc::new((0..shape.branches).map(|_| AtomicUsize::new(0)).collect());
    let submitted: Shared<Vec<Submitted>> = Arc::default();
    let decided: Shared<Vec<Decided>> = Arc::default();
    let started = Instant::now();
    let deadline = started + plan.timeout;

    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_pool(plan.base.clone(), Arc::clone(&stop_sampling)));

    let mut secretaries = Vec::new();
    for branch in 1..=shape.branches {
        let context = SecretaryContext {
            plan: plan.clone(),
            branch,
            done: Arc::clone(&done),
            decided: Arc::clone(&decided),
            recorder: recorder.clone(),
            deadline,
        };
        secretaries.push(tokio::spawn(async move {
            if let Err(e) = secretary(&context).await {
                context.recorder.fail("secretary loop", format!("branch {branch}: {e:#}"));
            }
        }));
    }
    let ballot = plan.ballot_branch.map(|branch| {
        let (plan, recorder) = (plan.clone(), recorder.clone());
        tokio::spawn(async move {
            tokio::time::sleep(plan.ballot_after).await;
            match ballot_round(&plan, branch, &recorder).await {
                Ok(seen) => Some(seen),
                Err(e) => {
                    recorder.fail("ballot round", format!("{e:#}"));
                    None
                }
            }
        })
    });

    let slots = Arc::new(Semaphore::new(plan.max_in_flight.max(1)));
    let mut members = Vec::with_capacity(total);
    let mut max_wait = Duration::ZERO;
    let mut last_arrival = Duration::ZERO;
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / plan.arrivals_per_second.max(1e-3));
        tokio::time::sleep_until(due.into()).await;
        let slot = Arc::clone(&slots).acquire_owned().await.context("the arrival slots")?;
        max_wait = max_wait.max(due.elapsed());
        last_arrival = started.elapsed();
        let (branch, n) = arrival(shape, i);
        let (plan, recorder, done, submitted) =
            (plan.clone(), recorder.clone(), Arc::clone(&done), Arc::clone(&submitted));
        members.push(tokio::spawn(async move {
            let number = ((branch - 1) * plan.shape.members + n) as u64;
            match member(&plan, &recorder, branch, n, number).await {
                Ok(ack) => lock(&submitted).push(ack),
                Err(e) => recorder.fail("member", format!("{}: {e:#}", member_login(branch, n))),
            }
            done[branch - 1].fetch_add(1, Ordering::SeqCst);
            drop(slot);
        }));
    }
    for task in members {
        task.await.context("a member task")?;
    }
    let all_done = started.elapsed();
    for task in secretaries {
        task.await.context("a secretary task")?;
    }
    let ballot = match ballot {
        Some(task) => task.await.context("the ballot task")?,
        None => None,
    };
    let wall = started.elapsed();
    stop_sampling.store(true, Ordering::SeqCst);
    let pool = sampler.await.context("the pool sampler")?;
    let review_metrics = review_lines(&plan.base).await.unwrap_or_default();
    let span = last_arrival.as_secs_f64();
    let arrivals = Arrivals {
        offered_per_second: plan.arrivals_per_second,
        achieved_per_second: if span > 0.0 { (total.saturating_sub(1)) as f64 / span } else { total as f64 },
        max_wait,
        all_done,
    };
    let submitted = std::mem::take(&mut *lock(&submitted));
    let decided = std::mem::take(&mut *lock(&decided));
    Ok(Outcome { recorder, wall, arrivals, submitted, decided, ballot, pool, review_metrics })
}

/// One member: sign in, open the campaign, save a draft, open it again, submit.
async fn member(plan: &Plan, recorder: &Recorder, branch: usize, n: usize, number: u64) -> Result<Submitted> {
    let login = member_login(branch, n);
    let session = recorder.time("sign in", Session::login(&plan.base, &login, &plan.password)).await?;
    let editor = format!("/campaigns/{}?mode=text", plan.campaign_id);
    let action = format!("/campaigns/{}/material", plan.campaign_id);
    let body = text::material(number);
    let draft = text::draft(&body);
    let page = recorder.time("member: editor page", session.page(&editor)).await?;
    let seen = version(&page).unwrap_or_else(|| "0".into());
    if seen != "0" {
        bail!("{login} has a material already (version {seen})");
    }
    let fields = [
        ("csrf", token(&page)?),
        ("version", seen),
        ("mode", "text".into()),
        ("body", draft.clone()),
        ("action", "save".into()),
    ];
    recorder.time("member: save draft", session.post_redirect(&action, &fields)).await?;
    let page = recorder.time("member: editor page", session.page(&editor)).await?;
    let draft_version: i64 = version(&page).context("the saved draft's version")?.parse()?;
    let fields = [
        ("csrf", token(&page)?),
        ("version", draft_version.to_string()),
        ("mode", "text".into()),
        ("body", body.clone()),
        ("action", "submit".into()),
    ];
    recorder.time("member: submit (reviewed)", session.post_redirect(&action, &fields)).await?;
    // Submitting saves the text as the next version and submits that one.
    Ok(Submitted { login, draft, draft_version, body, version: draft_version + 1 })
}

#[derive(Debug)]
struct SecretaryContext {
    plan: Plan,
    branch: usize,
    done: Arc<Vec<AtomicUsize>>,
    decided: Shared<Vec<Decided>>,
    recorder: Recorder,
    deadline: Instant,
}

/// The submitted materials on a branch list: the link of every row whose badge says submitted.
fn submitted_rows(list: &str) -> Vec<String> {
    list.split("<tr>")
        .filter(|row| row.contains("badge-submitted"))
        .filter_map(|row| links(row, "/materials/").into_iter().next())
        .collect()
}

/// A secretary: the branch list again and again, each new submission opened and decided, until every member of
/// the branch is through and nothing submitted is left.
async fn secretary(c: &SecretaryContext) -> Result<()> {
    let (plan, recorder) = (&c.plan, &c.recorder);
    let login = secretary_login(c.branch);
    let session = recorder.time("sign in", Session::login(&plan.base, &login, &plan.password)).await?;
    let list_path = format!("/campaigns/{}", plan.campaign_id);
    let mut tried: HashSet<String> = HashSet::new();
    loop {
        let finished = c.done[c.branch - 1].load(Ordering::SeqCst) >= plan.shape.members;
        let list = recorder.time("secretary: branch list", session.page(&list_path)).await?;
        let fresh: Vec<String> = submitted_rows(&list).into_iter().filter(|m| !tried.contains(m)).collect();
        if fresh.is_empty() {
            if finished {
                return Ok(());
            }
            if Instant::now() > c.deadline {
                bail!("{login}: members still at work when the time ran out");
            }
            tokio::time::sleep(plan.secretary_idle).await;
            continue;
        }
        for material in fresh {
            tried.insert(material.clone());
            if let Ok(ack) = decide(c, &session, &login, &material).await {
                lock(&c.decided).push(ack);
            }
        }
    }
}

/// Opens a material's review page and approves or returns it.
async fn decide(c: &SecretaryContext, session: &Session, login: &str, material: &str) -> Result<Decided> {
    let recorder = &c.recorder;
    let page = recorder.time("secretary: review page", session.page(material)).await?;
    let seen = version(&page).context("the decision form's version")?;
    let id = material.trim_start_matches("/materials/").to_owned();
    let approve = text::Dice::new(id.bytes().map(u64::from).sum()).below(c.plan.return_one_in.max(1)) != 0;
    let fields = [
        ("csrf", token(&page)?),
        ("version", seen.clone()),
        ("decision", if approve { "approve" } else { "return" }.to_owned()),
        (
            "comment",
            if approve {
                String::new()
            } else {
                "问题查摆要联系本人实际，请补充具体事例后重新提交。".into()
            },
        ),
    ];
    let name = if approve { "secretary: approve" } else { "secretary: return" };
    recorder.time(name, session.post_redirect(&format!("{material}/decision"), &fields)).await?;
    Ok(Decided { secretary: login.to_owned(), material_id: id, version: seen.parse()?, approve })
}

/// The grade voter `voter` gives graded member `graded`: mostly 合格, some 优秀, a few lower.
fn grade_of(voter: usize, graded: usize) -> Grade {
    let roll = text::Dice::new(((voter as u64) << 20) | graded as u64).below(100);
    match roll {
        0..25 => Grade::Excellent,
        25..90 => Grade::Competent,
        90..98 => Grade::BasicallyCompetent,
        _ => Grade::Incompetent,
    }
}

/// Form fields to post, name and value.
type Fields = Vec<(String, String)>;

/// A whole ballot: every graded member on the form one grade; the form's fields and the choices they carry.
fn fill_ballot(form: &str, voter: usize) -> Result<(Fields, Vec<(String, Grade)>)> {
    let graded = field_ids(form, "g_");
    if graded.is_empty() {
        bail!("a ballot without members to grade");
    }
    let choices: Vec<(String, Grade)> =
        graded.into_iter().enumerate().map(|(k, id)| (id, grade_of(voter, k))).collect();
    let fields = choices.iter().map(|(id, g)| (format!("g_{id}"), g.code().to_owned())).collect();
    Ok((fields, choices))
}

#[derive(Debug, Default)]
struct Tally {
    expected: HashMap<String, [i64; 4]>,
    phone: usize,
    codes: usize,
    without_ballot: usize,
}

impl Tally {
    fn add(&mut self, choices: &[(String, Grade)]) {
        for (id, grade) in choices {
            self.expected.entry(id.clone()).or_default()[grade.index()] += 1;
        }
    }
}

/// The id in the page's `…/rounds/{id}/close` form.
fn open_round_id(page: &str) -> Option<String> {
    let valid = |id: &&str| !id.is_empty() && !id.contains(['"', '/', '<']);
    page.split("/rounds/")
        .skip(1)
        .find_map(|s| s.split_once("/close").map(|(id, _)| id).filter(valid))
        .map(str::to_owned)
}

/// The branch's ballot round: opened by the secretary with every member present (the last `slips` with printed
/// codes), all members graded; every member votes, the round is closed.
async fn ballot_round(plan: &Plan, branch: usize, recorder: &Recorder) -> Result<BallotSeen> {
    let login = secretary_login(branch);
    let secretary = recorder.time("sign in", Session::login(&plan.base, &login, &plan.password)).await?;
    let path = secretary.redirect_of(&format!("/campaigns/{}/appraisal", plan.campaign_id)).await?;
    let page = recorder.time("ballot: branch page", secretary.page(&path)).await?;
    let present = field_ids(&page, "p_");
    if present.len() != plan.shape.members + 1 {
        bail!("the branch page lists {} members, not {}", present.len(), plan.shape.members + 1);
    }
    let mut fields = vec![("csrf".to_owned(), token(&page)?), ("method".into(), "online".into())];
    let slips = plan.slips.min(present.len());
    for (k, id) in present.iter().enumerate() {
        fields.push((format!("p_{id}"), "on".into()));
        fields.push((format!("r_{id}"), "on".into()));
        if k >= present.len() - slips {
            fields.push((format!("s_{id}"), "on".into()));
        }
    }
    let opened =
        recorder.time("ballot: open round", secretary.post_redirect(&format!("{path}/rounds"), &fields)).await?;
    let codes = if slips > 0 {
        let page = recorder.time("ballot: codes page", secretary.page(&opened)).await?;
        page.split("<p class=\"slip-code\">").skip(1).filter_map(|s| s.split('<').next()).map(str::to_owned).collect()
    } else {
        Vec::new()
    };
    if codes.len() != slips {
        bail!("{} codes printed for {slips} slips", codes.len());
    }
    let page = secretary.page(&path).await?;
    let round_id = open_round_id(&page).context("the open round on the branch page")?;

    let tally: Shared<Tally> = Arc::default();
    let mut voters = Vec::new();
    let logins: Vec<String> =
        std::iter::once(login.clone()).chain((1..=plan.shape.members).map(|n| member_login(branch, n))).collect();
    let everyone = logins.len() + codes.len();
    let step = plan.ballot_spread.div_f64(everyone.max(1) as f64);
    for (k, voter) in logins.into_iter().enumerate() {
        let (plan, recorder, tally) = (plan.clone(), recorder.clone(), Arc::clone(&tally));
        let wait = step * u32::try_from(k).unwrap_or(u32::MAX);
        voters.push(tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            if let Err(e) = phone_vote(&plan, &recorder, &voter, k, &tally).await {
                recorder.fail("ballot: phone voter", format!("{voter}: {e:#}"));
            }
        }));
    }
    for (j, code) in codes.into_iter().enumerate() {
        let k = everyone - slips + j;
        let (plan, recorder, tally) = (plan.clone(), recorder.clone(), Arc::clone(&tally));
        let wait = step * u32::try_from(k).unwrap_or(u32::MAX);
        voters.push(tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            if let Err(e) = code_vote(&plan, &recorder, &code, k, &tally).await {
                recorder.fail("ballot: code voter", format!("{e:#}"));
            }
        }));
    }
    for task in voters {
        task.await.context("a voter")?;
    }
    let tally = std::mem::take(&mut *lock(&tally));
    if tally.without_ballot != slips {
        recorder.fail(
            "ballot: phone voter",
            format!("{} members found no phone ballot, {slips} hold codes", tally.without_ballot),
        );
    }
    let page = secretary.page(&path).await?;
    let close = [("csrf", token(&page)?)];
    let closed = recorder
        .time("ballot: close round", secretary.post_redirect(&format!("{path}/rounds/{round_id}/close"), &close))
        .await;
    Ok(BallotSeen {
        round_id,
        phone_ballots: tally.phone,
        code_ballots: tally.codes,
        expected: tally.expected,
        closed: closed.is_ok(),
    })
}

async fn phone_vote(plan: &Plan, recorder: &Recorder, login: &str, voter: usize, tally: &Mutex<Tally>) -> Result<()> {
    let phone = recorder.time("ballot: sign in on a phone", Session::login(&plan.base, login, &plan.password)).await?;
    let mine = format!("/campaigns/{}/appraisal/mine", plan.campaign_id);
    let page = recorder.time("ballot: member's appraisal page", phone.page(&mine)).await?;
    let Some(ballot) = links(&page, "/ballots/").into_iter().next() else {
        // A member holding a printed code has no phone ballot.
        lock(tally).without_ballot += 1;
        return Ok(());
    };
    let form = recorder.time("ballot: phone ballot page", phone.page(&ballot)).await?;
    let (mut fields, choices) = fill_ballot(&form, voter)?;
    fields.push(("csrf".into(), token(&form)?));
    recorder.time("ballot: vote by phone", phone.post_ok(&ballot, &fields, "投票成功")).await?;
    let mut tally = lock(tally);
    tally.add(&choices);
    tally.phone += 1;
    Ok(())
}

async fn code_vote(plan: &Plan, recorder: &Recorder, code: &str, voter: usize, tally: &Mutex<Tally>) -> Result<()> {
    let browser = Session::new(&plan.base)?;
    let page = recorder.time("ballot: code entry page", browser.page("/ballot")).await?;
    let csrf = token(&page)?;
    let entered = [("csrf", csrf.clone()), ("code", code.to_owned())];
    let form = recorder.time("ballot: enter code", browser.post_ok("/ballot", &entered, "name=\"g_")).await?;
    let (mut fields, choices) = fill_ballot(&form, voter)?;
    fields.push(("csrf".into(), csrf));
    fields.push(("code".into(), code.to_owned()));
    recorder.time("ballot: vote by code", browser.post_ok("/ballot/vote", &fields, "投票成功")).await?;
    let mut tally = lock(tally);
    tally.add(&choices);
    tally.codes += 1;
    Ok(())
}

/// A number on a `/metrics` line named `name` (without labels).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Samples the database pool's use from `/metrics` once a second until stopped.
async fn sample_pool(base: String, stop: Arc<AtomicBool>) -> PoolUse {
    let Ok(client) = Session::new(&base) else { return PoolUse::default() };
    let (mut sum, mut figures) = (0.0, PoolUse::default());
    while !stop.load(Ordering::SeqCst) {
        if let Ok((status, text)) = client.get("/metrics").await
            && status.is_success()
            && let (Some(size), Some(idle)) =
                (metric(&text, "mingjing_db_pool_connections"), metric(&text, "mingjing_db_pool_idle_connections"))
        {
            let in_use = size - idle;
            sum += in_use;
            figures.samples += 1;
            figures.max_in_use = figures.max_in_use.max(in_use);
            figures.size = figures.size.max(size);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    figures.mean_in_use = if figures.samples > 0 { sum / figures.samples as f64 } else { 0.0 };
    figures
}

/// The server's own review-time summary.
async fn review_lines(base: &str) -> Result<Vec<String>> {
    let (_, text) = Session::new(base)?.get("/metrics").await?;
    Ok(text.lines().filter(|l| l.starts_with("mingjing_review_duration_seconds")).map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_take_branches_in_turn() {
        let shape = Shape { branches: 3, members: 2 };
        let order: Vec<_> = (0..6).map(|i| arrival(shape, i)).collect();
        assert_eq!(order, [(1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (3, 2)]);
    }

    #[test]
    fn the_list_gives_submitted_rows_only() {
        let list = "<tr><td>甲</td><td><span class=\"badge badge-submitted\">已提交</span></td>\
                    <td><a href=\"/materials/a\">查看</a></td></tr>\
                    <tr><td>乙</td><td><span class=\"badge badge-approved\">已通过</span></td>\
                    <td><a href=\"/materials/b\">查看</a></td></tr><tr><td>丙</td><td>未开始</td></tr>";
        assert_eq!(submitted_rows(list), ["/materials/a"]);
    }

    #[test]
    fn ballots_are_whole_and_metrics_are_read() {
        let form = "<input name=\"g_x\" value=\"excellent\"><input name=\"g_x\" value=\"competent\">\
                    <input name=\"g_y\" value=\"excellent\">";
        let (fields, choices) = fill_ballot(form, 3).unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(choices.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["x", "y"]);
        assert!(fill_ballot("<p>", 1).is_err());
        let page = "<form action=\"/c/1/orgs/2/appraisal/rounds\"></form><form action=\"/c/1/orgs/2/appraisal/rounds/r9/close\">";
        assert_eq!(open_round_id(page).as_deref(), Some("r9"));
        let grades: HashSet<_> = (0..400).map(|v| grade_of(v, 1)).collect();
        assert_eq!(grades.len(), 4, "every grade occurs");
        let text = "# TYPE x gauge\nmingjing_db_pool_connections 8\nmingjing_db_pool_idle_connections 5\n";
        assert_eq!(metric(text, "mingjing_db_pool_connections"), Some(8.0));
        assert_eq!(metric(text, "mingjing_db_pool_idle_connections"), Some(5.0));
    }
}
