//! Casting a ballot: signed in on one's own phone (`/ballots/{round}`), or with a printed code on the public page
//! `/ballot`. A ballot is checked whole (every graded member exactly one grade), then the voter's flag or the code's
//! used flag is set by one conditional update and the choices go into the round's box in memory, both under the
//! box's lock. Nothing of the choices is logged or audited.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mingjing_storage::{BallotRound, Channel, Grade, Member, NewAuditEntry, StoreError};
use sha2::{Digest, Sha256};

use super::boxes::BoxState;
use crate::auth::{CurrentUser, require_csrf};
use crate::csrf::{pre_session_token, verify_pre_session};
use crate::pages::{HtmxRequest, render};
use crate::{AppError, AppState};

/// The field prefix of a grade choice: `g_<member id>`.
const CHOICE_PREFIX: &str = "g_";
/// The code alphabet: Crockford base32 in capitals, without I, L, O and U, so a code read aloud or typed from a
/// slip is not mistaken. Ten characters carry 50 bits.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH: usize = 10;

/// A graded member as the ballot lists them.
#[derive(Debug)]
pub struct GradedView {
    pub id: String,
    pub name: String,
    /// The grade chosen before the form came back with an error.
    pub chosen: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "appraisal/ballot.html")]
struct BallotPage {
    /// Where the form posts.
    action: String,
    csrf: String,
    /// The code, carried to the vote for a code voter.
    code: Option<String>,
    graded: Vec<GradedView>,
    grades: [(&'static str, &'static str); 4],
    error: Option<String>,
    /// The ballot was counted, or this voter had voted already: no form.
    done: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "appraisal/code_entry.html")]
struct CodeEntryPage {
    csrf: String,
    error: Option<String>,
}

fn grades() -> [(&'static str, &'static str); 4] {
    Grade::ALL.map(|g| (g.code(), g.label()))
}

/// A new code from the operating system's randomness.
pub fn new_code() -> Result<String, AppError> {
    let mut bytes = [0u8; CODE_LENGTH];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a code: {e}")))?;
    // 256 is a multiple of 32, so taking the low five bits keeps every symbol equally likely.
    Ok(bytes.iter().map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)])).collect())
}

/// A code as printed: two groups of five.
pub fn printed(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(5));
    format!("{a}-{b}")
}

/// A typed code in its canonical form: capitals, no spaces or dashes, the look-alikes O, I and L read as 0 and 1.
fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    let valid = code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// SHA-256 of the round's salt and the code, hex: all the database keeps of a code.
pub fn code_hash(salt: &str, code: &str) -> String {
    let digest = Sha256::digest(format!("{salt}{code}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The graded members of a round, named, in ballot order.
async fn graded_members(state: &AppState, round: &BallotRound) -> Result<Vec<Member>, AppError> {
    let mut members = Vec::new();
    for id in state.store.round_graded(&round.id).await? {
        members.push(state.store.member(&id).await?);
    }
    Ok(members)
}

/// A ballot's choices: each graded member and the grade given.
type Choices = Vec<(String, Grade)>;
/// Why a ballot was refused, and the form's choices to show again.
type Rejected = (String, Vec<GradedView>);

/// Checks a ballot whole: every graded member exactly one known grade, and nothing else. On failure, the message
/// and what was chosen, to show the form again.
fn parse_ballot(fields: &[(String, String)], graded: &[Member]) -> Result<Choices, Rejected> {
    let mut chosen: Vec<Option<Grade>> = vec![None; graded.len()];
    let mut error = None;
    for (name, value) in fields {
        let Some(member_id) = name.strip_prefix(CHOICE_PREFIX) else { continue };
        let (Some(index), Some(grade)) = (graded.iter().position(|m| m.id == member_id), Grade::from_code(value))
        else {
            error = Some("选票内容不正确，请刷新页面后重新填写".to_owned());
            continue;
        };
        if chosen[index].replace(grade).is_some() {
            error = Some("每位党员只能选择一个等次".to_owned());
        }
    }
    let missing: Vec<&str> =
        graded.iter().zip(&chosen).filter(|(_, c)| c.is_none()).map(|(m, _)| m.name.as_str()).collect();
    if error.is_none() && !missing.is_empty() {
        error = Some(format!("请为每位党员选择一个等次，尚未选择：{}", missing.join("、")));
    }
    match error {
        None => Ok(graded.iter().zip(chosen).filter_map(|(m, c)| c.map(|g| (m.id.clone(), g))).collect()),
        Some(message) => Err((message, views(graded, &chosen))),
    }
}

fn views(graded: &[Member], chosen: &[Option<Grade>]) -> Vec<GradedView> {
    graded
        .iter()
        .zip(chosen.iter().chain(std::iter::repeat(&None)))
        .map(|(m, c)| GradedView { id: m.id.clone(), name: m.name.clone(), chosen: c.map(Grade::code) })
        .collect()
}

/// Why a ballot was not counted.
enum Refused {
    /// Voted already, or the code was used.
    Again,
    /// The round closed (or was voided) meanwhile.
    Closed,
    /// The ballots of the round are no longer in this process (a restart, or another process took it).
    Lost,
}

impl Refused {
    fn error(&self, again: &str) -> AppError {
        AppError::Conflict(match self {
            Self::Again => again.to_owned(),
            Self::Closed => "本轮投票已经结束，选票未计入".to_owned(),
            Self::Lost => "服务器在投票期间重启或切换，本轮已投的选票无法计入，请告知书记重新组织投票".to_owned(),
        })
    }
}

/// Sets the voter's or the code's flag and puts the ballot in the box, under the box's lock.
async fn cast(
    state: &AppState,
    round: &BallotRound,
    choices: &[(String, Grade)],
    flag: impl AsyncFnOnce(&str) -> Result<bool, StoreError>,
) -> Result<Result<(), Refused>, AppError> {
    if !round.is_open() {
        return Ok(Err(Refused::Closed));
    }
    let boxes = &state.ballot_boxes;
    let shared = match boxes.find(state, round).await? {
        BoxState::Ready(shared) => shared,
        BoxState::Lost { .. } => return Ok(Err(Refused::Lost)),
    };
    let mut ballot_box = shared.lock().await;
    if ballot_box.closed {
        return Ok(Err(Refused::Closed));
    }
    if flag(boxes.instance()).await? {
        ballot_box.add(choices);
        return Ok(Ok(()));
    }
    let now = state.store.ballot_round(&round.id).await?;
    Ok(Err(if !now.is_open() {
        Refused::Closed
    } else if now.holder != boxes.instance() {
        boxes.remove(&round.id);
        Refused::Lost
    } else {
        Refused::Again
    }))
}

/// The open round `id` in which the signed-in member votes by phone.
async fn phone_round(state: &AppState, user: &CurrentUser, id: &str) -> Result<(BallotRound, bool), AppError> {
    let member_id = user.account.member_id.as_deref().ok_or(AppError::NotFound)?;
    let round = match state.store.ballot_round(id).await {
        Ok(round) => round,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let voter = state.store.round_voters(&round.id).await?.into_iter().find(|v| v.member_id == member_id);
    match voter {
        Some(v) if v.channel == Channel::Phone => Ok((round, v.voted)),
        _ => {
            user.audit(state, "access_denied", Some(&format!("ballot:{}", round.id)), "denied", "不是本轮的手机投票人")
                .await?;
            Err(AppError::NotFound)
        }
    }
}

fn respond(
    htmx: &HtmxRequest,
    user: Option<&CurrentUser>,
    page: &BallotPage,
    status: StatusCode,
) -> Result<Response, AppError> {
    let view = user.map(CurrentUser::view);
    let mut response = render(htmx, "民主测评", view.as_ref(), page)?;
    *response.status_mut() = status;
    Ok(response)
}

pub(super) async fn phone_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (round, voted) = phone_round(&state, &user, &id).await?;
    let done = if voted {
        Some("您已经投过票了，每人只能投一次。")
    } else if !round.is_open() {
        Some("本轮投票已经结束。")
    } else {
        None
    };
    let graded = graded_members(&state, &round).await?;
    let page = BallotPage {
        action: format!("/ballots/{}", round.id),
        csrf: user.csrf.as_str().to_owned(),
        code: None,
        graded: views(&graded, &[]),
        grades: grades(),
        error: None,
        done,
    };
    respond(&htmx, Some(&user), &page, StatusCode::OK)
}

pub(super) async fn phone_vote(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_csrf(&user, field(&fields, "csrf"))?;
    let (round, _) = phone_round(&state, &user, &id).await?;
    let graded = graded_members(&state, &round).await?;
    let mut page = BallotPage {
        action: format!("/ballots/{}", round.id),
        csrf: user.csrf.as_str().to_owned(),
        code: None,
        graded: Vec::new(),
        grades: grades(),
        error: None,
        done: None,
    };
    let choices = match parse_ballot(&fields, &graded) {
        Ok(choices) => choices,
        Err((message, shown)) => {
            page.error = Some(message);
            page.graded = shown;
            return respond(&htmx, Some(&user), &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let member_id = user.account.member_id.clone().unwrap_or_default();
    let store = state.store.clone();
    let round_id = round.id.clone();
    let outcome =
        cast(&state, &round, &choices, async move |holder: &str| store.mark_voted(&round_id, &member_id, holder).await)
            .await?;
    if let Err(refused) = outcome {
        let target = format!("ballot:{}", round.id);
        user.audit(&state, "ballot.cast", Some(&target), "denied", "").await?;
        return Err(refused.error("您已经投过票了，每人只能投一次"));
    }
    // When, and that this member voted, is participation and is recorded; what they chose is not.
    user.audit(&state, "ballot.cast", Some(&format!("ballot:{}", round.id)), "ok", "").await?;
    page.done = Some("投票成功，您的选票已投入票箱。测评结果在投票结束后由支部公布。");
    respond(&htmx, Some(&user), &page, StatusCode::OK)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

pub(super) async fn code_page(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let csrf = pre_session_token(&headers, state.config.behind_tls)?;
    let page = CodeEntryPage { csrf: csrf.token.as_str().to_owned(), error: None };
    Ok(csrf.attach(render(&htmx, "民主测评", None, &page)?))
}

/// The open round a typed code belongs to, and whether the code was used.
async fn code_round(state: &AppState, typed: &str) -> Result<Option<(BallotRound, String, bool)>, AppError> {
    let Some(code) = normalize_code(typed) else { return Ok(None) };
    for (round_id, salt) in state.store.open_code_rounds().await? {
        let hash = code_hash(&salt, &code);
        if let Some(used) = state.store.ballot_code(&round_id, &hash).await? {
            return Ok(Some((state.store.ballot_round(&round_id).await?, hash, used)));
        }
    }
    Ok(None)
}

fn code_error(state: &AppState, htmx: &HtmxRequest, headers: &HeaderMap, message: &str) -> Result<Response, AppError> {
    let csrf = pre_session_token(headers, state.config.behind_tls)?;
    let page = CodeEntryPage { csrf: csrf.token.as_str().to_owned(), error: Some(message.to_owned()) };
    let mut response = csrf.attach(render(htmx, "民主测评", None, &page)?);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

const WRONG_CODE: &str = "投票码不正确，或本轮投票已经结束。请核对纸条上的投票码后重新输入";
const USED_CODE: &str = "这个投票码已经使用过，每个投票码只能投一次";

pub(super) async fn code_enter(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    verify_pre_session(&headers, field(&fields, "csrf"))?;
    let Some((round, _, used)) = code_round(&state, field(&fields, "code")).await? else {
        return code_error(&state, &htmx, &headers, WRONG_CODE);
    };
    if used {
        return code_error(&state, &htmx, &headers, USED_CODE);
    }
    let graded = graded_members(&state, &round).await?;
    let page = BallotPage {
        action: "/ballot/vote".to_owned(),
        csrf: field(&fields, "csrf").to_owned(),
        code: normalize_code(field(&fields, "code")),
        graded: views(&graded, &[]),
        grades: grades(),
        error: None,
        done: None,
    };
    respond(&htmx, None, &page, StatusCode::OK)
}

pub(super) async fn code_vote(
    State(state): State<AppState>,
    htmx: HtmxRequest,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    verify_pre_session(&headers, field(&fields, "csrf"))?;
    let Some((round, hash, used)) = code_round(&state, field(&fields, "code")).await? else {
        return code_error(&state, &htmx, &headers, WRONG_CODE);
    };
    if used {
        return code_error(&state, &htmx, &headers, USED_CODE);
    }
    let graded = graded_members(&state, &round).await?;
    let mut page = BallotPage {
        action: "/ballot/vote".to_owned(),
        csrf: field(&fields, "csrf").to_owned(),
        code: normalize_code(field(&fields, "code")),
        graded: Vec::new(),
        grades: grades(),
        error: None,
        done: None,
    };
    let choices = match parse_ballot(&fields, &graded) {
        Ok(choices) => choices,
        Err((message, shown)) => {
            page.error = Some(message);
            page.graded = shown;
            return respond(&htmx, None, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let store = state.store.clone();
    let round_id = round.id.clone();
    let outcome =
        cast(&state, &round, &choices, async move |holder: &str| store.use_code(&round_id, &hash, holder).await)
            .await?;
    // A code ballot is recorded as a ballot in the round, with no account, address or code.
    let target = format!("ballot:{}", round.id);
    let entry = NewAuditEntry {
        at: state.clock.now_ms(),
        account_id: None,
        action: "ballot.cast_code",
        target: Some(&target),
        source_ip: None,
        outcome: if outcome.is_ok() { "ok" } else { "denied" },
        detail: "",
    };
    state.store.append_audit(&entry).await?;
    if let Err(refused) = outcome {
        return Err(refused.error(USED_CODE));
    }
    page.code = None;
    page.done = Some("投票成功，您的选票已投入票箱。请将纸条交回或销毁。");
    respond(&htmx, None, &page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_fifty_bits_in_an_unambiguous_alphabet() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), CODE_LENGTH);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        assert!((CODE_LENGTH as f64) * (CODE_ALPHABET.len() as f64).log2() >= 40.0);
        assert_ne!(new_code().unwrap(), code);
    }

    #[test]
    fn typed_codes_forgive_case_dashes_and_look_alikes() {
        assert_eq!(normalize_code("ab1cd-efg2h").as_deref(), Some("AB1CDEFG2H"));
        assert_eq!(normalize_code(" o0il1 22334 ").as_deref(), Some("0011122334"));
        assert_eq!(normalize_code("ABCDE"), None);
        assert_eq!(normalize_code("UUUUUUUUUU"), None, "U is not in the alphabet");
        assert_eq!(printed("ABCDEFGHJK"), "ABCDE-FGHJK");
    }

    #[test]
    fn code_hashes_depend_on_the_salt() {
        assert_ne!(code_hash("a", "ABCDEFGHJK"), code_hash("b", "ABCDEFGHJK"));
        assert_eq!(code_hash("a", "ABCDEFGHJK").len(), 64);
    }

    fn member(id: &str, name: &str) -> Member {
        Member {
            id: id.into(),
            org_id: "o".into(),
            name: name.into(),
            standing: mingjing_storage::Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
            committee_post: None,
            id_number: None,
            gender: None,
            birth_date: None,
            ethnicity: None,
            education: None,
        }
    }

    #[test]
    fn a_ballot_is_checked_whole() {
        let graded = [member("a", "甲"), member("b", "乙")];
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let ok = parse_ballot(&f(&[("csrf", "x"), ("g_a", "excellent"), ("g_b", "competent")]), &graded).unwrap();
        assert_eq!(ok, vec![("a".to_owned(), Grade::Excellent), ("b".to_owned(), Grade::Competent)]);
        let (missing, shown) = parse_ballot(&f(&[("g_a", "excellent")]), &graded).unwrap_err();
        assert!(missing.contains('乙') && !missing.contains('甲'), "{missing}");
        assert_eq!(shown[0].chosen, Some("excellent"), "what was chosen comes back");
        let (twice, _) =
            parse_ballot(&f(&[("g_a", "excellent"), ("g_a", "competent"), ("g_b", "competent")]), &graded).unwrap_err();
        assert!(twice.contains("只能选择一个"), "{twice}");
        assert!(parse_ballot(&f(&[("g_a", "excellent"), ("g_b", "best")]), &graded).is_err());
        assert!(
            parse_ballot(&f(&[("g_a", "excellent"), ("g_b", "competent"), ("g_z", "competent")]), &graded).is_err()
        );
    }
}
