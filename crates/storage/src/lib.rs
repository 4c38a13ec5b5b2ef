//! Storage of 明镜: one code path over an embedded SQLite file (the default) or
//! PostgreSQL (and engines that speak its protocol), chosen once from the URL scheme.
//!
//! Every query is written once, with `$1` placeholders that both drivers accept, and
//! runs through sqlx's `Any` driver; only the migrations come in one folder per backend,
//! with the same versions. Ids are generated here (UUIDv7), times are Unix milliseconds
//! passed in by the caller ("time is a parameter"), flags are integers 0/1.

mod accounts;
mod appraisal;
mod audit;
pub mod backup;
mod ballots;
mod campaigns;
mod error;
pub mod export;
mod ids;
mod materials;
mod matters;
mod meeting;
mod opinions;
mod orgs;
mod progress;
mod rectification;
mod references;
mod reports;
mod roster;
pub mod sealing;
mod security;
mod sessions;
mod study;
mod talks;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use accounts::{Account, AccountChange, AccountQuery, NewAccount, Role};
pub use appraisal::{
    AppraisalSettings, FOLLOWUP_NOT_AWAITING, Followup, FollowupKind, Fraction, Grade, GradeDecision, MutualEvaluation,
    NewFollowup,
};
pub use audit::{AuditChainReport, AuditCut, AuditEntry, AuditHash, ChainProblem, NewAuditEntry, PRUNE_ACTION};
pub use ballots::{
    BallotMethod, BallotResults, BallotRound, BallotVoter, Channel, NewRound, ROUND_ALREADY_OPEN, ROUND_NOT_OPEN,
};
pub use campaigns::{Campaign, NewCampaign, OrgProgress};
pub use error::StoreError;
pub use ids::new_id;
pub use materials::{
    Approval, Decision, Material, MaterialStatus, MaterialVersion, NewDecision, PassageNote, StoredReview, VersionInfo,
};
pub use matters::MattersReport;
pub use meeting::{
    Criticism, LockGap, Meeting, MeetingAttendance, MeetingContent, MeetingError, MeetingLock, MeetingNote,
    MeetingSummary, Presence, RecordProblem, canonical, content_hash, note_hash, notes_chain_holds,
};
pub use opinions::{
    CHANNEL_CLOSED, DEFAULT_OPINION_THRESHOLD, MIN_OPINION_THRESHOLD, Opinion, OpinionChannel, OpinionSummary,
    THRESHOLD_TOO_LOW,
};
pub use orgs::{CommitteePost, Member, NewMember, Org, OrgKind, Standing};
pub use orgs::{MemberDetails, ORG_HAS_CHILDREN, ORG_HAS_MEMBERS, ORG_IS_ROOT, ORG_MOVE_INTO_ITSELF};
pub use progress::CurrentReview;
pub use rectification::{
    AttachmentInfo, AttachmentKind, AttachmentProblem, LedgerPublication, MAX_ATTACHMENT_BYTES, NewAttachment,
    NewRectification, OriginKind, RectificationEdit, RectificationError, RectificationItem, RectificationNote,
    RectificationStatus,
};
pub use references::ReferenceDocument;
pub use reports::{BranchReport, ReportDecision, ReportError, ReportStatus, ReportSubmission};
pub use roster::{IMPORT_DONE, IMPORT_EXPIRED, NewRosterImport, RosterImport};
pub use security::{ChallengeStage, LoginChallenge, SecurityState};
pub use sessions::Session;
pub use study::{ABSENCE_WITHOUT_REASON, Attendance, NOT_IN_BRANCH, NewStudySession, StudySession};
pub use talks::{NewTalk, TALK_WITH_SELF, Talk, TalkSettings};

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names, by its scheme.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// The store: a connection pool and the backend it talks to.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// On SQLite, the one-statement writes of every request (audit rows, session
    /// touches) take turns here rather than in SQLite's busy handler, which waits in
    /// sleeps of up to 100 ms: under 64 concurrent viewers that sleeping was most of a
    /// page view's time.
    small_writes: Arc<tokio::sync::Mutex<()>>,
    /// The hash function new audit entries are chained with.
    audit_hash: audit::AuditHash,
    /// The key sealing the sensitive columns; none: they are written in plaintext (demo and tests).
    data_key: Option<Arc<dyn sealing::CryptoProvider>>,
}

/// SQLite settings for a server: write-ahead log so readers never wait for the writer,
/// a busy timeout instead of immediate "database is locked", foreign keys enforced, and
/// `synchronous = NORMAL`, which WAL makes safe against power loss of committed data up
/// to the last checkpoint-free commit.
const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

impl Store {
    /// Connects to the database a URL names and brings its schema up to date.
    /// `sqlite://PATH` creates the file if needed.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Connect)?;
        let pool = AnyPoolOptions::new()
            // WAL lets readers run side by side while one writes; more than a few
            // connections only adds contention for the single writer's lock.
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        let store = Self {
            pool,
            backend,
            small_writes: Arc::default(),
            audit_hash: audit::AuditHash::default(),
            data_key: None,
        };
        store.migrate().await?;
        store.chain_legacy_audit().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&self.pool).await.map_err(StoreError::Migrate)
    }

    /// The store chaining new audit entries with `alg` (entries already written keep theirs).
    pub fn with_audit_hash(mut self, alg: audit::AuditHash) -> Self {
        self.audit_hash = alg;
        self
    }

    pub(crate) fn audit_hash(&self) -> audit::AuditHash {
        self.audit_hash
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A turn for a small write on SQLite (see `small_writes`); nothing on PostgreSQL,
    /// whose row locks let such writes run side by side.
    pub(crate) async fn small_write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.small_writes.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Runs a write, again if it failed only because a concurrent transaction won a
    /// serialization conflict (SQLSTATE 40001, which SERIALIZABLE engines such as
    /// CockroachDB and YugabyteDB raise under contention; SQLITE_BUSY past the timeout).
    /// The write must be a whole transaction, safe to repeat from the start.
    pub async fn retrying<T, F, Fut>(&self, mut write: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        const ATTEMPTS: u32 = 5;
        let mut attempt = 0;
        loop {
            match write().await {
                Err(e) if e.is_retryable() && attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    // Back off a little longer each time, so contenders stop colliding.
                    tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
                }
                outcome => return outcome,
            }
        }
    }

    /// Answers a trivial query: whether the database can be reached at all (the readiness probe).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool's open connections and how many of them are idle, for the metrics page.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A flag column's value.
pub(crate) fn flag(value: i64) -> bool {
    value != 0
}
