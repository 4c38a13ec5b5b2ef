//! After the rush, the database read through the store: every acknowledged draft and submission there word for
//! word under the version it was acknowledged as, the submitted version reviewed; every acknowledged approval or
//! return recorded with its reviewer and version; every acknowledged ballot in the closed round's result.

use std::collections::HashMap;

use anyhow::Result;
use mingjing_storage::{Decision, MaterialStatus, Store};

use super::run::{BallotSeen, Decided, Outcome, Submitted};

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub submissions: usize,
    pub decisions: usize,
    pub ballots: usize,
    /// Materials in the database past their draft (acknowledged or not).
    pub stored_submissions: usize,
    /// Every acknowledged write not found as acknowledged.
    pub lost: Vec<String>,
}

/// Checks every acknowledged write of `outcome` against the database.
pub async fn verify(store: &Store, campaign_id: &str, outcome: &Outcome) -> Result<Verdict> {
    let mut verdict = Verdict::default();
    let mut accounts: HashMap<String, (String, Option<String>)> = HashMap::new();
    for ack in &outcome.submitted {
        if let Some(problem) = submission(store, campaign_id, ack, &mut accounts).await? {
            verdict.lost.push(problem);
        }
        verdict.submissions += 1;
    }
    for ack in &outcome.decided {
        if let Some(problem) = decision(store, ack, &mut accounts).await? {
            verdict.lost.push(problem);
        }
        verdict.decisions += 1;
    }
    if let Some(seen) = &outcome.ballot {
        verdict.lost.extend(ballots(store, seen).await?);
        verdict.ballots = seen.phone_ballots + seen.code_ballots;
    }
    let county_root = store.account_by_login(super::seed::ADMIN_LOGIN).await?;
    if let Some(admin) = county_root {
        let county = store.org(&admin.org_id).await?;
        verdict.stored_submissions = store
            .materials_under(campaign_id, &county.path)
            .await?
            .iter()
            .filter(|m| m.status != MaterialStatus::Draft)
            .count();
    }
    Ok(verdict)
}

/// An account's id and member id, looked up once.
async fn account(
    store: &Store,
    login: &str,
    cache: &mut HashMap<String, (String, Option<String>)>,
) -> Result<Option<(String, Option<String>)>> {
    if let Some(found) = cache.get(login) {
        return Ok(Some(found.clone()));
    }
    let Some(a) = store.account_by_login(login).await? else { return Ok(None) };
    cache.insert(login.to_owned(), (a.id.clone(), a.member_id.clone()));
    Ok(Some((a.id, a.member_id)))
}

async fn submission(
    store: &Store,
    campaign_id: &str,
    ack: &Submitted,
    cache: &mut HashMap<String, (String, Option<String>)>,
) -> Result<Option<String>> {
    let who = &ack.login;
    let Some((_, Some(member_id))) = account(store, who, cache).await? else {
        return Ok(Some(format!("{who}: no member account")));
    };
    let Some(material) = store.material_of(campaign_id, &member_id).await? else {
        return Ok(Some(format!("{who}: no material at all")));
    };
    if material.version != ack.version || material.status == MaterialStatus::Draft {
        return Ok(Some(format!(
            "{who}: the material is at version {} ({:?}), the submission was version {}",
            material.version, material.status, ack.version
        )));
    }
    for (version, text, what) in [(ack.draft_version, &ack.draft, "draft"), (ack.version, &ack.body, "submission")] {
        match store.material_version(&material.id, version).await {
            Ok(kept) if kept.body == *text => {}
            Ok(_) => return Ok(Some(format!("{who}: the {what} (version {version}) differs from what was sent"))),
            Err(e) => return Ok(Some(format!("{who}: the {what} (version {version}) is missing: {e}"))),
        }
    }
    match store.review_of(&material.id, ack.version).await? {
        Some(review) if serde_json::from_str::<serde_json::Value>(&review.report).is_ok() => Ok(None),
        Some(_) => Ok(Some(format!("{who}: the stored review of version {} does not parse", ack.version))),
        None => Ok(Some(format!("{who}: no stored review of version {}", ack.version))),
    }
}

async fn decision(
    store: &Store,
    ack: &Decided,
    cache: &mut HashMap<String, (String, Option<String>)>,
) -> Result<Option<String>> {
    let Some((reviewer, _)) = account(store, &ack.secretary, cache).await? else {
        return Ok(Some(format!("{}: no account", ack.secretary)));
    };
    let wanted = if ack.approve { Decision::Approve } else { Decision::Return };
    let found = store
        .approvals_of(&ack.material_id)
        .await?
        .iter()
        .any(|a| a.version == ack.version && a.decision == wanted && a.reviewer_id == reviewer);
    if !found {
        return Ok(Some(format!(
            "{}'s {:?} of material {} version {} is not recorded",
            ack.secretary, wanted, ack.material_id, ack.version
        )));
    }
    let status = store.material(&ack.material_id).await?.status;
    let expected = if ack.approve { MaterialStatus::Approved } else { MaterialStatus::Returned };
    if status != expected {
        return Ok(Some(format!("material {} is {status:?} after a {wanted:?}", ack.material_id)));
    }
    Ok(None)
}

async fn ballots(store: &Store, seen: &BallotSeen) -> Result<Vec<String>> {
    let mut lost = Vec::new();
    let round = store.ballot_round(&seen.round_id).await?;
    if !seen.closed || !round.is_closed() {
        lost.push(format!("the round is {} (closing acknowledged: {})", round.status, seen.closed));
        return Ok(lost);
    }
    let acknowledged = i64::try_from(seen.phone_ballots + seen.code_ballots)?;
    if round.ballots != acknowledged {
        lost.push(format!("the round counted {} ballots, {acknowledged} were acknowledged", round.ballots));
    }
    let flagged = store.ballots_cast(&round.id).await?;
    if flagged != acknowledged {
        lost.push(format!("{flagged} voters and codes are marked as voted, {acknowledged} ballots acknowledged"));
    }
    let (_, used) = store.round_codes(&round.id).await?;
    if used != i64::try_from(seen.code_ballots)? {
        lost.push(format!("{used} codes used, {} code ballots acknowledged", seen.code_ballots));
    }
    let results = store.ballot_results(&round.id).await?;
    let graded = i64::try_from(results.counts.len())?;
    if results.choices != acknowledged * graded {
        lost.push(format!("{} choices stored, {acknowledged} ballots × {graded} graded expected", results.choices));
    }
    for (member_id, counts) in &results.counts {
        let expected = seen.expected.get(member_id).copied().unwrap_or_default();
        if *counts != expected {
            lost.push(format!("member {member_id}: counted {counts:?}, acknowledged {expected:?}"));
        }
    }
    if seen.expected.keys().any(|id| !results.counts.iter().any(|(m, _)| m == id)) {
        lost.push("a member voted on is missing from the result".to_owned());
    }
    Ok(lost)
}
