//! Heart-to-heart talks (谈心谈话) of a branch in a campaign — the pair, the day, the points
//! raised — and each campaign's settings for which pairs must talk.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::study::{NOT_IN_BRANCH, count_in_branch};
use crate::{Store, StoreError, flag, new_id};

/// Why a talk was refused; the web layer says it in Chinese.
pub const TALK_WITH_SELF: &str = "talk_with_self";

/// A stored talk. The pair is kept with the smaller id first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Talk {
    pub id: String,
    pub campaign_id: String,
    pub org_id: String,
    pub first_member_id: String,
    pub second_member_id: String,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    /// Shown only to the two and to the branch secretary and superiors.
    pub points: String,
    pub version: i64,
    pub updated_at: i64,
}

impl Talk {
    /// Whether `member_id` is one of the two.
    pub fn involves(&self, member_id: &str) -> bool {
        self.first_member_id == member_id || self.second_member_id == member_id
    }
}

/// What a secretary records, and what an edit replaces; the two in either order.
#[derive(Debug, Clone, Copy)]
pub struct NewTalk<'a> {
    pub campaign_id: &'a str,
    pub org_id: &'a str,
    pub one: &'a str,
    pub other: &'a str,
    pub held_on: &'a str,
    pub points: &'a str,
}

impl NewTalk<'_> {
    fn pair(&self) -> (&str, &str) {
        if self.one <= self.other { (self.one, self.other) } else { (self.other, self.one) }
    }
}

/// Which pairs a campaign requires besides the secretary with everyone, which is always required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TalkSettings {
    /// 支委委员之间
    pub committee_pairs: bool,
    /// 支委委员与党员
    pub committee_with_members: bool,
    /// 党员之间
    pub member_pairs: bool,
    /// 0 until first saved.
    pub version: i64,
}

impl Default for TalkSettings {
    /// The rules as usually worded: every pair at least once a year.
    fn default() -> Self {
        Self { committee_pairs: true, committee_with_members: true, member_pairs: true, version: 0 }
    }
}

fn talk(row: &AnyRow) -> Result<Talk, StoreError> {
    Ok(Talk {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        first_member_id: row.try_get("first_member_id")?,
        second_member_id: row.try_get("second_member_id")?,
        held_on: row.try_get("held_on")?,
        points: row.try_get("points")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

macro_rules! talk_columns {
    () => {
        "id, campaign_id, org_id, first_member_id, second_member_id, held_on, points, version, updated_at"
    };
}

async fn check(conn: &mut sqlx::AnyConnection, new: &NewTalk<'_>) -> Result<(), StoreError> {
    if new.one == new.other {
        return Err(StoreError::State(TALK_WITH_SELF.to_owned()));
    }
    if count_in_branch(conn, new.org_id, &[new.one, new.other]).await? != 2 {
        return Err(StoreError::State(NOT_IN_BRANCH.to_owned()));
    }
    Ok(())
}

impl Store {
    /// Records a talk. `submission` is the recording form's own token: sent twice, the form records once, and the
    /// second call returns the first call's talk with `false`.
    pub async fn create_talk(
        &self,
        new: &NewTalk<'_>,
        submission: &str,
        author: &str,
        now: i64,
    ) -> Result<(Talk, bool), StoreError> {
        if let Some(id) = self.talk_by_submission(submission).await? {
            return Ok((self.talk(&id).await?, false));
        }
        match self.retrying(|| self.insert_talk(new, submission, author, now)).await {
            Ok(id) => Ok((self.talk(&id).await?, true)),
            Err(StoreError::Duplicate(_)) => match self.talk_by_submission(submission).await? {
                Some(id) => Ok((self.talk(&id).await?, false)),
                None => Err(StoreError::Duplicate("talks".to_owned())),
            },
            Err(e) => Err(e),
        }
    }

    async fn insert_talk(
        &self,
        new: &NewTalk<'_>,
        submission: &str,
        author: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        let mut tx = self.pool().begin().await?;
        check(&mut tx, new).await?;
        let id = new_id();
        let (first, second) = new.pair();
        sqlx::query(
            "INSERT INTO talks (id, campaign_id, org_id, first_member_id, second_member_id, held_on, points, submission, \
             version, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)",
        )
        .bind(&id)
        .bind(new.campaign_id)
        .bind(new.org_id)
        .bind(first)
        .bind(second)
        .bind(new.held_on)
        .bind(new.points)
        .bind(submission)
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn talk_by_submission(&self, submission: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM talks WHERE submission = $1")
            .bind(submission)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Replaces a talk's pair, day and points if it is still at version `seen` ([`StoreError::Stale`] otherwise).
    pub async fn update_talk(&self, id: &str, seen: i64, new: &NewTalk<'_>, now: i64) -> Result<Talk, StoreError> {
        self.retrying(|| self.replace_talk(id, seen, new, now)).await?;
        self.talk(id).await
    }

    async fn replace_talk(&self, id: &str, seen: i64, new: &NewTalk<'_>, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        check(&mut tx, new).await?;
        let (first, second) = new.pair();
        let done = sqlx::query(
            "UPDATE talks SET first_member_id = $3, second_member_id = $4, held_on = $5, points = $6, \
             version = version + 1, updated_at = $7 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(seen)
        .bind(first)
        .bind(second)
        .bind(new.held_on)
        .bind(new.points)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            self.talk(id).await?;
            return Err(StoreError::Stale);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a talk seen at version `seen`.
    pub async fn delete_talk(&self, id: &str, seen: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM talks WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(seen)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            self.talk(id).await?;
            return Err(StoreError::Stale);
        }
        Ok(())
    }

    pub async fn talk(&self, id: &str) -> Result<Talk, StoreError> {
        let row = sqlx::query(concat!("SELECT ", talk_columns!(), " FROM talks WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        talk(&row)
    }

    /// A branch's talks in a campaign, the latest first.
    pub async fn talks(&self, campaign_id: &str, org_id: &str) -> Result<Vec<Talk>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            talk_columns!(),
            " FROM talks WHERE campaign_id = $1 AND org_id = $2 ORDER BY held_on DESC, id DESC"
        ))
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(talk).collect()
    }

    /// The campaign's talk settings, the defaults until an admin saves some.
    pub async fn talk_settings(&self, campaign_id: &str) -> Result<TalkSettings, StoreError> {
        let row = sqlx::query(
            "SELECT committee_pairs, committee_with_members, member_pairs, version FROM campaign_talk_settings \
             WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(TalkSettings::default()) };
        Ok(TalkSettings {
            committee_pairs: flag(row.try_get("committee_pairs")?),
            committee_with_members: flag(row.try_get("committee_with_members")?),
            member_pairs: flag(row.try_get("member_pairs")?),
            version: row.try_get("version")?,
        })
    }

    /// Saves the settings if they are still at `settings.version` (0: never saved); [`StoreError::Stale`] if
    /// another admin saved meanwhile.
    pub async fn save_talk_settings(
        &self,
        campaign_id: &str,
        settings: &TalkSettings,
        now: i64,
    ) -> Result<TalkSettings, StoreError> {
        let flags = [settings.committee_pairs, settings.committee_with_members, settings.member_pairs].map(i64::from);
        if settings.version == 0 {
            let inserted = sqlx::query(
                "INSERT INTO campaign_talk_settings (campaign_id, committee_pairs, committee_with_members, \
                 member_pairs, version, updated_at) VALUES ($1, $2, $3, $4, 1, $5)",
            )
            .bind(campaign_id)
            .bind(flags[0])
            .bind(flags[1])
            .bind(flags[2])
            .bind(now)
            .execute(self.pool())
            .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => return Err(StoreError::Stale),
                Err(e) => return Err(e.into()),
            }
        } else {
            let done = sqlx::query(
                "UPDATE campaign_talk_settings SET committee_pairs = $2, committee_with_members = $3, \
                 member_pairs = $4, version = version + 1, updated_at = $5 WHERE campaign_id = $1 AND version = $6",
            )
            .bind(campaign_id)
            .bind(flags[0])
            .bind(flags[1])
            .bind(flags[2])
            .bind(now)
            .bind(settings.version)
            .execute(self.pool())
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Stale);
            }
        }
        self.talk_settings(campaign_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::tests::seed;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn a_talk_records_once_with_its_pair_in_one_order() {
        each_backend(|store| async move {
            let s = seed(&store).await?;
            let (a, b) = (&s.members[0].id, &s.members[2].id);
            let new = NewTalk {
                campaign_id: &s.campaign,
                org_id: &s.branch,
                one: b,
                other: a,
                held_on: "2025-12-12",
                points: "工作中有畏难情绪",
            };
            let (talk, created) = store.create_talk(&new, "form-1", &s.author, 1).await?;
            assert!(created && talk.involves(a) && talk.involves(b));
            assert!(talk.first_member_id < talk.second_member_id, "one spelling per pair");
            let (again, created) = store.create_talk(&new, "form-1", &s.author, 2).await?;
            assert!(!created && again.id == talk.id, "the same form twice records once");
            assert_eq!(store.talks(&s.campaign, &s.branch).await?.len(), 1);

            let edit = NewTalk { points: "改", ..new };
            assert_eq!(store.update_talk(&talk.id, 1, &edit, 3).await?.version, 2);
            assert!(matches!(store.update_talk(&talk.id, 1, &new, 4).await, Err(StoreError::Stale)));
            assert!(matches!(store.delete_talk(&talk.id, 1).await, Err(StoreError::Stale)));
            assert_eq!(store.talk(&talk.id).await?.points, "改");
            store.delete_talk(&talk.id, 2).await?;
            assert!(matches!(store.delete_talk(&talk.id, 2).await, Err(StoreError::NotFound)));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn the_same_form_sent_twice_at_once_records_once() {
        each_backend(|store| async move {
            let s = seed(&store).await?;
            let new = NewTalk {
                campaign_id: &s.campaign,
                org_id: &s.branch,
                one: &s.members[0].id,
                other: &s.members[1].id,
                held_on: "2025-12-12",
                points: "要点",
            };
            let (a, b) = tokio::join!(
                store.create_talk(&new, "same-form", &s.author, 1),
                store.create_talk(&new, "same-form", &s.author, 1)
            );
            let ((a, a_created), (b, b_created)) = (a?, b?);
            assert_eq!(a.id, b.id);
            assert!(a_created != b_created, "exactly one of the two recorded it");
            assert_eq!(store.talks(&s.campaign, &s.branch).await?.len(), 1);
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_talk_is_between_two_people_of_the_branch() {
        each_backend(|store| async move {
            let s = seed(&store).await?;
            let why = |r: Result<(Talk, bool), StoreError>| match r {
                Err(StoreError::State(s)) => s,
                other => format!("{other:?}"),
            };
            let a = &s.members[0].id;
            let new = NewTalk {
                campaign_id: &s.campaign,
                org_id: &s.branch,
                one: a,
                other: a,
                held_on: "2025-12-12",
                points: "",
            };
            assert_eq!(why(store.create_talk(&new, "x", &s.author, 1).await), TALK_WITH_SELF);
            let new = NewTalk { other: &s.outsider.id, ..new };
            assert_eq!(why(store.create_talk(&new, "y", &s.author, 1).await), NOT_IN_BRANCH);
            let new = NewTalk { other: "no-such-member", ..new };
            assert_eq!(why(store.create_talk(&new, "z", &s.author, 1).await), NOT_IN_BRANCH);
            assert!(store.talks(&s.campaign, &s.branch).await?.is_empty());
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn settings_default_to_every_pair_and_name_their_version() {
        each_backend(|store| async move {
            let s = seed(&store).await?;
            assert_eq!(store.talk_settings(&s.campaign).await?, TalkSettings::default());
            let fewer = TalkSettings { member_pairs: false, ..TalkSettings::default() };
            let saved = store.save_talk_settings(&s.campaign, &fewer, 1).await?;
            assert_eq!((saved.member_pairs, saved.version), (false, 1));
            assert!(matches!(store.save_talk_settings(&s.campaign, &fewer, 2).await, Err(StoreError::Stale)));
            let more = TalkSettings { committee_pairs: false, ..saved };
            let saved = store.save_talk_settings(&s.campaign, &more, 3).await?;
            assert_eq!((saved.committee_pairs, saved.member_pairs, saved.version), (false, false, 2));
            assert!(matches!(store.save_talk_settings(&s.campaign, &more, 4).await, Err(StoreError::Stale)));
            Ok(())
        })
        .await;
    }
}
