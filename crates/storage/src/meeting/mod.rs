//! The 组织生活会 record of one branch in one campaign: written by the branch secretary
//! with a version check (two tabs never overwrite each other), locked once after the
//! meeting with a content hash, and corrected afterwards only by appended, attributed
//! notes. The lock is enforced here (a guarded update) and again by database triggers,
//! so no path — this crate, another program, a hand-typed SQL statement — changes a
//! locked record.

mod canonical;
mod rules;
mod store;

use crate::StoreError;

pub use canonical::{canonical, content_hash, note_hash, notes_chain_holds};
pub use rules::{LockGap, RecordProblem};

/// What the secretary writes: everything of the record but who and when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingContent {
    /// `YYYY-MM-DD`, or empty until set.
    pub date: String,
    /// `HH:MM` Beijing time, or empty until set.
    pub time: String,
    pub place: String,
    /// The agenda's items in order.
    pub agenda: Vec<String>,
    /// 列席指导: the superior's observer, free text (they may have no account).
    pub observer_name: String,
    pub observer_post: String,
    /// The report on last year's rectification, as text. The rectification ledger will
    /// pre-fill it on the page; the record keeps the text as reported (see the migration).
    pub rectification_report: String,
    pub minutes: String,
    /// One entry per member whose attendance is recorded; a member without one is not
    /// recorded yet.
    pub attendance: Vec<MeetingAttendance>,
    /// Criticism entries in the order the secretary entered them.
    pub criticisms: Vec<Criticism>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingAttendance {
    pub member_id: String,
    pub presence: Presence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Present,
    Absent { reason: String },
}

/// One criticism raised at the meeting (批评): from one member of the branch to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criticism {
    pub from_member_id: String,
    pub to_member_id: String,
    pub text: String,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: String,
    pub campaign_id: String,
    pub org_id: String,
    /// 1 when first saved, one more with every save and with the lock.
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: String,
    pub lock: Option<MeetingLock>,
    pub content: MeetingContent,
}

/// When and by whom a record was locked, and the content hash taken then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingLock {
    pub at: i64,
    pub by: String,
    pub content_hash: String,
}

impl Meeting {
    /// Whether the stored hash is the hash of the content as it is now (`None` until locked).
    pub fn hash_holds(&self) -> Option<bool> {
        self.lock.as_ref().map(|lock| content_hash(&self.campaign_id, &self.org_id, &self.content) == lock.content_hash)
    }
}

/// A correction appended after the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingNote {
    /// 1, 2, 3… in the order they were added.
    pub seq: i64,
    pub author_id: String,
    /// The author's name when they wrote it.
    pub author_name: String,
    pub created_at: i64,
    pub text: String,
    /// See [`note_hash`].
    pub chain_hash: String,
}

/// A branch's record as a list of records shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSummary {
    pub org_id: String,
    pub date: String,
    pub locked: bool,
}

/// Why a write to a meeting record was refused.
#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    /// The record is locked: it cannot change any more.
    #[error("the meeting record is locked")]
    Locked,
    /// A note on a record that is not locked yet (until then the secretary edits it).
    #[error("the meeting record is not locked yet")]
    NotLocked,
    /// Someone saved the record since the writer read it.
    #[error("changed by someone else")]
    Stale,
    #[error("the record breaks its rules: {0:?}")]
    Invalid(Vec<RecordProblem>),
    #[error("the record is not complete enough to lock: {0:?}")]
    Incomplete(Vec<LockGap>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MeetingError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
