//! Study sessions (学习研讨) of a branch in a campaign: when and where, the readings
//! covered, who attended and why the others could not, short notes. A record of the
//! branch's study, never a per-member clock: no times, no durations, no scores.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, flag, new_id};

/// Why a study session or talk was refused; the web layer says it in Chinese.
pub const ABSENCE_WITHOUT_REASON: &str = "absence_without_reason";
pub const NOT_IN_BRANCH: &str = "not_in_branch";

/// One member's attendance at a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub member_id: String,
    pub present: bool,
    /// Required when absent.
    pub absence_reason: Option<String>,
}

/// A stored study session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudySession {
    pub id: String,
    pub campaign_id: String,
    pub org_id: String,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub place: String,
    /// Titles of the campaign's readings covered.
    pub readings: Vec<String>,
    pub notes: String,
    /// By member id, in no particular order.
    pub attendance: Vec<Attendance>,
    pub version: i64,
    pub updated_at: i64,
}

/// What a secretary records, and what an edit replaces.
#[derive(Debug, Clone, Copy)]
pub struct NewStudySession<'a> {
    pub campaign_id: &'a str,
    /// The branch; every attendee must be on its roster (or a 党小组's under it).
    pub org_id: &'a str,
    pub held_on: &'a str,
    pub place: &'a str,
    pub readings: &'a [String],
    pub notes: &'a str,
    pub attendance: &'a [Attendance],
}

fn session(row: &AnyRow) -> Result<StudySession, StoreError> {
    let readings: String = row.try_get("readings")?;
    Ok(StudySession {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        held_on: row.try_get("held_on")?,
        place: row.try_get("place")?,
        readings: readings.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        notes: row.try_get("notes")?,
        attendance: Vec::new(),
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

macro_rules! session_columns {
    () => {
        "id, campaign_id, org_id, held_on, place, readings, notes, version, updated_at"
    };
}

/// How many of `ids` are members on the roster of the organization `org_id` or of one below it (a 党小组).
pub(crate) async fn count_in_branch(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    ids: &[&str],
) -> Result<usize, StoreError> {
    let path: String = sqlx::query("SELECT path FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let rows = sqlx::query("SELECT p.id FROM members p JOIN organizations o ON o.id = p.org_id WHERE o.path LIKE $1")
        .bind(format!("{path}%"))
        .fetch_all(&mut *conn)
        .await?;
    let mut roster = Vec::with_capacity(rows.len());
    for row in &rows {
        roster.push(row.try_get::<String, _>(0)?);
    }
    Ok(ids.iter().filter(|id| roster.iter().any(|m| m == *id)).count())
}

/// The rules storage keeps whatever the caller checked: everyone on the branch's roster, once, and a reason for
/// every absence.
async fn check(conn: &mut sqlx::AnyConnection, new: &NewStudySession<'_>) -> Result<(), StoreError> {
    if new.attendance.iter().any(|a| !a.present && a.absence_reason.as_deref().is_none_or(|r| r.trim().is_empty())) {
        return Err(StoreError::State(ABSENCE_WITHOUT_REASON.to_owned()));
    }
    let mut ids: Vec<&str> = new.attendance.iter().map(|a| a.member_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != new.attendance.len() || count_in_branch(conn, new.org_id, &ids).await? != ids.len() {
        return Err(StoreError::State(NOT_IN_BRANCH.to_owned()));
    }
    Ok(())
}

async fn insert_attendance(
    conn: &mut sqlx::AnyConnection,
    session_id: &str,
    attendance: &[Attendance],
) -> Result<(), StoreError> {
    for a in attendance {
        sqlx::query(
            "INSERT INTO study_attendance (session_id, member_id, present, absence_reason) VALUES ($1, $2, $3, $4)",
        )
        .bind(session_id)
        .bind(&a.member_id)
        .bind(i64::from(a.present))
        .bind(if a.present { None } else { a.absence_reason.as_deref() })
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Records a session. `submission` is the recording form's own token: sent twice, the form records once, and
    /// the second call returns the first call's session with `false`.
    pub async fn create_study_session(
        &self,
        new: &NewStudySession<'_>,
        submission: &str,
        author: &str,
        now: i64,
    ) -> Result<(StudySession, bool), StoreError> {
        if let Some(id) = self.study_session_by_submission(submission).await? {
            return Ok((self.study_session(&id).await?, false));
        }
        let outcome = self.retrying(|| self.insert_study_session(new, submission, author, now)).await;
        match outcome {
            Ok(id) => Ok((self.study_session(&id).await?, true)),
            // The same form at the same moment: the other request recorded it.
            Err(StoreError::Duplicate(_)) => match self.study_session_by_submission(submission).await? {
                Some(id) => Ok((self.study_session(&id).await?, false)),
                None => Err(StoreError::Duplicate("study_sessions".to_owned())),
            },
            Err(e) => Err(e),
        }
    }

    async fn study_session_by_submission(&self, submission: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM study_sessions WHERE submission = $1")
            .bind(submission)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Replaces a session's contents if it is still at version `seen` ([`StoreError::Stale`] otherwise). The
    /// campaign and branch stay as they are.
    pub async fn update_study_session(
        &self,
        id: &str,
        seen: i64,
        new: &NewStudySession<'_>,
        now: i64,
    ) -> Result<StudySession, StoreError> {
        self.retrying(|| self.replace_study_session(id, seen, new, now)).await?;
        self.study_session(id).await
    }

    /// Deletes a session seen at version `seen`, with its attendance.
    pub async fn delete_study_session(&self, id: &str, seen: i64) -> Result<(), StoreError> {
        self.retrying(|| self.remove_study_session(id, seen)).await
    }

    async fn insert_study_session(
        &self,
        new: &NewStudySession<'_>,
        submission: &str,
        author: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        let mut tx = self.pool().begin().await?;
        check(&mut tx, new).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO study_sessions (id, campaign_id, org_id, held_on, place, readings, notes, submission, \
             version, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)",
        )
        .bind(&id)
        .bind(new.campaign_id)
        .bind(new.org_id)
        .bind(new.held_on)
        .bind(new.place)
        .bind(new.readings.join("\n"))
        .bind(new.notes)
        .bind(submission)
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_attendance(&mut tx, &id, new.attendance).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn replace_study_session(
        &self,
        id: &str,
        seen: i64,
        new: &NewStudySession<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        check(&mut tx, new).await?;
        let done = sqlx::query(
            "UPDATE study_sessions SET held_on = $3, place = $4, readings = $5, notes = $6, version = version + 1, \
             updated_at = $7 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(seen)
        .bind(new.held_on)
        .bind(new.place)
        .bind(new.readings.join("\n"))
        .bind(new.notes)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            self.study_session(id).await?;
            return Err(StoreError::Stale);
        }
        sqlx::query("DELETE FROM study_attendance WHERE session_id = $1").bind(id).execute(&mut *tx).await?;
        insert_attendance(&mut tx, id, new.attendance).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_study_session(&self, id: &str, seen: i64) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let found = sqlx::query("SELECT version FROM study_sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if found.try_get::<i64, _>(0)? != seen {
            return Err(StoreError::Stale);
        }
        sqlx::query("DELETE FROM study_attendance WHERE session_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM study_sessions WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn study_session(&self, id: &str) -> Result<StudySession, StoreError> {
        let row = sqlx::query(concat!("SELECT ", session_columns!(), " FROM study_sessions WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let mut found = session(&row)?;
        let rows = sqlx::query(
            "SELECT session_id, member_id, present, absence_reason FROM study_attendance WHERE session_id = $1",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            found.attendance.push(attendance(row)?);
        }
        Ok(found)
    }

    /// A branch's sessions in a campaign, the latest first; two queries however many there are.
    pub async fn study_sessions(&self, campaign_id: &str, org_id: &str) -> Result<Vec<StudySession>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM study_sessions WHERE campaign_id = $1 AND org_id = $2 ORDER BY held_on DESC, id DESC"
        ))
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let mut sessions = rows.iter().map(session).collect::<Result<Vec<_>, _>>()?;
        let rows = sqlx::query(
            "SELECT a.session_id, a.member_id, a.present, a.absence_reason FROM study_attendance a \
             JOIN study_sessions s ON s.id = a.session_id WHERE s.campaign_id = $1 AND s.org_id = $2",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let position: HashMap<String, usize> = sessions.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        for row in &rows {
            let session_id: String = row.try_get("session_id")?;
            if let Some(&i) = position.get(&session_id) {
                sessions[i].attendance.push(attendance(row)?);
            }
        }
        Ok(sessions)
    }
}

fn attendance(row: &AnyRow) -> Result<Attendance, StoreError> {
    Ok(Attendance {
        member_id: row.try_get("member_id")?,
        present: flag(row.try_get("present")?),
        absence_reason: row.try_get("absence_reason")?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testing::each_backend;
    use crate::{Member, NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing};

    /// A county, two branches with two members each, an account to record with, and a campaign.
    pub(crate) struct Seed {
        pub branch: String,
        pub other_branch: String,
        pub members: Vec<Member>,
        pub outsider: Member,
        pub author: String,
        pub campaign: String,
    }

    pub(crate) async fn seed(store: &Store) -> Result<Seed, StoreError> {
        let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
        let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
        let group = store.create_org(Some(&branch.id), "第一党小组", OrgKind::Group, 0).await?;
        let other = store.create_org(Some(&county.id), "第二党支部", OrgKind::Branch, 0).await?;
        let mut members = Vec::new();
        for (org, name) in [(&branch, "甲"), (&branch, "乙"), (&group, "丙"), (&other, "丁")] {
            let new = NewMember {
                org_id: &org.id,
                name,
                standing: Standing::Full,
                joined_on: None,
                post: None,
                phone: None,
                leading_cadre: false,
            };
            members.push(store.add_member(&new, 0).await?);
        }
        let outsider = members.pop().ok_or(StoreError::NotFound)?;
        let account = NewAccount {
            login: "shuji",
            phone: None,
            display_name: "书记",
            role: Role::Secretary,
            org_id: &branch.id,
            member_id: None,
            password_hash: "x",
            must_change_password: false,
        };
        let author = store.create_account(&account, 0).await?.id;
        let campaign = NewCampaign { org_id: &county.id, year: 2025, title: "2025", notice: "", definition: "" };
        let campaign = store.create_campaign(&campaign, 0).await?.id;
        Ok(Seed { branch: branch.id, other_branch: other.id, members, outsider, author, campaign })
    }

    fn present(member: &Member) -> Attendance {
        Attendance { member_id: member.id.clone(), present: true, absence_reason: None }
    }

    #[tokio::test]
    async fn a_session_records_once_and_edits_name_their_version() {
        each_backend(|store| async move {
            let s = seed(&store).await?;
            let readings = vec!["《习近平谈治国理政》第五卷".to_owned(), "党章".to_owned()];
            let mut attendance: Vec<Attendance> = s.members.iter().map(present).collect();
            attendance[2] =
                Attendance { present: false, absence_reason: Some("出差".into()), ..attendance[2].clone() };
            let new = NewStudySession {
                campaign_id: &s.campaign,
                org_id: &s.branch,
                held_on: "2025-12-10",
                place: "三楼会议室",
                readings: &readings,
                notes: "交流了体会",
                attendance: &attendance,
            };
            let (first, created) = store.create_study_session(&new, "form-1", &s.author, 10).await?;
            assert!(created);
            let (again, created) = store.create_study_session(&new, "form-1", &s.author, 11).await?;
            assert!(!created, "the same form twice records once");
            assert_eq!(again.id, first.id);
            assert_eq!(store.study_sessions(&s.campaign, &s.branch).await?.len(), 1);
            assert_eq!(first.readings, readings);
            assert_eq!(first.attendance.len(), 3);
            let absent = first.attendance.iter().find(|a| !a.present).expect("an absence");
            assert_eq!(absent.absence_reason.as_deref(), Some("出差"));

            let edit = NewStudySession { place: "党员活动室", attendance: &attendance[..2], ..new };
            let edited = store.update_study_session(&first.id, 1, &edit, 20).await?;
            assert_eq!((edited.version, edited.place.as_str(), edited.attendance.len()), (2, "党员活动室", 2));
            let late = NewStudySession { place: "晚了", ..new };
            assert!(matches!(store.update_study_session(&first.id, 1, &late, 30).await, Err(StoreError::Stale)));
            assert!(matches!(store.delete_study_session(&first.id, 1).await, Err(StoreError::Stale)));
            assert_eq!(store.study_session(&first.id).await?.place, "党员活动室", "nothing lost");
            store.delete_study_session(&first.id, 2).await?;
            assert!(store.study_sessions(&s.campaign, &s.branch).await?.is_empty());
            assert!(matches!(store.delete_study_session(&first.id, 2).await, Err(StoreError::NotFound)));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn absence_needs_a_reason_and_attendees_the_branch() {
        each_backend(|store| async move {
            let s = seed(&store).await?;
            let why = |r: Result<(StudySession, bool), StoreError>| match r {
                Err(StoreError::State(s)) => s,
                other => format!("{other:?}"),
            };
            let no_reason =
                vec![Attendance { member_id: s.members[0].id.clone(), present: false, absence_reason: None }];
            let new = NewStudySession {
                campaign_id: &s.campaign,
                org_id: &s.branch,
                held_on: "2025-12-10",
                place: "会议室",
                readings: &[],
                notes: "",
                attendance: &no_reason,
            };
            assert_eq!(why(store.create_study_session(&new, "a", &s.author, 1).await), ABSENCE_WITHOUT_REASON);
            let blank = vec![Attendance { absence_reason: Some("  ".into()), ..no_reason[0].clone() }];
            let new = NewStudySession { attendance: &blank, ..new };
            assert_eq!(why(store.create_study_session(&new, "b", &s.author, 1).await), ABSENCE_WITHOUT_REASON);
            let outsider = vec![present(&s.members[0]), present(&s.outsider)];
            let new = NewStudySession { attendance: &outsider, ..new };
            assert_eq!(why(store.create_study_session(&new, "c", &s.author, 1).await), NOT_IN_BRANCH);
            let twice = vec![present(&s.members[0]), present(&s.members[0])];
            let new = NewStudySession { attendance: &twice, ..new };
            assert_eq!(why(store.create_study_session(&new, "d", &s.author, 1).await), NOT_IN_BRANCH);
            // The outsider's own branch is a different list.
            let theirs = vec![present(&s.outsider)];
            let new = NewStudySession { org_id: &s.other_branch, attendance: &theirs, ..new };
            store.create_study_session(&new, "e", &s.author, 1).await?;
            assert!(store.study_sessions(&s.campaign, &s.branch).await?.is_empty(), "nothing refused was kept");
            Ok(())
        })
        .await;
    }
}
