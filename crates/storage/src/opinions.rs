//! 征求意见: opinion channels (one per campaign and organization, reached by a random token
//! without signing in), the anonymous opinions left through them, the summaries a
//! secretary relays to members, and each campaign's visibility threshold k.
//!
//! An opinion keeps only its addressee, its text and its day. Its key is random, and every
//! new opinion rewrites the channel's rows of its day in one transaction under fresh random
//! keys, in the order of those keys: neither the keys, nor the rows' order on disk, nor (on
//! PostgreSQL) their transaction ids tell which of a day's opinions came first.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, flag, new_id};

/// A member sees opinions about themselves once at least this many exist, unless the
/// campaign sets another threshold.
pub const DEFAULT_OPINION_THRESHOLD: i64 = 5;
/// No campaign may set a lower threshold: with fewer, a member could guess who wrote what.
pub const MIN_OPINION_THRESHOLD: i64 = 3;
/// Why an opinion or a threshold was refused; the web layer says it in Chinese.
pub const CHANNEL_CLOSED: &str = "channel_closed";
pub const THRESHOLD_TOO_LOW: &str = "threshold_too_low";

/// An organization's opinion channel for a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionChannel {
    pub id: String,
    pub campaign_id: String,
    pub org_id: String,
    /// The secret part of the public link.
    pub token: String,
    pub open: bool,
    pub updated_at: i64,
}

/// One opinion as stored: nothing about who gave it, and only the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    /// The member it is addressed to; `None`: the branch committee.
    pub member_id: Option<String>,
    pub body: String,
    /// `YYYY-MM-DD`.
    pub day: String,
}

/// The summary of the opinions about a member that the secretary relays to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionSummary {
    pub member_id: String,
    pub body: String,
    pub version: i64,
    pub updated_at: i64,
}

macro_rules! channel_columns {
    () => {
        "id, campaign_id, org_id, token, is_open, updated_at"
    };
}

fn channel(row: &AnyRow) -> Result<OpinionChannel, StoreError> {
    Ok(OpinionChannel {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        token: row.try_get("token")?,
        open: flag(row.try_get("is_open")?),
        updated_at: row.try_get("updated_at")?,
    })
}

fn opinion(row: &AnyRow) -> Result<Opinion, StoreError> {
    Ok(Opinion { member_id: row.try_get("member_id")?, body: row.try_get("body")?, day: row.try_get("day")? })
}

/// A key that says nothing about when it was made: 128 random bits (UUIDv4, 122 of them
/// random), unlike the time-ordered ids of everything else.
fn random_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Store {
    /// Opens the organization's channel for the campaign: creates it with `token` the first
    /// time, reopens it (keeping its first token, so printed QR codes stay valid) after.
    pub async fn open_opinion_channel(
        &self,
        campaign_id: &str,
        org_id: &str,
        token: &str,
        now: i64,
    ) -> Result<OpinionChannel, StoreError> {
        if let Some(existing) = self.opinion_channel(campaign_id, org_id).await? {
            self.set_opinion_channel_open(&existing.id, true, now).await?;
            return Ok(OpinionChannel { open: true, updated_at: now, ..existing });
        }
        let inserted = sqlx::query(
            "INSERT INTO opinion_channels (id, campaign_id, org_id, token, is_open, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $5)",
        )
        .bind(new_id())
        .bind(campaign_id)
        .bind(org_id)
        .bind(token)
        .bind(now)
        .execute(self.pool())
        .await;
        match inserted.map_err(StoreError::from) {
            // Opened at the same moment in another tab: that channel is the one.
            Ok(_) | Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e),
        }
        let channel = self.opinion_channel(campaign_id, org_id).await?.ok_or(StoreError::NotFound)?;
        if !channel.open {
            self.set_opinion_channel_open(&channel.id, true, now).await?;
        }
        Ok(OpinionChannel { open: true, ..channel })
    }

    /// Closes or reopens a channel.
    pub async fn set_opinion_channel_open(&self, id: &str, open: bool, now: i64) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE opinion_channels SET is_open = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(i64::from(open))
            .bind(now)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// The organization's channel for the campaign, if one was ever opened.
    pub async fn opinion_channel(&self, campaign_id: &str, org_id: &str) -> Result<Option<OpinionChannel>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM opinion_channels WHERE campaign_id = $1 AND org_id = $2"
        ))
        .bind(campaign_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(channel).transpose()
    }

    /// The channel a public link names.
    pub async fn opinion_channel_by_token(&self, token: &str) -> Result<Option<OpinionChannel>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", channel_columns!(), " FROM opinion_channels WHERE token = $1"))
            .bind(token)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(channel).transpose()
    }

    /// Every channel of a campaign.
    pub async fn opinion_channels_of(&self, campaign_id: &str) -> Result<Vec<OpinionChannel>, StoreError> {
        let rows = sqlx::query(concat!("SELECT ", channel_columns!(), " FROM opinion_channels WHERE campaign_id = $1"))
            .bind(campaign_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(channel).collect()
    }

    /// Adds an opinion to an open channel, on `day` (`YYYY-MM-DD`), durably before it
    /// returns. The channel's rows of that day are rewritten with it in one transaction
    /// under fresh random keys, so no key, row position or transaction id orders them.
    /// A closed channel refuses with [`StoreError::State`]`(`[`CHANNEL_CLOSED`]`)`.
    pub async fn add_opinion(
        &self,
        channel_id: &str,
        member_id: Option<&str>,
        body: &str,
        day: &str,
    ) -> Result<(), StoreError> {
        self.retrying(|| self.add_opinion_once(channel_id, member_id, body, day)).await
    }

    async fn add_opinion_once(
        &self,
        channel_id: &str,
        member_id: Option<&str>,
        body: &str,
        day: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        // A write first: it takes the channel's row lock (PostgreSQL) or the write lock
        // (SQLite), so two submissions rewrite the day's rows one after the other, and it
        // checks that the channel is open. It changes nothing, so no time is recorded.
        let locked = sqlx::query("UPDATE opinion_channels SET is_open = is_open WHERE id = $1 AND is_open = 1")
            .bind(channel_id)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            drop(tx);
            return match self.opinion_channel_open(channel_id).await? {
                Some(_) => Err(StoreError::State(CHANNEL_CLOSED.to_owned())),
                None => Err(StoreError::NotFound),
            };
        }
        let rows = sqlx::query("SELECT member_id, body FROM opinions WHERE channel_id = $1 AND day = $2")
            .bind(channel_id)
            .bind(day)
            .fetch_all(&mut *tx)
            .await?;
        let mut day_rows: Vec<(String, Option<String>, String)> = rows
            .iter()
            .map(|row| Ok((random_key(), row.try_get("member_id")?, row.try_get("body")?)))
            .collect::<Result<_, StoreError>>()?;
        day_rows.push((random_key(), member_id.map(str::to_owned), body.to_owned()));
        // Written in the order of the new random keys: a shuffle.
        day_rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        sqlx::query("DELETE FROM opinions WHERE channel_id = $1 AND day = $2")
            .bind(channel_id)
            .bind(day)
            .execute(&mut *tx)
            .await?;
        for (key, member_id, body) in &day_rows {
            sqlx::query("INSERT INTO opinions (id, channel_id, member_id, body, day) VALUES ($1, $2, $3, $4, $5)")
                .bind(key)
                .bind(channel_id)
                .bind(member_id.as_deref())
                .bind(body)
                .bind(day)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether a channel is open; `None` if there is no such channel.
    async fn opinion_channel_open(&self, id: &str) -> Result<Option<bool>, StoreError> {
        let row = sqlx::query("SELECT is_open FROM opinion_channels WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok(flag(row.try_get("is_open")?))).transpose()
    }

    /// Every opinion given through a channel, in the order of their random keys.
    pub async fn opinions_of_channel(&self, channel_id: &str) -> Result<Vec<Opinion>, StoreError> {
        let rows = sqlx::query("SELECT member_id, body, day FROM opinions WHERE channel_id = $1 ORDER BY id")
            .bind(channel_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(opinion).collect()
    }

    /// Every opinion addressed to a member in a campaign, through any channel, in the
    /// order of their random keys.
    pub async fn opinions_about(&self, campaign_id: &str, member_id: &str) -> Result<Vec<Opinion>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.member_id, o.body, o.day FROM opinions o JOIN opinion_channels c ON c.id = o.channel_id \
             WHERE c.campaign_id = $1 AND o.member_id = $2 ORDER BY o.id",
        )
        .bind(campaign_id)
        .bind(member_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(opinion).collect()
    }

    /// The campaign's threshold k: its own setting or [`DEFAULT_OPINION_THRESHOLD`].
    pub async fn opinion_threshold(&self, campaign_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT threshold FROM campaign_opinion_settings WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get("threshold")).transpose()?.unwrap_or(DEFAULT_OPINION_THRESHOLD))
    }

    /// Sets the campaign's threshold; below [`MIN_OPINION_THRESHOLD`] it is refused with
    /// [`StoreError::State`]`(`[`THRESHOLD_TOO_LOW`]`)`.
    pub async fn set_opinion_threshold(&self, campaign_id: &str, threshold: i64, now: i64) -> Result<(), StoreError> {
        if threshold < MIN_OPINION_THRESHOLD {
            return Err(StoreError::State(THRESHOLD_TOO_LOW.to_owned()));
        }
        sqlx::query(
            "INSERT INTO campaign_opinion_settings (campaign_id, threshold, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (campaign_id) DO UPDATE SET threshold = excluded.threshold, updated_at = excluded.updated_at",
        )
        .bind(campaign_id)
        .bind(threshold)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The summary relayed to a member in a campaign, if the secretary wrote one.
    pub async fn opinion_summary(
        &self,
        campaign_id: &str,
        member_id: &str,
    ) -> Result<Option<OpinionSummary>, StoreError> {
        let row = sqlx::query(
            "SELECT member_id, body, version, updated_at FROM opinion_summaries WHERE campaign_id = $1 AND member_id = $2",
        )
        .bind(campaign_id)
        .bind(member_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(summary).transpose()
    }

    /// The summaries relayed to the members of an organization in a campaign.
    pub async fn opinion_summaries(&self, campaign_id: &str, org_id: &str) -> Result<Vec<OpinionSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.member_id, s.body, s.version, s.updated_at FROM opinion_summaries s \
             JOIN members m ON m.id = s.member_id WHERE s.campaign_id = $1 AND m.org_id = $2",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(summary).collect()
    }

    /// Saves the summary for a member if the stored version is still `seen` (0: none yet);
    /// returns the new version, or [`StoreError::Stale`] if someone saved in between.
    pub async fn save_opinion_summary(
        &self,
        campaign_id: &str,
        member_id: &str,
        seen: i64,
        body: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let done = if seen == 0 {
            sqlx::query(
                "INSERT INTO opinion_summaries (campaign_id, member_id, body, version, updated_at) \
                 VALUES ($1, $2, $3, 1, $4)",
            )
            .bind(campaign_id)
            .bind(member_id)
            .bind(body)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(StoreError::from)
            .map_err(|e| if matches!(e, StoreError::Duplicate(_)) { StoreError::Stale } else { e })?
        } else {
            sqlx::query(
                "UPDATE opinion_summaries SET body = $4, version = version + 1, updated_at = $5 \
                 WHERE campaign_id = $1 AND member_id = $2 AND version = $3",
            )
            .bind(campaign_id)
            .bind(member_id)
            .bind(seen)
            .bind(body)
            .bind(now)
            .execute(self.pool())
            .await?
        };
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        Ok(seen + 1)
    }
}

fn summary(row: &AnyRow) -> Result<OpinionSummary, StoreError> {
    Ok(OpinionSummary {
        member_id: row.try_get("member_id")?,
        body: row.try_get("body")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[cfg(test)]
#[path = "opinions_tests.rs"]
mod tests;
