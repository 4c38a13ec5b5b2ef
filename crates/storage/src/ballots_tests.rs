//! The ballot's storage rules on both backends: one vote per voter and per code, closing once, and choices stored
//! with nothing that links them to a voter.

use sqlx::{Connection, Row};

use super::*;
use crate::testing::{TestDb, each_backend};
use crate::{Backend, NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing};

/// A branch with `n` members, an account to open rounds with, and a campaign.
async fn branch(store: &Store, n: usize) -> Result<(String, String, String, Vec<String>), StoreError> {
    let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
    let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 1).await?;
    let mut members = Vec::new();
    for i in 0..n {
        let name = format!("党员{i}");
        let new = NewMember {
            org_id: &branch.id,
            name: &name,
            standing: Standing::Full,
            joined_on: None,
            post: None,
            phone: None,
            leading_cadre: false,
        };
        members.push(store.add_member(&new, 1).await?.id);
    }
    let account = store
        .create_account(
            &NewAccount {
                login: "shuji",
                phone: None,
                display_name: "书记",
                role: Role::Secretary,
                org_id: &branch.id,
                member_id: None,
                password_hash: "x",
                must_change_password: false,
            },
            1,
        )
        .await?;
    let campaign = store
        .create_campaign(
            &NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "id = \"x\"" },
            1,
        )
        .await?;
    Ok((campaign.id, branch.id, account.id, members))
}

fn new_round<'a>(
    campaign: &'a str,
    org: &'a str,
    by: &'a str,
    voters: &'a [(String, Channel)],
    graded: &'a [String],
    codes: &'a [String],
) -> NewRound<'a> {
    NewRound {
        campaign_id: campaign,
        org_id: org,
        method: BallotMethod::Online,
        code_salt: "salt",
        holder: "process-a",
        eligible: i64::try_from(voters.len()).unwrap_or(0),
        opened_by: by,
        voters,
        graded,
        code_hashes: codes,
    }
}

#[tokio::test]
async fn one_vote_per_voter_and_per_code_and_one_open_round_per_branch() {
    each_backend(|store| async move {
        let (campaign, org, by, members) = branch(&store, 3).await?;
        let voters = vec![(members[0].clone(), Channel::Phone), (members[1].clone(), Channel::Code)];
        let codes = vec!["hash-1".to_owned()];
        let round = store.open_round(&new_round(&campaign, &org, &by, &voters, &members, &codes), 10).await?;
        let again = store.open_round(&new_round(&campaign, &org, &by, &voters, &members, &codes), 11).await;
        assert!(matches!(again, Err(StoreError::State(s)) if s == ROUND_ALREADY_OPEN));

        assert!(!store.mark_voted(&round.id, &members[0], "process-b").await?, "only the holder takes votes");
        assert!(store.mark_voted(&round.id, &members[0], "process-a").await?);
        assert!(!store.mark_voted(&round.id, &members[0], "process-a").await?, "twice");
        assert!(!store.mark_voted(&round.id, &members[1], "process-a").await?, "a code voter has no phone vote");
        assert!(!store.mark_voted(&round.id, &members[2], "process-a").await?, "not present");
        assert_eq!(store.ballot_code(&round.id, "hash-1").await?, Some(false));
        assert!(store.use_code(&round.id, "hash-1", "process-a").await?);
        assert!(!store.use_code(&round.id, "hash-1", "process-a").await?, "reused");
        assert!(!store.use_code(&round.id, "hash-2", "process-a").await?, "unknown");
        assert_eq!(store.ballots_cast(&round.id).await?, 2);
        assert_eq!(store.round_codes(&round.id).await?, (1, 1));
        assert!(!store.take_over_round(&round.id, "process-a", "process-b").await?, "ballots were cast");

        let choices: Vec<(String, Grade)> =
            members.iter().flat_map(|m| [(m.clone(), Grade::Excellent), (m.clone(), Grade::Competent)]).collect();
        assert!(matches!(store.close_round(&round.id, "process-b", 2, &choices, 20).await, Err(StoreError::State(_))));
        store.close_round(&round.id, "process-a", 2, &choices, 20).await?;
        assert!(matches!(store.close_round(&round.id, "process-a", 2, &choices, 21).await, Err(StoreError::State(_))));
        assert!(!store.mark_voted(&round.id, &members[0], "process-a").await?, "closed");
        let results = store.ballot_results(&round.id).await?;
        assert_eq!(results.choices, 6);
        assert!(results.counts.iter().all(|(_, c)| *c == [1, 1, 0, 0]), "{results:?}");
        // A new round may open once the last one closed.
        store.open_round(&new_round(&campaign, &org, &by, &voters, &members, &[]), 30).await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_unused_round_can_be_taken_over_and_voided() {
    each_backend(|store| async move {
        let (campaign, org, by, members) = branch(&store, 2).await?;
        let voters = vec![(members[0].clone(), Channel::Phone)];
        let round = store.open_round(&new_round(&campaign, &org, &by, &voters, &members, &[]), 10).await?;
        assert!(store.take_over_round(&round.id, "process-a", "process-b").await?);
        assert!(!store.mark_voted(&round.id, &members[0], "process-a").await?);
        assert!(store.mark_voted(&round.id, &members[0], "process-b").await?);
        store.void_round(&round.id, 20).await?;
        assert!(matches!(store.void_round(&round.id, 21).await, Err(StoreError::State(_))));
        assert_eq!(store.ballot_round(&round.id).await?.status, "void");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn paper_totals_are_stored_per_member_and_grade() {
    each_backend(|store| async move {
        let (campaign, org, by, members) = branch(&store, 2).await?;
        let voters: Vec<(String, Channel)> = members.iter().map(|m| (m.clone(), Channel::Paper)).collect();
        let mut new = new_round(&campaign, &org, &by, &voters, &members, &[]);
        new.method = BallotMethod::Paper;
        let round = store.open_round(&new, 10).await?;
        let tallies = vec![(members[0].clone(), [1, 1, 0, 0]), (members[1].clone(), [0, 1, 1, 0])];
        store.close_paper_round(&round.id, 2, &tallies, 20).await?;
        let results = store.ballot_results(&round.id).await?;
        assert_eq!(results.counts, tallies);
        assert_eq!(results.choices, 0, "paper rounds store totals, not choices");
        Ok(())
    })
    .await;
}

/// The choices of a round as the database holds them, in physical order: the table scanned without ORDER BY on
/// SQLite (a WITHOUT ROWID table is stored in key order), by ctid on PostgreSQL.
pub(crate) async fn physical_choices(url: &str, round_id: &str) -> Vec<(String, String)> {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let sql = if url.starts_with("sqlite:") {
        "SELECT member_id, grade FROM ballot_choices WHERE round_id = $1"
    } else {
        "SELECT member_id, grade FROM ballot_choices WHERE round_id = $1 ORDER BY ctid"
    };
    let rows = sqlx::query(sql).bind(round_id).fetch_all(&mut conn).await.unwrap();
    rows.iter().map(|r| (r.get("member_id"), r.get("grade"))).collect()
}

/// The columns of the choices table.
pub(crate) async fn choice_columns(url: &str) -> Vec<String> {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let sql = if url.starts_with("sqlite:") {
        "SELECT name FROM pragma_table_info('ballot_choices') ORDER BY name"
    } else {
        "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns WHERE table_name = 'ballot_choices' \
         ORDER BY 1"
    };
    sqlx::query(sql).fetch_all(&mut conn).await.unwrap().iter().map(|r| r.get::<String, _>("name")).collect()
}

#[tokio::test]
async fn stored_choices_carry_no_voter_time_or_voting_order() {
    for db in [TestDb::sqlite(), TestDb::postgres().await] {
        let store = db.store().await;
        let (campaign, org, by, members) = branch(&store, 4).await.unwrap();
        let voters: Vec<(String, Channel)> = members.iter().map(|m| (m.clone(), Channel::Phone)).collect();
        let mut differs = 0;
        for trial in 0..5 {
            let round =
                store.open_round(&new_round(&campaign, &org, &by, &voters, &members, &[]), trial).await.unwrap();
            // Ballots in voting order: voter k gives every member grade k, so the voting order would show as
            // blocks of one grade.
            let in_voting_order: Vec<(String, Grade)> =
                Grade::ALL.into_iter().flat_map(|g| members.iter().map(move |m| (m.clone(), g))).collect();
            store.close_round(&round.id, "process-a", 4, &in_voting_order, trial + 1).await.unwrap();
            let stored = physical_choices(&db.url, &round.id).await;
            let voting: Vec<(String, String)> =
                in_voting_order.iter().map(|(m, g)| (m.clone(), g.code().to_owned())).collect();
            let mut sorted_stored = stored.clone();
            sorted_stored.sort();
            let mut sorted_voting = voting.clone();
            sorted_voting.sort();
            assert_eq!(sorted_stored, sorted_voting, "every choice is stored once");
            if stored != voting {
                differs += 1;
            }
        }
        assert!(
            differs >= 4,
            "{:?}: physical order followed the voting order in {} of 5 rounds",
            store.backend(),
            5 - differs
        );
        assert_eq!(choice_columns(&db.url).await, ["grade", "member_id", "round_id", "shuffle_key"]);
        if store.backend() == Backend::Sqlite {
            let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
            let rowid = sqlx::query("SELECT rowid FROM ballot_choices").fetch_all(&mut conn).await;
            assert!(rowid.is_err(), "a WITHOUT ROWID table has no rowid");
        }
        store.close().await;
        db.remove().await;
    }
}
