//! A branch's appraisal as its secretary runs it: the members' self-evaluations and mutual evaluations, opening a
//! ballot round for the members present (phones, printed codes, or paper), closing it, the results with their
//! checks and warnings, the committee's decisions and the follow-up of a 不合格; and the superior admin's view.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use mingjing_storage::{
    AppraisalSettings, BallotMethod, BallotRound, Campaign, Channel, FollowupKind, Grade, GradeDecision, Member,
    NewFollowup, NewRound, Org, OrgKind, Role, Standing, StoreError,
};

use super::ballot::{code_hash, new_code, printed};
use super::boxes::BoxState;
use super::settings::{CAPS, QUORUMS, describe};
use super::{REASON_MAX, branch_in_reach, campaign_for, text_field};
use crate::audit::beijing_time;
use crate::auth::{CurrentUser, require_csrf};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// A member of the branch in the open-round form, with its defaults from the settings.
#[derive(Debug)]
struct RosterRow {
    id: String,
    name: String,
    standing: &'static str,
    votes: bool,
    graded: bool,
}

/// The open round's state, without anything of the choices.
#[derive(Debug)]
struct OpenRound {
    id: String,
    paper: bool,
    present: usize,
    phone_voters: usize,
    codes: i64,
    cast: i64,
    /// Ballots were cast into memory this process does not have: the round must be re-run.
    lost: bool,
    graded: Vec<(String, String)>,
}

/// One graded member's line of the results.
#[derive(Debug)]
pub(super) struct ResultRow {
    pub(super) member_id: String,
    pub(super) name: String,
    pub(super) counts: [i64; 4],
    pub(super) total: i64,
    pub(super) decision: Option<(&'static str, String)>,
}

/// A closed round's results.
#[derive(Debug)]
pub(super) struct Results {
    pub(super) closed_at: String,
    pub(super) paper: bool,
    pub(super) ballots: i64,
    pub(super) present: usize,
    pub(super) graded: usize,
    pub(super) choices: i64,
    /// choices = ballots × members graded (always true of paper totals, which are checked on entry).
    pub(super) consistent: bool,
    pub(super) rows: Vec<ResultRow>,
    pub(super) warnings: Vec<String>,
}

#[derive(Debug)]
pub(super) struct FollowupView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) deadline: String,
    pub(super) note: String,
    pub(super) status: &'static str,
    pub(super) awaiting: bool,
}

#[derive(Template)]
#[template(path = "appraisal/branch.html")]
pub(super) struct BranchPage {
    pub(super) campaign_id: String,
    pub(super) campaign_title: String,
    pub(super) org_id: String,
    pub(super) org_name: String,
    pub(super) csrf: String,
    pub(super) secretary: bool,
    pub(super) superior: bool,
    pub(super) settings_lines: Vec<String>,
    roster: Vec<RosterRow>,
    pub(super) self_evaluations: Vec<(String, String)>,
    pub(super) mutual: Vec<(String, String, String)>,
    open: Option<OpenRound>,
    pub(super) results: Option<Results>,
    pub(super) history: Vec<(String, &'static str)>,
    pub(super) followups: Vec<FollowupView>,
    pub(super) grades: [(&'static str, &'static str); 4],
    pub(super) error: Option<String>,
}

fn status_label(round: &BallotRound) -> &'static str {
    match round.status.as_str() {
        "open" => "进行中",
        "closed" => "已结束",
        _ => "已作废",
    }
}

fn settings_lines(settings: &AppraisalSettings) -> Vec<String> {
    vec![
        format!("投票人：{}", if settings.probationary_vote { "到会的正式党员和预备党员" } else { "到会的正式党员" }),
        format!("被测评人：{}", if settings.probationary_graded { "全体党员" } else { "正式党员" }),
        format!("到会人数要求：{}", describe(&QUORUMS, settings.quorum, settings.quorum_strict)),
        format!("优秀比例：{}", describe(&CAPS, settings.excellent_cap, false)),
    ]
}

fn quorum_met(settings: &AppraisalSettings, present: i64, eligible: i64) -> bool {
    let q = settings.quorum;
    if q.is_none() {
        return true;
    }
    if settings.quorum_strict { present * q.den > q.num * eligible } else { present * q.den >= q.num * eligible }
}

/// The most 优秀 the cap allows among `graded`, if there is a cap.
fn excellent_cap(settings: &AppraisalSettings, graded: i64) -> Option<i64> {
    let cap = settings.excellent_cap;
    (!cap.is_none()).then(|| graded * cap.num / cap.den)
}

pub(super) async fn build(
    state: &AppState,
    user: &CurrentUser,
    campaign: &Campaign,
    org: &Org,
) -> Result<BranchPage, AppError> {
    let settings = state.store.appraisal_settings(&campaign.id).await?;
    let members = state.store.members_of(&org.id).await?;
    let names: HashMap<&str, &str> = members.iter().map(|m| (m.id.as_str(), m.name.as_str())).collect();
    let name = |id: &str| names.get(id).map_or_else(|| "（已调出）".to_owned(), |n| (*n).to_owned());
    let evaluations: HashMap<String, String> =
        state.store.self_evaluations_in(&campaign.id, &org.id).await?.into_iter().collect();
    let self_evaluations =
        members.iter().map(|m| (m.name.clone(), evaluations.get(&m.id).cloned().unwrap_or_default())).collect();
    let mutual = state
        .store
        .mutual_evaluations(&campaign.id, &org.id, None)
        .await?
        .into_iter()
        .map(|c| (name(&c.from_member_id), name(&c.to_member_id), c.body))
        .collect();
    let roster = members
        .iter()
        .map(|m| {
            let full = m.standing == Standing::Full;
            RosterRow {
                id: m.id.clone(),
                name: m.name.clone(),
                standing: m.standing.label(),
                votes: full || settings.probationary_vote,
                graded: full || settings.probationary_graded,
            }
        })
        .collect();
    let rounds = state.store.ballot_rounds(&campaign.id, &org.id).await?;
    let mut open = None;
    if let Some(round) = rounds.iter().find(|r| r.is_open()) {
        open = Some(open_view(state, round, &name).await?);
    }
    let decisions = state.store.grade_decisions_in(&campaign.id, &org.id).await?;
    let mut results = None;
    if let Some(round) = rounds.iter().find(|r| r.is_closed()) {
        results = Some(results_of(state, &settings, round, &name, &decisions).await?);
    }
    let history = rounds
        .iter()
        .map(|r| {
            (
                format!(
                    "{}（{}）",
                    beijing_time(r.opened_at),
                    if r.method == BallotMethod::Paper { "纸质票" } else { "手机/投票码" }
                ),
                status_label(r),
            )
        })
        .collect();
    let followups = state
        .store
        .followups_in(&campaign.id, &org.id)
        .await?
        .into_iter()
        .map(|f| FollowupView {
            name: name(&f.member_id),
            kind: f.kind.label(),
            deadline: f.deadline.unwrap_or_default(),
            note: f.note,
            status: match f.status.as_str() {
                "open" => "改正中",
                "awaiting_superior" => "待上级党组织审批",
                "approved" => "上级党组织已批准",
                _ => "上级党组织未批准",
            },
            awaiting: f.status == "awaiting_superior",
            id: f.id,
        })
        .collect();
    Ok(BranchPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        org_id: org.id.clone(),
        org_name: org.name.clone(),
        csrf: user.csrf.as_str().to_owned(),
        secretary: user.role() == Role::Secretary,
        superior: user.role() == Role::SuperiorAdmin,
        settings_lines: settings_lines(&settings),
        roster,
        self_evaluations,
        mutual,
        open,
        results,
        history,
        followups,
        grades: Grade::ALL.map(|g| (g.code(), g.label())),
        error: None,
    })
}

async fn open_view(
    state: &AppState,
    round: &BallotRound,
    name: &impl Fn(&str) -> String,
) -> Result<OpenRound, AppError> {
    let voters = state.store.round_voters(&round.id).await?;
    let (codes, used) = state.store.round_codes(&round.id).await?;
    let phone_cast = i64::try_from(voters.iter().filter(|v| v.voted).count()).unwrap_or(i64::MAX);
    let paper = round.method == BallotMethod::Paper;
    // Ballots cast into a box this process does not have: a restart, or another process holds the round.
    let lost = !paper && state.ballot_boxes.get(&round.id).is_none() && phone_cast + used > 0;
    Ok(OpenRound {
        id: round.id.clone(),
        paper,
        present: voters.len(),
        phone_voters: voters.iter().filter(|v| v.channel == Channel::Phone).count(),
        codes,
        cast: phone_cast + used,
        lost,
        graded: state.store.round_graded(&round.id).await?.into_iter().map(|id| (name(&id), id)).collect(),
    })
}

async fn results_of(
    state: &AppState,
    settings: &AppraisalSettings,
    round: &BallotRound,
    name: &impl Fn(&str) -> String,
    decisions: &[GradeDecision],
) -> Result<Results, AppError> {
    let stored = state.store.ballot_results(&round.id).await?;
    let present = state.store.round_voters(&round.id).await?.len();
    let graded = stored.counts.len();
    let graded_i = i64::try_from(graded).unwrap_or(i64::MAX);
    let paper = round.method == BallotMethod::Paper;
    let consistent = if paper {
        stored.counts.iter().all(|(_, c)| c.iter().sum::<i64>() == round.ballots)
    } else {
        stored.choices == round.ballots * graded_i
    };
    let mut warnings = Vec::new();
    if !paper {
        // Every flag set should have put one ballot in the box; a difference means ballots were lost.
        let flagged = state.store.ballots_cast(&round.id).await?;
        if flagged != round.ballots {
            warnings.push(format!(
                "已投票标记 {flagged} 人次，计入选票 {} 张，两者不一致，请重新开启一轮投票。",
                round.ballots
            ));
        }
    }
    let present_i = i64::try_from(present).unwrap_or(i64::MAX);
    if !quorum_met(settings, present_i, round.eligible) {
        warnings.push(format!(
            "到会投票 {present} 人，应到 {} 人，未达到设置的到会人数要求（{}）。",
            round.eligible,
            describe(&QUORUMS, settings.quorum, settings.quorum_strict)
        ));
    }
    if round.ballots < present_i {
        warnings.push(format!("到会 {present} 人，收回有效票 {} 张。", round.ballots));
    }
    if let Some(cap) = excellent_cap(settings, graded_i) {
        let majority = stored.counts.iter().filter(|(_, c)| c[0] * 2 > round.ballots).count();
        if i64::try_from(majority).unwrap_or(i64::MAX) > cap {
            warnings
                .push(format!("“优秀”得票过半的有 {majority} 人，超过设置的比例（最多 {cap} 人）。组织评定时请注意。"));
        }
        let decided = decisions.iter().filter(|d| d.grade == Grade::Excellent).count();
        if i64::try_from(decided).unwrap_or(i64::MAX) > cap {
            warnings.push(format!("组织评定为“优秀”的有 {decided} 人，超过设置的比例（最多 {cap} 人）。"));
        }
    }
    let rows = stored
        .counts
        .into_iter()
        .map(|(member_id, counts)| ResultRow {
            name: name(&member_id),
            total: counts.iter().sum(),
            decision: decisions.iter().find(|d| d.member_id == member_id).map(|d| (d.grade.label(), d.reason.clone())),
            member_id,
            counts,
        })
        .collect();
    Ok(Results {
        closed_at: round.closed_at.map(beijing_time).unwrap_or_default(),
        paper,
        ballots: round.ballots,
        present,
        graded,
        choices: if paper { round.ballots * graded_i } else { stored.choices },
        consistent,
        rows,
        warnings,
    })
}

fn respond(
    htmx: &HtmxRequest,
    user: &CurrentUser,
    page: &BranchPage,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut response = render(htmx, "民主评议", Some(&user.view()), page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// The page again with an error, nothing saved.
async fn refuse(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign: &Campaign,
    org: &Org,
    message: String,
) -> Result<Response, AppError> {
    let mut page = build(state, user, campaign, org).await?;
    page.error = Some(message);
    respond(htmx, user, &page, StatusCode::UNPROCESSABLE_ENTITY)
}

fn back(campaign: &Campaign, org: &Org) -> Response {
    Redirect::to(&format!("/campaigns/{}/orgs/{}/appraisal", campaign.id, org.id)).into_response()
}

pub(super) async fn page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (campaign, org) = branch_in_reach(&state, &user, &cid, &oid).await?;
    let page = build(&state, &user, &campaign, &org).await?;
    respond(&htmx, &user, &page, StatusCode::OK)
}

/// Running the ballot and deciding grades is the branch secretary's.
async fn as_secretary(
    state: &AppState,
    user: &CurrentUser,
    fields: &[(String, String)],
    cid: &str,
    oid: &str,
) -> Result<(Campaign, Org), AppError> {
    require_csrf(user, field(fields, "csrf"))?;
    let reach = branch_in_reach(state, user, cid, oid).await?;
    if user.role() != Role::Secretary {
        return Err(AppError::Forbidden);
    }
    Ok(reach)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn checked(fields: &[(String, String)], name: &str) -> bool {
    fields.iter().any(|(k, _)| k == name)
}

pub(super) async fn open_round_post(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    fields: &[(String, String)],
    cid: &str,
    oid: &str,
) -> Result<Response, AppError> {
    let (campaign, org) = as_secretary(state, user, fields, cid, oid).await?;
    let settings = state.store.appraisal_settings(&campaign.id).await?;
    let members = state.store.members_of(&org.id).await?;
    let paper = field(fields, "method") == "paper";
    let mut voters = Vec::new();
    let mut graded = Vec::new();
    let mut problems = Vec::new();
    for m in &members {
        let full = m.standing == Standing::Full;
        let votes = checked(fields, &format!("p_{}", m.id));
        let slip = checked(fields, &format!("s_{}", m.id));
        if votes && !full && !settings.probationary_vote {
            problems.push(format!("{}是预备党员，按本次设置不参加投票", m.name));
        }
        if slip && !votes {
            problems.push(format!("{}未勾选到会投票，不能领取投票码", m.name));
        }
        if votes {
            let channel = if paper {
                Channel::Paper
            } else if slip {
                Channel::Code
            } else {
                Channel::Phone
            };
            voters.push((m.id.clone(), channel));
        }
        if checked(fields, &format!("r_{}", m.id)) {
            if !full && !settings.probationary_graded {
                problems.push(format!("{}是预备党员，按本次设置不参加测评", m.name));
            }
            graded.push(m.id.clone());
        }
    }
    if voters.is_empty() {
        problems.push("请勾选到会投票的党员".to_owned());
    }
    if graded.is_empty() {
        problems.push("请勾选被测评的党员".to_owned());
    }
    if !problems.is_empty() {
        return refuse(state, htmx, user, &campaign, &org, problems.join("；")).await;
    }
    let slips = voters.iter().filter(|(_, c)| *c == Channel::Code).count();
    let mut codes = Vec::with_capacity(slips);
    while codes.len() < slips {
        let code = new_code()?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let salt = new_code()? + &new_code()?;
    let hashes: Vec<String> = codes.iter().map(|c| code_hash(&salt, c)).collect();
    let eligible = members.iter().filter(|m| m.standing == Standing::Full || settings.probationary_vote).count();
    let new = NewRound {
        campaign_id: &campaign.id,
        org_id: &org.id,
        method: if paper { BallotMethod::Paper } else { BallotMethod::Online },
        code_salt: &salt,
        holder: state.ballot_boxes.instance(),
        eligible: i64::try_from(eligible).unwrap_or(i64::MAX),
        opened_by: &user.account.id,
        voters: &voters,
        graded: &graded,
        code_hashes: &hashes,
    };
    let round = match state.store.open_round(&new, state.clock.now_ms()).await {
        Ok(round) => round,
        Err(StoreError::State(s)) if s == mingjing_storage::ROUND_ALREADY_OPEN => {
            let message = "本支部已有一轮正在进行的测评（可能重复提交了），请先结束或作废该轮".to_owned();
            return refuse(state, htmx, user, &campaign, &org, message).await;
        }
        Err(e) => return Err(e.into()),
    };
    if !paper {
        state.ballot_boxes.create(&round.id, codes);
    }
    let detail = format!("到会 {} 人，测评 {} 人，投票码 {} 个", voters.len(), graded.len(), slips);
    user.audit(state, "ballot.open", Some(&format!("ballot:{}", round.id)), "ok", &detail).await?;
    if slips > 0 {
        let to = format!("/campaigns/{}/orgs/{}/appraisal/rounds/{}/codes", campaign.id, org.id, round.id);
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(back(&campaign, &org))
}

pub(super) async fn open_round(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    open_round_post(&state, &htmx, &user, &fields, &cid, &oid).await
}

/// The round `rid` of this campaign and branch.
async fn round_of(state: &AppState, campaign: &Campaign, org: &Org, rid: &str) -> Result<BallotRound, AppError> {
    match state.store.ballot_round(rid).await {
        Ok(r) if r.campaign_id == campaign.id && r.org_id == org.id => Ok(r),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "appraisal/codes.html")]
struct CodesPage {
    back: String,
    address: String,
    codes: Vec<String>,
    open: bool,
}

pub(super) async fn codes(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    headers: HeaderMap,
    Path((cid, oid, rid)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (campaign, org) = branch_in_reach(&state, &user, &cid, &oid).await?;
    if user.role() != Role::Secretary {
        return Err(AppError::Forbidden);
    }
    let round = round_of(&state, &campaign, &org, &rid).await?;
    let codes = match state.ballot_boxes.get(&round.id) {
        Some(shared) if round.is_open() => shared.lock().await.codes.iter().map(|c| printed(c)).collect(),
        _ => Vec::new(),
    };
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("本系统");
    let page = CodesPage {
        back: format!("/campaigns/{}/orgs/{}/appraisal", campaign.id, org.id),
        address: format!("{host}/ballot"),
        codes,
        open: round.is_open(),
    };
    user.audit(&state, "ballot.print_codes", Some(&format!("ballot:{}", round.id)), "ok", "").await?;
    render(&htmx, "打印投票码", Some(&user.view()), &page)
}

pub(super) async fn close(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid, rid)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (campaign, org) = as_secretary(&state, &user, &fields, &cid, &oid).await?;
    let round = round_of(&state, &campaign, &org, &rid).await?;
    if !round.is_open() || round.method != BallotMethod::Online {
        return refuse(&state, &htmx, &user, &campaign, &org, "这一轮测评已经结束或已作废，请刷新页面".to_owned())
            .await;
    }
    let shared = match state.ballot_boxes.find(&state, &round).await? {
        BoxState::Ready(shared) => shared,
        BoxState::Lost { cast } => {
            let message = format!(
                "本轮已投的 {cast} 张选票保存在服务器内存中，服务器重启（或由另一服务器进程受理）后已无法读取。\
                 请作废本轮并重新组织投票。"
            );
            return refuse(&state, &htmx, &user, &campaign, &org, message).await;
        }
    };
    let mut ballot_box = shared.lock().await;
    ballot_box.closed = true;
    let choices = ballot_box.choices();
    let closed = state
        .store
        .close_round(&round.id, state.ballot_boxes.instance(), ballot_box.ballots(), &choices, state.clock.now_ms())
        .await;
    if let Err(error) = closed {
        // Still open, so votes may go on and closing may be tried again.
        ballot_box.closed = false;
        return match error {
            StoreError::State(_) => {
                refuse(&state, &htmx, &user, &campaign, &org, "这一轮测评已经结束或已作废，请刷新页面".to_owned()).await
            }
            e => Err(e.into()),
        };
    }
    let ballots = ballot_box.ballots();
    drop(ballot_box);
    state.ballot_boxes.remove(&round.id);
    user.audit(&state, "ballot.close", Some(&format!("ballot:{}", round.id)), "ok", &format!("收回 {ballots} 张"))
        .await?;
    Ok(back(&campaign, &org))
}

pub(super) async fn void(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid, rid)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (campaign, org) = as_secretary(&state, &user, &fields, &cid, &oid).await?;
    let round = round_of(&state, &campaign, &org, &rid).await?;
    if let Ok(BoxState::Ready(shared)) = state.ballot_boxes.find(&state, &round).await {
        shared.lock().await.closed = true;
    }
    match state.store.void_round(&round.id, state.clock.now_ms()).await {
        Ok(()) => {}
        Err(StoreError::State(_)) => {
            return refuse(&state, &htmx, &user, &campaign, &org, "这一轮测评已经结束或已作废，请刷新页面".to_owned())
                .await;
        }
        Err(e) => return Err(e.into()),
    }
    state.ballot_boxes.remove(&round.id);
    user.audit(&state, "ballot.void", Some(&format!("ballot:{}", round.id)), "ok", "").await?;
    Ok(back(&campaign, &org))
}

/// A count typed into the paper tally: a whole number from 0 to 9999.
fn count(value: &str) -> Option<i64> {
    value.trim().parse::<i64>().ok().filter(|n| (0..10_000).contains(n))
}

pub(super) async fn tally(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid, rid)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (campaign, org) = as_secretary(&state, &user, &fields, &cid, &oid).await?;
    let round = round_of(&state, &campaign, &org, &rid).await?;
    if !round.is_open() || round.method != BallotMethod::Paper {
        return refuse(&state, &htmx, &user, &campaign, &org, "这一轮测评已经结束或已作废，请刷新页面".to_owned())
            .await;
    }
    let present = i64::try_from(state.store.round_voters(&round.id).await?.len()).unwrap_or(i64::MAX);
    let Some(ballots) = count(field(&fields, "ballots")).filter(|b| (1..=present).contains(b)) else {
        let message = format!("请填写收回的有效票数（1 到到会人数 {present} 之间的整数）");
        return refuse(&state, &htmx, &user, &campaign, &org, message).await;
    };
    let mut tallies = Vec::new();
    let mut problems = Vec::new();
    for member_id in state.store.round_graded(&round.id).await? {
        let name = state.store.member(&member_id).await?.name;
        let mut counts = [0i64; 4];
        for grade in Grade::ALL {
            match count(field(&fields, &format!("t_{member_id}_{}", grade.code()))) {
                Some(n) => counts[grade.index()] = n,
                None => problems.push(format!("{name}的“{}”票数不是 0 到 9999 的整数", grade.label())),
            }
        }
        let sum: i64 = counts.iter().sum();
        if sum != ballots {
            problems.push(format!("{name}的四个等次票数合计 {sum}，与有效票数 {ballots} 不一致"));
        }
        tallies.push((member_id, counts));
    }
    if !problems.is_empty() {
        return refuse(&state, &htmx, &user, &campaign, &org, problems.join("；")).await;
    }
    match state.store.close_paper_round(&round.id, ballots, &tallies, state.clock.now_ms()).await {
        Ok(()) => {}
        Err(StoreError::State(_)) => {
            return refuse(&state, &htmx, &user, &campaign, &org, "这一轮测评已经结束或已作废，请刷新页面".to_owned())
                .await;
        }
        Err(e) => return Err(e.into()),
    }
    user.audit(&state, "ballot.paper", Some(&format!("ballot:{}", round.id)), "ok", &format!("有效票 {ballots} 张"))
        .await?;
    Ok(back(&campaign, &org))
}

/// The last day a 限期改正 may run to: a year from today (the rule's "at most a year"), as YYYY-MM-DD.
fn one_year_on(today: &str) -> String {
    let year: i64 = today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    format!("{:04}{}", year + 1, today.get(4..).unwrap_or(""))
}

fn valid_date(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
        && value.get(5..7).and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| (1..=12).contains(&m))
        && value.get(8..10).and_then(|d| d.parse::<u32>().ok()).is_some_and(|d| (1..=31).contains(&d))
}

pub(super) async fn decide(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (campaign, org) = as_secretary(&state, &user, &fields, &cid, &oid).await?;
    let rounds = state.store.ballot_rounds(&campaign.id, &org.id).await?;
    let Some(round) = rounds.iter().find(|r| r.is_closed()) else {
        let message = "民主测评结束后才能进行组织评定".to_owned();
        return refuse(&state, &htmx, &user, &campaign, &org, message).await;
    };
    let member_id = field(&fields, "member");
    if !state.store.round_graded(&round.id).await?.iter().any(|m| m == member_id) {
        return refuse(&state, &htmx, &user, &campaign, &org, "请为参加测评的党员评定等次".to_owned()).await;
    }
    let member: Member = state.store.member(member_id).await?;
    let Some(grade) = Grade::from_code(field(&fields, "grade")) else {
        return refuse(&state, &htmx, &user, &campaign, &org, format!("请为{}选择评定等次", member.name)).await;
    };
    let needs_reason = matches!(grade, Grade::BasicallyCompetent | Grade::Incompetent);
    let reason = match text_field(field(&fields, "reason"), "评定理由", REASON_MAX, needs_reason) {
        Ok(reason) => reason,
        Err(message) => {
            let message = format!("{}：{message}（评为基本合格、不合格须写明理由）", member.name);
            return refuse(&state, &htmx, &user, &campaign, &org, message).await;
        }
    };
    let followup = if grade == Grade::Incompetent {
        match followup_of(&state, &fields) {
            Ok(f) => Some(f),
            Err(message) => {
                return refuse(&state, &htmx, &user, &campaign, &org, format!("{}：{message}", member.name)).await;
            }
        }
    } else {
        None
    };
    let now = state.clock.now_ms();
    let decision = GradeDecision {
        member_id: member.id.clone(),
        grade,
        reason,
        decided_by: user.account.id.clone(),
        decided_at: now,
    };
    state.store.save_grade_decision(&campaign.id, &decision).await?;
    user.audit(&state, "appraisal.decision", Some(&format!("member:{}", member.id)), "ok", grade.label()).await?;
    if let Some((kind, deadline, note)) = followup {
        let new = NewFollowup {
            campaign_id: &campaign.id,
            member_id: &member.id,
            kind,
            deadline: deadline.as_deref(),
            note: &note,
            created_by: &user.account.id,
        };
        match state.store.start_followup(&new, now).await {
            Ok(()) => {}
            Err(StoreError::State(_)) => {
                let message = format!("{}的处置已由上级党组织审批，不能再修改", member.name);
                return refuse(&state, &htmx, &user, &campaign, &org, message).await;
            }
            Err(e) => return Err(e.into()),
        }
        user.audit(&state, "appraisal.followup", Some(&format!("member:{}", member.id)), "ok", kind.label()).await?;
    }
    Ok(back(&campaign, &org))
}

/// The follow-up a 不合格 decision names: 限期改正 with a deadline after today and at most a year on, or 劝退 / 除名
/// with a note of the branch assembly's decision.
fn followup_of(
    state: &AppState,
    fields: &[(String, String)],
) -> Result<(FollowupKind, Option<String>, String), String> {
    let kind = FollowupKind::from_code(field(fields, "followup"))
        .ok_or_else(|| "评为不合格须选择处置方式（限期改正、劝退或除名）".to_owned())?;
    let note =
        text_field(field(fields, "note"), "处置说明", REASON_MAX, kind != FollowupKind::Correction).map_err(|m| {
            if kind == FollowupKind::Correction {
                m
            } else {
                format!("{m}（劝退、除名须写明支部党员大会的决定）")
            }
        })?;
    if kind != FollowupKind::Correction {
        return Ok((kind, None, note));
    }
    let deadline = field(fields, "deadline").trim().to_owned();
    let today = beijing_time(state.clock.now_ms());
    let today = today.get(..10).unwrap_or("");
    let latest = one_year_on(today);
    if !valid_date(&deadline) {
        return Err("限期改正须填写改正期限（年-月-日）".to_owned());
    }
    if deadline.as_str() <= today || deadline > latest {
        return Err(format!("改正期限须在今天之后、一年以内（不晚于 {latest}）"));
    }
    Ok((kind, Some(deadline), note))
}

pub(super) async fn decide_followup(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path((cid, oid, fid)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_csrf(&user, field(&fields, "csrf"))?;
    let (campaign, org) = branch_in_reach(&state, &user, &cid, &oid).await?;
    if user.role() != Role::SuperiorAdmin {
        return Err(AppError::Forbidden);
    }
    let followup = match state.store.followup(&fid).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let member = state.store.member(&followup.member_id).await?;
    if member.org_id != org.id {
        return Err(AppError::NotFound);
    }
    let approve = field(&fields, "approve") == "yes";
    match state.store.decide_followup(&fid, approve, &user.account.id, state.clock.now_ms()).await {
        Ok(()) => {}
        Err(StoreError::State(_)) => {
            return refuse(&state, &htmx, &user, &campaign, &org, "这项处置已经审批过了，请刷新页面".to_owned()).await;
        }
        Err(e) => return Err(e.into()),
    }
    let detail = if approve { "批准" } else { "不批准" };
    user.audit(&state, "appraisal.followup_decide", Some(&format!("member:{}", member.id)), "ok", detail).await?;
    Ok(back(&campaign, &org))
}

/// One organization in the superior's list.
#[derive(Debug)]
struct IndexRow {
    id: String,
    name: String,
    status: String,
}

#[derive(Template)]
#[template(path = "appraisal/index.html")]
struct IndexPage {
    campaign_id: String,
    campaign_title: String,
    manages: bool,
    rows: Vec<IndexRow>,
}

/// The superior admin's list of the branches in their subtree that take part, with each one's ballot state.
pub(super) async fn index(
    state: &AppState,
    htmx: &HtmxRequest,
    user: &CurrentUser,
    campaign_id: &str,
) -> Result<Response, AppError> {
    let campaign = match state.store.campaign(campaign_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let opener = state.store.org(&campaign.org_id).await?;
    if !opener.contains(&user.org) && !user.org.contains(&opener) {
        return Err(AppError::NotFound);
    }
    let mut rows = Vec::new();
    for org in state.store.subtree(&user.org).await? {
        if org.kind != OrgKind::Branch || campaign_for(state, &campaign.id, &org).await.is_err() {
            continue;
        }
        let rounds = state.store.ballot_rounds(&campaign.id, &org.id).await?;
        let status = rounds.first().map_or_else(|| "未开始测评".to_owned(), |r| format!("测评{}", status_label(r)));
        rows.push(IndexRow { id: org.id, name: org.name, status });
    }
    let page = IndexPage {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        manages: user.org.contains(&opener),
        rows,
    };
    render(htmx, "民主评议", Some(&user.view()), &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mingjing_storage::Fraction;

    #[test]
    fn quorum_more_than_half_and_at_least_two_thirds() {
        let mut settings = AppraisalSettings::default();
        assert!(!quorum_met(&settings, 5, 10), "half is not more than half");
        assert!(quorum_met(&settings, 6, 10));
        settings.quorum = Fraction { num: 2, den: 3 };
        settings.quorum_strict = false;
        assert!(quorum_met(&settings, 6, 9) && !quorum_met(&settings, 5, 9));
        settings.quorum = Fraction::NONE;
        assert!(quorum_met(&settings, 0, 9));
    }

    #[test]
    fn the_cap_on_excellent_rounds_down() {
        let mut settings = AppraisalSettings::default();
        assert_eq!(excellent_cap(&settings, 10), None);
        settings.excellent_cap = Fraction { num: 1, den: 3 };
        assert_eq!(excellent_cap(&settings, 10), Some(3));
        assert_eq!(excellent_cap(&settings, 2), Some(0));
    }

    #[test]
    fn a_correction_runs_a_year_at_most() {
        assert_eq!(one_year_on("2026-03-01"), "2027-03-01");
        assert!(valid_date("2026-12-31") && !valid_date("2026-13-01") && !valid_date("2026/12/31"));
    }
}
