//! The secret ballot (民主测评) as stored. Participation (who was present, who has voted, which codes were used) and
//! the choices live in separate tables; the choices are written only when a round closes, in one transaction, in an
//! order drawn at random, with no ballot id, voter, code or time, so the database never links a choice to a voter.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::appraisal::grade;
use crate::{Grade, Store, StoreError, flag, new_id};

/// Why a ballot write was refused; the web layer says it in Chinese.
pub const ROUND_ALREADY_OPEN: &str = "round_already_open";
pub const ROUND_NOT_OPEN: &str = "round_not_open";

/// How a round's ballots are cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotMethod {
    /// On phones (signed in) and with printed single-use codes.
    Online,
    /// On paper, counted by hand; the secretary enters the totals.
    Paper,
}

impl BallotMethod {
    pub fn code(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Paper => "paper",
        }
    }
}

/// How a present member votes in an online round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Signed in, on their own phone.
    Phone,
    /// With a code slip drawn from the box.
    Code,
    /// On a paper ballot, counted by hand.
    Paper,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Code => "code",
            Self::Paper => "paper",
        }
    }
}

/// A ballot round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotRound {
    pub id: String,
    pub campaign_id: String,
    pub org_id: String,
    pub method: BallotMethod,
    /// `open`, `closed` or `void`.
    pub status: String,
    pub code_salt: String,
    pub holder: String,
    pub eligible: i64,
    pub ballots: i64,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
}

impl BallotRound {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }

    pub fn is_closed(&self) -> bool {
        self.status == "closed"
    }
}

fn round(row: &AnyRow) -> Result<BallotRound, StoreError> {
    let method: String = row.try_get("method")?;
    Ok(BallotRound {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        method: if method == "paper" { BallotMethod::Paper } else { BallotMethod::Online },
        status: row.try_get("status")?,
        code_salt: row.try_get("code_salt")?,
        holder: row.try_get("holder")?,
        eligible: row.try_get("eligible")?,
        ballots: row.try_get("ballots")?,
        opened_at: row.try_get("opened_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

macro_rules! round_columns {
    () => {
        "id, campaign_id, org_id, method, status, code_salt, holder, eligible, ballots, opened_at, closed_at"
    };
}

/// What it takes to open a round.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    pub campaign_id: &'a str,
    pub org_id: &'a str,
    pub method: BallotMethod,
    pub code_salt: &'a str,
    pub holder: &'a str,
    pub eligible: i64,
    pub opened_by: &'a str,
    /// The members present and how each votes.
    pub voters: &'a [(String, Channel)],
    /// The members graded, in ballot order.
    pub graded: &'a [String],
    /// SHA-256 hashes (hex) of the codes printed for the slip voters.
    pub code_hashes: &'a [String],
}

/// A present member's participation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotVoter {
    pub member_id: String,
    pub channel: Channel,
    pub voted: bool,
}

/// A closed round's counts: per graded member, votes per grade in [`Grade::ALL`] order; and how many choices are
/// stored, for the check choices = ballots × members graded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotResults {
    pub counts: Vec<(String, [i64; 4])>,
    pub choices: i64,
}

impl Store {
    /// Opens a round with its participation and codes in one transaction; [`ROUND_ALREADY_OPEN`] when the branch
    /// has an open round in the campaign.
    pub async fn open_round(&self, new: &NewRound<'_>, now: i64) -> Result<BallotRound, StoreError> {
        let id = new_id();
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO ballot_rounds (id, campaign_id, org_id, method, status, code_salt, holder, eligible, \
             ballots, opened_by, opened_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, 0, $8, $9)",
        )
        .bind(&id)
        .bind(new.campaign_id)
        .bind(new.org_id)
        .bind(new.method.code())
        .bind(new.code_salt)
        .bind(new.holder)
        .bind(new.eligible)
        .bind(new.opened_by)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted.map_err(StoreError::from) {
            Err(StoreError::Duplicate(_)) => return Err(StoreError::State(ROUND_ALREADY_OPEN.to_owned())),
            other => other?,
        };
        for (member_id, channel) in new.voters {
            sqlx::query("INSERT INTO ballot_voters (round_id, member_id, channel, voted) VALUES ($1, $2, $3, 0)")
                .bind(&id)
                .bind(member_id)
                .bind(channel.code())
                .execute(&mut *tx)
                .await?;
        }
        for (position, member_id) in new.graded.iter().enumerate() {
            sqlx::query("INSERT INTO ballot_graded (round_id, member_id, position) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(member_id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
        }
        for hash in new.code_hashes {
            sqlx::query("INSERT INTO ballot_codes (round_id, code_hash, used) VALUES ($1, $2, 0)")
                .bind(&id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.ballot_round(&id).await
    }

    pub async fn ballot_round(&self, id: &str) -> Result<BallotRound, StoreError> {
        let row = sqlx::query(concat!("SELECT ", round_columns!(), " FROM ballot_rounds WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        round(&row)
    }

    /// A branch's rounds in a campaign, newest first.
    pub async fn ballot_rounds(&self, campaign_id: &str, org_id: &str) -> Result<Vec<BallotRound>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            round_columns!(),
            " FROM ballot_rounds WHERE campaign_id = $1 AND org_id = $2 ORDER BY id DESC"
        ))
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(round).collect()
    }

    /// Every open online round that has codes, with its salt: where a typed code may belong.
    pub async fn open_code_rounds(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.code_salt FROM ballot_rounds r WHERE r.status = 'open' \
             AND EXISTS (SELECT 1 FROM ballot_codes c WHERE c.round_id = r.id)",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("code_salt")?))).collect()
    }

    /// Whether a code (by its hash) belongs to the round: `Some(used)`, or `None` for no such code.
    pub async fn ballot_code(&self, round_id: &str, code_hash: &str) -> Result<Option<bool>, StoreError> {
        let row = sqlx::query("SELECT used FROM ballot_codes WHERE round_id = $1 AND code_hash = $2")
            .bind(round_id)
            .bind(code_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get("used").map(flag)).transpose().map_err(Into::into)
    }

    /// The graded members of a round, in ballot order.
    pub async fn round_graded(&self, round_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT member_id FROM ballot_graded WHERE round_id = $1 ORDER BY position")
            .bind(round_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| r.try_get("member_id").map_err(Into::into)).collect()
    }

    pub async fn round_voters(&self, round_id: &str) -> Result<Vec<BallotVoter>, StoreError> {
        let rows =
            sqlx::query("SELECT member_id, channel, voted FROM ballot_voters WHERE round_id = $1 ORDER BY member_id")
                .bind(round_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                let channel: String = r.try_get("channel")?;
                Ok(BallotVoter {
                    member_id: r.try_get("member_id")?,
                    channel: match channel.as_str() {
                        "code" => Channel::Code,
                        "paper" => Channel::Paper,
                        _ => Channel::Phone,
                    },
                    voted: flag(r.try_get("voted")?),
                })
            })
            .collect()
    }

    /// How many codes a round has and how many were used.
    pub async fn round_codes(&self, round_id: &str) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(CASE WHEN used = 1 THEN 1 END) AS used FROM ballot_codes WHERE round_id = $1",
        )
        .bind(round_id)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("total")?, row.try_get("used")?))
    }

    /// Ballots cast so far: phone voters who voted and codes used.
    pub async fn ballots_cast(&self, round_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM ballot_voters WHERE round_id = $1 AND voted = 1) + \
             (SELECT COUNT(*) FROM ballot_codes WHERE round_id = $1 AND used = 1) AS cast_count",
        )
        .bind(round_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("cast_count")?)
    }

    /// Hands an open round with no ballots cast to another server process (after a restart): only if it is still
    /// held by `from` and nobody has voted, so ballots in another process's memory are never orphaned silently.
    pub async fn take_over_round(&self, round_id: &str, from: &str, to: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE ballot_rounds SET holder = $3 WHERE id = $1 AND holder = $2 AND status = 'open' \
             AND NOT EXISTS (SELECT 1 FROM ballot_voters WHERE round_id = $1 AND voted = 1) \
             AND NOT EXISTS (SELECT 1 FROM ballot_codes WHERE round_id = $1 AND used = 1)",
        )
        .bind(round_id)
        .bind(from)
        .bind(to)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a phone voter as having voted, once: `false` if they already had, are not a phone voter of the round,
    /// or the round is no longer open or no longer held by `holder`. One conditional statement, so two simultaneous
    /// submissions cannot both pass.
    pub async fn mark_voted(&self, round_id: &str, member_id: &str, holder: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE ballot_voters SET voted = 1 WHERE round_id = $1 AND member_id = $2 AND channel = 'phone' \
             AND voted = 0 AND EXISTS (SELECT 1 FROM ballot_rounds r WHERE r.id = $1 AND r.status = 'open' \
             AND r.holder = $3)",
        )
        .bind(round_id)
        .bind(member_id)
        .bind(holder)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses a code once: `false` if it was used already, is not the round's, or the round is no longer open or no
    /// longer held by `holder`.
    pub async fn use_code(&self, round_id: &str, code_hash: &str, holder: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE ballot_codes SET used = 1 WHERE round_id = $1 AND code_hash = $2 AND used = 0 \
             AND EXISTS (SELECT 1 FROM ballot_rounds r WHERE r.id = $1 AND r.status = 'open' AND r.holder = $3)",
        )
        .bind(round_id)
        .bind(code_hash)
        .bind(holder)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Closes an online round and writes its choices, one row per (member, grade) chosen, in one transaction. Each
    /// row gets a random key and the rows go in in key order, which is a random permutation, so neither the
    /// physical order nor any column follows the order of voting.
    pub async fn close_round(
        &self,
        round_id: &str,
        holder: &str,
        ballots: i64,
        choices: &[(String, Grade)],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut keyed: Vec<(String, &(String, Grade))> =
            choices.iter().map(|c| (uuid::Uuid::new_v4().simple().to_string(), c)).collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.pool().begin().await?;
        close_guarded(&mut tx, round_id, Some(holder), ballots, now).await?;
        for (key, (member_id, grade)) in keyed {
            sqlx::query("INSERT INTO ballot_choices (round_id, shuffle_key, member_id, grade) VALUES ($1, $2, $3, $4)")
                .bind(round_id)
                .bind(&key)
                .bind(member_id)
                .bind(grade.code())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Closes a paper round with the totals counted by hand: per member, votes per grade in [`Grade::ALL`] order.
    pub async fn close_paper_round(
        &self,
        round_id: &str,
        ballots: i64,
        tallies: &[(String, [i64; 4])],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        close_guarded(&mut tx, round_id, None, ballots, now).await?;
        for (member_id, counts) in tallies {
            for (grade, votes) in Grade::ALL.into_iter().zip(counts) {
                sqlx::query("INSERT INTO ballot_tallies (round_id, member_id, grade, votes) VALUES ($1, $2, $3, $4)")
                    .bind(round_id)
                    .bind(member_id)
                    .bind(grade.code())
                    .bind(*votes)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Voids an open round (to re-run it); its participation stays as a record, and no choice was ever written.
    pub async fn void_round(&self, round_id: &str, now: i64) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE ballot_rounds SET status = 'void', closed_at = $2 WHERE id = $1 AND status = 'open'")
                .bind(round_id)
                .bind(now)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::State(ROUND_NOT_OPEN.to_owned()));
        }
        Ok(())
    }

    /// A closed round's counts, from its choices (online) or its tallies (paper).
    pub async fn ballot_results(&self, round_id: &str) -> Result<BallotResults, StoreError> {
        let graded = self.round_graded(round_id).await?;
        let rows = sqlx::query(
            "SELECT member_id, grade, COUNT(*) AS votes FROM ballot_choices WHERE round_id = $1 \
             GROUP BY member_id, grade \
             UNION ALL SELECT member_id, grade, votes FROM ballot_tallies WHERE round_id = $1",
        )
        .bind(round_id)
        .fetch_all(self.pool())
        .await?;
        let mut counts: Vec<(String, [i64; 4])> = graded.into_iter().map(|m| (m, [0; 4])).collect();
        for row in &rows {
            let member_id: String = row.try_get("member_id")?;
            let code: String = row.try_get("grade")?;
            let votes: i64 = row.try_get("votes")?;
            if let Some((_, line)) = counts.iter_mut().find(|(m, _)| *m == member_id) {
                line[grade(&code)?.index()] += votes;
            }
        }
        let choices = sqlx::query("SELECT COUNT(*) AS n FROM ballot_choices WHERE round_id = $1")
            .bind(round_id)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        Ok(BallotResults { counts, choices })
    }
}

/// Moves a round from open to closed inside the closing transaction (only if `holder`, when given, still holds
/// it), or fails with [`ROUND_NOT_OPEN`].
async fn close_guarded(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    round_id: &str,
    holder: Option<&str>,
    ballots: i64,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE ballot_rounds SET status = 'closed', ballots = $2, closed_at = $3 WHERE id = $1 AND status = 'open' \
         AND ($4 IS NULL OR holder = $4)",
    )
    .bind(round_id)
    .bind(ballots)
    .bind(now)
    .bind(holder)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::State(ROUND_NOT_OPEN.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
#[path = "ballots_tests.rs"]
mod tests;
