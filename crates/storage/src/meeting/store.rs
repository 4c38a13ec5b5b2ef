//! The record's reads and writes: versioned saves that check the rules in the same
//! transaction, the lock with its hash, and the chained notes.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Criticism, Meeting, MeetingAttendance, MeetingContent, MeetingError, MeetingLock, MeetingNote, MeetingSummary,
    Presence, content_hash, note_hash,
};
use crate::{Store, StoreError, new_id};

/// A write's outcome inside [`Store::retrying`]: a refusal is an answer, not a failure to retry.
type Attempt<T> = Result<Result<T, MeetingError>, StoreError>;

fn attempt<T>(outcome: Result<T, MeetingError>) -> Attempt<T> {
    match outcome {
        Err(MeetingError::Store(e)) => Err(e),
        other => Ok(other),
    }
}

macro_rules! meeting_columns {
    () => {
        "id, campaign_id, org_id, meeting_date, meeting_time, place, observer_name, observer_post, \
         rectification_report, minutes, version, updated_at, updated_by, locked_at, locked_by, content_hash"
    };
}

fn meeting_row(row: &AnyRow) -> Result<Meeting, StoreError> {
    let locked_at: Option<i64> = row.try_get("locked_at")?;
    let lock = match locked_at {
        Some(at) => Some(MeetingLock {
            at,
            by: row.try_get::<Option<String>, _>("locked_by")?.unwrap_or_default(),
            content_hash: row.try_get::<Option<String>, _>("content_hash")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Meeting {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        lock,
        content: MeetingContent {
            date: row.try_get("meeting_date")?,
            time: row.try_get("meeting_time")?,
            place: row.try_get("place")?,
            observer_name: row.try_get("observer_name")?,
            observer_post: row.try_get("observer_post")?,
            rectification_report: row.try_get("rectification_report")?,
            minutes: row.try_get("minutes")?,
            ..MeetingContent::default()
        },
    })
}

impl Store {
    /// The record of a branch in a campaign, if one was saved.
    pub async fn meeting(&self, campaign_id: &str, org_id: &str) -> Result<Option<Meeting>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        read_meeting(&mut conn, campaign_id, org_id).await
    }

    /// Saves the record if it is still at version `seen` (0: none saved yet) and not
    /// locked, after checking `content` against the branch's roster in the same
    /// transaction.
    pub async fn save_meeting(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        content: &MeetingContent,
        by: &str,
        now: i64,
    ) -> Result<Meeting, MeetingError> {
        let write = || async { attempt(self.try_save_meeting(campaign_id, org_id, seen, content, by, now).await) };
        self.retrying(write).await?
    }

    async fn try_save_meeting(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        content: &MeetingContent,
        by: &str,
        now: i64,
    ) -> Result<Meeting, MeetingError> {
        let mut tx = self.pool().begin().await?;
        // The guarded write comes first, so that on SQLite the transaction holds the
        // write lock before it reads the roster.
        let id = if seen == 0 {
            let id = new_id();
            let inserted = sqlx::query(
                "INSERT INTO meetings (id, campaign_id, org_id, meeting_date, meeting_time, place, observer_name, \
                 observer_post, rectification_report, minutes, version, created_at, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12)",
            )
            .bind(&id)
            .bind(campaign_id)
            .bind(org_id)
            .bind(&content.date)
            .bind(&content.time)
            .bind(&content.place)
            .bind(&content.observer_name)
            .bind(&content.observer_post)
            .bind(&content.rectification_report)
            .bind(&content.minutes)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await;
            match inserted.map_err(StoreError::from) {
                Ok(_) => id,
                // Another tab saved the first version meanwhile.
                Err(StoreError::Duplicate(_)) => {
                    drop(tx);
                    return Err(self.why_meeting_unchanged(campaign_id, org_id).await);
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            let row = sqlx::query(
                "UPDATE meetings SET meeting_date = $4, meeting_time = $5, place = $6, observer_name = $7, \
                 observer_post = $8, rectification_report = $9, minutes = $10, version = version + 1, \
                 updated_at = $11, updated_by = $12 \
                 WHERE campaign_id = $1 AND org_id = $2 AND version = $3 AND locked_at IS NULL RETURNING id",
            )
            .bind(campaign_id)
            .bind(org_id)
            .bind(seen)
            .bind(&content.date)
            .bind(&content.time)
            .bind(&content.place)
            .bind(&content.observer_name)
            .bind(&content.observer_post)
            .bind(&content.rectification_report)
            .bind(&content.minutes)
            .bind(now)
            .bind(by)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(row) => row.try_get::<String, _>("id").map_err(StoreError::from)?,
                None => {
                    drop(tx);
                    return Err(self.why_meeting_unchanged(campaign_id, org_id).await);
                }
            }
        };
        let roster = roster_ids(&mut tx, org_id).await?;
        let roster: Vec<&str> = roster.iter().map(String::as_str).collect();
        let problems = content.problems(&roster);
        if !problems.is_empty() {
            return Err(MeetingError::Invalid(problems));
        }
        replace_parts(&mut tx, &id, content).await?;
        tx.commit().await?;
        self.meeting(campaign_id, org_id).await?.ok_or(MeetingError::Store(StoreError::NotFound))
    }

    /// Locks the record as it is at version `seen`, once the roster's attendance, the date,
    /// the place and the minutes are there, and stores its content hash. A second lock
    /// finds it locked.
    pub async fn lock_meeting(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        by: &str,
        now: i64,
    ) -> Result<Meeting, MeetingError> {
        let write = || async { attempt(self.try_lock_meeting(campaign_id, org_id, seen, by, now).await) };
        self.retrying(write).await?
    }

    async fn try_lock_meeting(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        by: &str,
        now: i64,
    ) -> Result<Meeting, MeetingError> {
        let mut tx = self.pool().begin().await?;
        let meeting = read_meeting(&mut tx, campaign_id, org_id).await?.ok_or(StoreError::NotFound)?;
        if meeting.lock.is_some() {
            return Err(MeetingError::Locked);
        }
        if meeting.version != seen {
            return Err(MeetingError::Stale);
        }
        let roster = roster_ids(&mut tx, org_id).await?;
        let roster: Vec<&str> = roster.iter().map(String::as_str).collect();
        let gaps = meeting.content.lock_gaps(&roster);
        if !gaps.is_empty() {
            return Err(MeetingError::Incomplete(gaps));
        }
        let hash = content_hash(campaign_id, org_id, &meeting.content);
        // The version guard proves the content hashed above is the content being locked:
        // every save moves the version on in the same transaction as its parts.
        let done = sqlx::query(
            "UPDATE meetings SET locked_at = $3, locked_by = $4, content_hash = $5, version = version + 1 \
             WHERE id = $1 AND version = $2 AND locked_at IS NULL",
        )
        .bind(&meeting.id)
        .bind(seen)
        .bind(now)
        .bind(by)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self.why_meeting_unchanged(campaign_id, org_id).await);
        }
        tx.commit().await?;
        self.meeting(campaign_id, org_id).await?.ok_or(MeetingError::Store(StoreError::NotFound))
    }

    /// Appends a correction to a locked record, chained to the notes before it.
    pub async fn add_meeting_note(
        &self,
        campaign_id: &str,
        org_id: &str,
        author_id: &str,
        author_name: &str,
        text: &str,
        now: i64,
    ) -> Result<MeetingNote, MeetingError> {
        const ATTEMPTS: usize = 5;
        let mut outcome = Err(MeetingError::Stale);
        for _ in 0..ATTEMPTS {
            let write =
                || async { attempt(self.try_add_note(campaign_id, org_id, author_id, author_name, text, now).await) };
            outcome = self.retrying(write).await.map_err(MeetingError::from).and_then(|r| r);
            // Two notes at once want the same number: the later one takes the next.
            if !matches!(outcome, Err(MeetingError::Store(StoreError::Duplicate(_)))) {
                break;
            }
        }
        outcome
    }

    async fn try_add_note(
        &self,
        campaign_id: &str,
        org_id: &str,
        author_id: &str,
        author_name: &str,
        text: &str,
        now: i64,
    ) -> Result<MeetingNote, MeetingError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("SELECT id, content_hash FROM meetings WHERE campaign_id = $1 AND org_id = $2")
            .bind(campaign_id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let id: String = row.try_get("id").map_err(StoreError::from)?;
        let Some(record_hash) = row.try_get::<Option<String>, _>("content_hash").map_err(StoreError::from)? else {
            return Err(MeetingError::NotLocked);
        };
        let last =
            sqlx::query("SELECT seq, chain_hash FROM meeting_notes WHERE meeting_id = $1 ORDER BY seq DESC LIMIT 1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
        let (seq, previous) = match last {
            Some(row) => (
                row.try_get::<i64, _>("seq").map_err(StoreError::from)? + 1,
                row.try_get::<String, _>("chain_hash").map_err(StoreError::from)?,
            ),
            None => (1, record_hash),
        };
        let mut note = MeetingNote {
            seq,
            author_id: author_id.to_owned(),
            author_name: author_name.to_owned(),
            created_at: now,
            text: text.to_owned(),
            chain_hash: String::new(),
        };
        note.chain_hash = note_hash(&previous, &note);
        sqlx::query(
            "INSERT INTO meeting_notes (meeting_id, seq, author_id, author_name, created_at, body, chain_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(note.seq)
        .bind(&note.author_id)
        .bind(&note.author_name)
        .bind(note.created_at)
        .bind(&note.text)
        .bind(&note.chain_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(note)
    }

    /// The notes of a record, oldest first.
    pub async fn meeting_notes(&self, meeting_id: &str) -> Result<Vec<MeetingNote>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, author_id, author_name, created_at, body, chain_hash FROM meeting_notes \
             WHERE meeting_id = $1 ORDER BY seq",
        )
        .bind(meeting_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MeetingNote {
                    seq: row.try_get("seq")?,
                    author_id: row.try_get("author_id")?,
                    author_name: row.try_get("author_name")?,
                    created_at: row.try_get("created_at")?,
                    text: row.try_get("body")?,
                    chain_hash: row.try_get("chain_hash")?,
                })
            })
            .collect()
    }

    /// How many criticism entries of a campaign's meetings are addressed to a member.
    pub async fn criticisms_addressed_to(&self, campaign_id: &str, member_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM meeting_criticisms c JOIN meetings m ON m.id = c.meeting_id \
             WHERE m.campaign_id = $1 AND c.to_member_id = $2",
        )
        .bind(campaign_id)
        .bind(member_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }

    /// The records of a campaign kept by organizations under `path`, by organization id.
    pub async fn meetings_under(
        &self,
        campaign_id: &str,
        path: &str,
    ) -> Result<HashMap<String, MeetingSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.org_id, m.meeting_date, m.locked_at FROM meetings m JOIN organizations o ON o.id = m.org_id \
             WHERE m.campaign_id = $1 AND o.path LIKE $2",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let summary = MeetingSummary {
                    org_id: row.try_get("org_id")?,
                    date: row.try_get("meeting_date")?,
                    locked: row.try_get::<Option<i64>, _>("locked_at")?.is_some(),
                };
                Ok((summary.org_id.clone(), summary))
            })
            .collect()
    }

    /// Why a guarded write touched nothing: locked, moved on, or gone.
    async fn why_meeting_unchanged(&self, campaign_id: &str, org_id: &str) -> MeetingError {
        match self.meeting(campaign_id, org_id).await {
            Ok(Some(m)) if m.lock.is_some() => MeetingError::Locked,
            Ok(Some(_)) => MeetingError::Stale,
            Ok(None) => MeetingError::Store(StoreError::NotFound),
            Err(e) => e.into(),
        }
    }
}

async fn read_meeting(
    conn: &mut sqlx::AnyConnection,
    campaign_id: &str,
    org_id: &str,
) -> Result<Option<Meeting>, StoreError> {
    let row =
        sqlx::query(concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE campaign_id = $1 AND org_id = $2"))
            .bind(campaign_id)
            .bind(org_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let mut meeting = meeting_row(&row)?;
    let agenda = sqlx::query("SELECT item FROM meeting_agenda WHERE meeting_id = $1 ORDER BY position")
        .bind(&meeting.id)
        .fetch_all(&mut *conn)
        .await?;
    meeting.content.agenda = agenda.iter().map(|r| r.try_get("item")).collect::<Result<_, _>>()?;
    let attendance = sqlx::query(
        "SELECT a.member_id, a.present, a.absence_reason FROM meeting_attendance a \
         JOIN members p ON p.id = a.member_id WHERE a.meeting_id = $1 ORDER BY p.name, a.member_id",
    )
    .bind(&meeting.id)
    .fetch_all(&mut *conn)
    .await?;
    meeting.content.attendance = attendance
        .iter()
        .map(|r| {
            let presence = if crate::flag(r.try_get("present")?) {
                Presence::Present
            } else {
                Presence::Absent { reason: r.try_get("absence_reason")? }
            };
            Ok(MeetingAttendance { member_id: r.try_get("member_id")?, presence })
        })
        .collect::<Result<_, StoreError>>()?;
    let criticisms = sqlx::query(
        "SELECT from_member_id, to_member_id, body FROM meeting_criticisms WHERE meeting_id = $1 ORDER BY position",
    )
    .bind(&meeting.id)
    .fetch_all(&mut *conn)
    .await?;
    meeting.content.criticisms = criticisms
        .iter()
        .map(|r| {
            Ok(Criticism {
                from_member_id: r.try_get("from_member_id")?,
                to_member_id: r.try_get("to_member_id")?,
                text: r.try_get("body")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(meeting))
}

async fn roster_ids(conn: &mut sqlx::AnyConnection, org_id: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT id FROM members WHERE org_id = $1 ORDER BY name, id")
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Replaces the agenda, attendance and criticism of a record with `content`'s.
async fn replace_parts(conn: &mut sqlx::AnyConnection, id: &str, content: &MeetingContent) -> Result<(), StoreError> {
    for delete in [
        "DELETE FROM meeting_agenda WHERE meeting_id = $1",
        "DELETE FROM meeting_attendance WHERE meeting_id = $1",
        "DELETE FROM meeting_criticisms WHERE meeting_id = $1",
    ] {
        sqlx::query(delete).bind(id).execute(&mut *conn).await?;
    }
    for (position, item) in (0i64..).zip(&content.agenda) {
        sqlx::query("INSERT INTO meeting_agenda (meeting_id, position, item) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(position)
            .bind(item)
            .execute(&mut *conn)
            .await?;
    }
    for entry in &content.attendance {
        let (present, reason) = match &entry.presence {
            Presence::Present => (1i64, ""),
            Presence::Absent { reason } => (0, reason.as_str()),
        };
        sqlx::query(
            "INSERT INTO meeting_attendance (meeting_id, member_id, present, absence_reason) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&entry.member_id)
        .bind(present)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
    }
    for (position, entry) in (0i64..).zip(&content.criticisms) {
        sqlx::query(
            "INSERT INTO meeting_criticisms (meeting_id, position, from_member_id, to_member_id, body) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(position)
        .bind(&entry.from_member_id)
        .bind(&entry.to_member_id)
        .bind(&entry.text)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
