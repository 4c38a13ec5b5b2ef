//! The branch's report upward on the meeting and the appraisal (情况报告): a draft the branch secretary edits with a
//! version check, submitted once per form (its one-time token), each submission kept as a version, and the
//! superior's one answer to each: acknowledged (已确认), or returned with a reason (退回), after which the secretary
//! edits and submits again. A submitted or acknowledged report cannot be edited.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, new_id};

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    Draft,
    Submitted,
    Returned,
    Acknowledged,
}

impl ReportStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Submitted, Self::Returned, Self::Acknowledged];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Acknowledged => "acknowledged",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "已上报",
            Self::Returned => "已退回",
            Self::Acknowledged => "已确认",
        }
    }

    /// Whether the secretary may still change the text.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }

    /// Whether the report has reached the superior at least once and not come back.
    pub fn submitted(self) -> bool {
        matches!(self, Self::Submitted | Self::Acknowledged)
    }
}

/// The superior's answer to one submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportDecision {
    Acknowledged,
    Returned,
}

impl ReportDecision {
    pub fn code(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Acknowledged => "已确认",
            Self::Returned => "退回",
        }
    }
}

/// One submission, as submitted, with the answer if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSubmission {
    /// 1, 2, 3… in the order submitted.
    pub seq: i64,
    pub body: String,
    pub submitted_at: i64,
    pub submitted_by: String,
    pub decision: Option<ReportDecision>,
    /// Why it was returned ('' otherwise).
    pub reason: String,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
}

/// A branch's report in a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchReport {
    pub id: String,
    pub campaign_id: String,
    pub org_id: String,
    pub status: ReportStatus,
    pub body: String,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: String,
    /// Oldest first.
    pub submissions: Vec<ReportSubmission>,
}

impl BranchReport {
    /// The submission waiting for the superior's answer, if any.
    pub fn pending(&self) -> Option<&ReportSubmission> {
        self.submissions.last().filter(|s| s.decision.is_none() && self.status == ReportStatus::Submitted)
    }
}

/// Why a write to a report was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// This very form was submitted already (its token is used).
    #[error("this form was submitted already")]
    AlreadySubmitted,
    /// The report is with the superior or acknowledged: the secretary cannot change it now.
    #[error("the report cannot be changed while {0:?}")]
    NotEditable(ReportStatus),
    /// No submission waits for an answer (answered already, or none made).
    #[error("no submission is waiting for an answer")]
    NotPending,
    /// Someone saved the report since the writer read it.
    #[error("changed by someone else")]
    Stale,
    /// A return needs its reason.
    #[error("a return needs a reason")]
    NoReason,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReportError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A write's outcome inside [`Store::retrying`]: a refusal is an answer, not a failure to retry.
type Attempt<T> = Result<Result<T, ReportError>, StoreError>;

fn attempt<T>(outcome: Result<T, ReportError>) -> Attempt<T> {
    match outcome {
        Err(ReportError::Store(e)) => Err(e),
        other => Ok(other),
    }
}

fn status_of(code: &str) -> Result<ReportStatus, StoreError> {
    ReportStatus::from_code(code).ok_or_else(|| StoreError::State(format!("unknown report status {code}")))
}

fn report_row(row: &AnyRow) -> Result<BranchReport, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(BranchReport {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        status: status_of(&status)?,
        body: row.try_get("body")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        submissions: Vec::new(),
    })
}

fn submission_row(row: &AnyRow) -> Result<ReportSubmission, StoreError> {
    let decision: Option<String> = row.try_get("decision")?;
    let decision = match decision.as_deref() {
        None => None,
        Some("acknowledged") => Some(ReportDecision::Acknowledged),
        Some("returned") => Some(ReportDecision::Returned),
        Some(other) => return Err(StoreError::State(format!("unknown report decision {other}"))),
    };
    Ok(ReportSubmission {
        seq: row.try_get("seq")?,
        body: row.try_get("body")?,
        submitted_at: row.try_get("submitted_at")?,
        submitted_by: row.try_get("submitted_by")?,
        decision,
        reason: row.try_get("reason")?,
        decided_at: row.try_get("decided_at")?,
        decided_by: row.try_get("decided_by")?,
    })
}

impl Store {
    /// The report of a branch in a campaign, with every submission, if one was saved.
    pub async fn branch_report(&self, campaign_id: &str, org_id: &str) -> Result<Option<BranchReport>, StoreError> {
        let row = sqlx::query(
            "SELECT id, campaign_id, org_id, status, body, version, updated_at, updated_by FROM branch_reports \
             WHERE campaign_id = $1 AND org_id = $2",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut report = report_row(&row)?;
        let rows = sqlx::query(
            "SELECT seq, body, submitted_at, submitted_by, decision, reason, decided_at, decided_by \
             FROM branch_report_submissions WHERE report_id = $1 ORDER BY seq",
        )
        .bind(&report.id)
        .fetch_all(self.pool())
        .await?;
        report.submissions = rows.iter().map(submission_row).collect::<Result<_, _>>()?;
        Ok(Some(report))
    }

    /// Where each branch of the subtree at `path` stands with its report, by organization id (branches without a
    /// report are absent).
    pub async fn report_statuses(
        &self,
        campaign_id: &str,
        path: &str,
    ) -> Result<HashMap<String, ReportStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.org_id, r.status FROM branch_reports r JOIN organizations o ON o.id = r.org_id \
             WHERE r.campaign_id = $1 AND o.path LIKE $2",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok((row.try_get("org_id")?, status_of(&status)?))
            })
            .collect()
    }

    /// Saves the draft if the report is still at version `seen` (0: none saved yet) and editable.
    pub async fn save_report_draft(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        body: &str,
        by: &str,
        now: i64,
    ) -> Result<BranchReport, ReportError> {
        let write = || async { attempt(self.try_write_report(campaign_id, org_id, seen, body, by, now, None).await) };
        self.retrying(write).await?
    }

    /// Submits `body` as the next version, if the report is still at version `seen` (0: none saved yet) and
    /// editable, and the form's token `submission` was never used.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_report(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        submission: &str,
        body: &str,
        by: &str,
        now: i64,
    ) -> Result<BranchReport, ReportError> {
        let write = || async {
            attempt(self.try_write_report(campaign_id, org_id, seen, body, by, now, Some(submission)).await)
        };
        self.retrying(write).await?
    }

    /// A draft save (`submission` None) or a submission, in one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn try_write_report(
        &self,
        campaign_id: &str,
        org_id: &str,
        seen: i64,
        body: &str,
        by: &str,
        now: i64,
        submission: Option<&str>,
    ) -> Result<BranchReport, ReportError> {
        if let Some(token) = submission {
            let used: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM branch_report_submissions WHERE submission = $1")
                    .bind(token)
                    .fetch_optional(self.pool())
                    .await?;
            if used.is_some() {
                return Err(ReportError::AlreadySubmitted);
            }
        }
        let status = if submission.is_some() { ReportStatus::Submitted } else { ReportStatus::Draft };
        let mut tx = self.pool().begin().await?;
        // The guarded write comes first, so that on SQLite the transaction holds the write lock from the start.
        let id = if seen == 0 {
            let id = new_id();
            let inserted = sqlx::query(
                "INSERT INTO branch_reports (id, campaign_id, org_id, status, body, version, created_at, updated_at, \
                 updated_by) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
            )
            .bind(&id)
            .bind(campaign_id)
            .bind(org_id)
            .bind(status.code())
            .bind(body)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await;
            match inserted.map_err(StoreError::from) {
                Ok(_) => id,
                Err(StoreError::Duplicate(_)) => {
                    drop(tx);
                    return Err(self.why_report_unchanged(campaign_id, org_id).await);
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            let row = sqlx::query(
                "UPDATE branch_reports SET status = $4, body = $5, version = version + 1, updated_at = $6, \
                 updated_by = $7 WHERE campaign_id = $1 AND org_id = $2 AND version = $3 \
                 AND status IN ('draft', 'returned') RETURNING id",
            )
            .bind(campaign_id)
            .bind(org_id)
            .bind(seen)
            .bind(status.code())
            .bind(body)
            .bind(now)
            .bind(by)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(row) => row.try_get::<String, _>("id").map_err(StoreError::from)?,
                None => {
                    drop(tx);
                    return Err(self.why_report_unchanged(campaign_id, org_id).await);
                }
            }
        };
        if let Some(token) = submission {
            let seq: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM branch_report_submissions WHERE report_id = $1",
            )
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
            let inserted = sqlx::query(
                "INSERT INTO branch_report_submissions (report_id, seq, submission, body, submitted_at, submitted_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(seq)
            .bind(token)
            .bind(body)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await;
            match inserted.map_err(StoreError::from) {
                Ok(_) => {}
                // The same form at the same moment: the other request submitted it.
                Err(StoreError::Duplicate(_)) => return Err(ReportError::AlreadySubmitted),
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        self.branch_report(campaign_id, org_id).await?.ok_or(ReportError::Store(StoreError::NotFound))
    }

    /// Why a guarded write changed nothing: the report is not editable now, or it moved on.
    async fn why_report_unchanged(&self, campaign_id: &str, org_id: &str) -> ReportError {
        match self.branch_report(campaign_id, org_id).await {
            Ok(Some(report)) if !report.status.editable() => ReportError::NotEditable(report.status),
            Ok(Some(_)) => ReportError::Stale,
            Ok(None) => ReportError::Store(StoreError::NotFound),
            Err(e) => e.into(),
        }
    }

    /// The superior's answer to submission `seq`: acknowledged, or returned with `reason`. Only the submission
    /// waiting for an answer can be answered, and only once.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_report(
        &self,
        campaign_id: &str,
        org_id: &str,
        seq: i64,
        decision: ReportDecision,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<BranchReport, ReportError> {
        if decision == ReportDecision::Returned && reason.trim().is_empty() {
            return Err(ReportError::NoReason);
        }
        let write =
            || async { attempt(self.try_decide_report(campaign_id, org_id, seq, decision, reason, by, now).await) };
        self.retrying(write).await?
    }

    #[allow(clippy::too_many_arguments)]
    async fn try_decide_report(
        &self,
        campaign_id: &str,
        org_id: &str,
        seq: i64,
        decision: ReportDecision,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<BranchReport, ReportError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "UPDATE branch_reports SET status = $3, version = version + 1, updated_at = $4, updated_by = $5 \
             WHERE campaign_id = $1 AND org_id = $2 AND status = 'submitted' RETURNING id",
        )
        .bind(campaign_id)
        .bind(org_id)
        .bind(decision.code())
        .bind(now)
        .bind(by)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Err(ReportError::NotPending) };
        let id: String = row.try_get("id").map_err(StoreError::from)?;
        // Only the latest submission waits; an older one was answered before this one was made.
        let done = sqlx::query(
            "UPDATE branch_report_submissions SET decision = $3, reason = $4, decided_at = $5, decided_by = $6 \
             WHERE report_id = $1 AND seq = $2 AND decision IS NULL \
             AND seq = (SELECT MAX(seq) FROM branch_report_submissions WHERE report_id = $1)",
        )
        .bind(&id)
        .bind(seq)
        .bind(decision.code())
        .bind(reason.trim())
        .bind(now)
        .bind(by)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ReportError::NotPending);
        }
        tx.commit().await?;
        self.branch_report(campaign_id, org_id).await?.ok_or(ReportError::Store(StoreError::NotFound))
    }
}

#[cfg(test)]
#[path = "reports_tests.rs"]
mod tests;
