//! Democratic appraisal (民主评议党员) apart from the ballot: each campaign's settings, the members' self-evaluations
//! and mutual evaluations, the committee's decisions (组织评定) and what follows a 不合格. A decision's grade and
//! reason are sealed with the data key when one is configured (see `sealing`).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sealing::{DECISION_GRADE, DECISION_REASON};
use crate::{Store, StoreError, flag, new_id};

/// The four grades of the appraisal, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grade {
    Excellent,
    Competent,
    BasicallyCompetent,
    Incompetent,
}

impl Grade {
    pub const ALL: [Self; 4] = [Self::Excellent, Self::Competent, Self::BasicallyCompetent, Self::Incompetent];

    pub fn code(self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Competent => "competent",
            Self::BasicallyCompetent => "basically_competent",
            Self::Incompetent => "incompetent",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Excellent => "优秀",
            Self::Competent => "合格",
            Self::BasicallyCompetent => "基本合格",
            Self::Incompetent => "不合格",
        }
    }

    /// Its place in [`Grade::ALL`].
    pub fn index(self) -> usize {
        match self {
            Self::Excellent => 0,
            Self::Competent => 1,
            Self::BasicallyCompetent => 2,
            Self::Incompetent => 3,
        }
    }
}

pub(crate) fn grade(code: &str) -> Result<Grade, StoreError> {
    Grade::from_code(code).ok_or_else(|| StoreError::State(format!("unknown grade {code}")))
}

/// A share such as "more than half" or "one third"; `num == 0` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    pub num: i64,
    pub den: i64,
}

impl Fraction {
    pub const NONE: Self = Self { num: 0, den: 1 };

    pub fn is_none(self) -> bool {
        self.num == 0 || self.den <= 0
    }
}

/// How a campaign runs its appraisal; local rules differ, so none of this is fixed in code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppraisalSettings {
    /// 预备党员 vote too (the usual rule), or only 正式党员.
    pub probationary_vote: bool,
    /// 预备党员 are graded too (unusual), or only 正式党员.
    pub probationary_graded: bool,
    /// The share of eligible voters that must be present.
    pub quorum: Fraction,
    /// Quorum is "more than" (过半数) rather than "at least".
    pub quorum_strict: bool,
    /// The most 优秀 as a share of those graded; none when [`Fraction::is_none`].
    pub excellent_cap: Fraction,
    /// 0 until first saved.
    pub version: i64,
}

impl Default for AppraisalSettings {
    /// 预备党员 vote but are not graded; more than half of those with a vote present; no cap on 优秀.
    fn default() -> Self {
        Self {
            probationary_vote: true,
            probationary_graded: false,
            quorum: Fraction { num: 1, den: 2 },
            quorum_strict: true,
            excellent_cap: Fraction::NONE,
            version: 0,
        }
    }
}

/// One member's comment on another (互评), signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutualEvaluation {
    pub id: String,
    pub from_member_id: String,
    pub to_member_id: String,
    pub body: String,
    pub created_at: i64,
}

/// The committee's grade for a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeDecision {
    pub member_id: String,
    pub grade: Grade,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: i64,
}

/// What follows a 不合格.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowupKind {
    /// 限期改正
    Correction,
    /// 劝退
    Persuade,
    /// 除名
    Expel,
}

impl FollowupKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Correction => "correction",
            Self::Persuade => "persuade",
            Self::Expel => "expel",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Correction, Self::Persuade, Self::Expel].into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Correction => "限期改正",
            Self::Persuade => "劝退",
            Self::Expel => "除名",
        }
    }
}

/// What a 不合格 decision starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFollowup<'a> {
    pub campaign_id: &'a str,
    pub member_id: &'a str,
    pub kind: FollowupKind,
    pub deadline: Option<&'a str>,
    pub note: &'a str,
    pub created_by: &'a str,
}

/// A follow-up record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    pub id: String,
    pub member_id: String,
    pub kind: FollowupKind,
    pub deadline: Option<String>,
    pub note: String,
    /// `open`, `awaiting_superior`, `approved` or `rejected`.
    pub status: String,
    pub created_at: i64,
}

fn followup(row: &AnyRow) -> Result<Followup, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Followup {
        id: row.try_get("id")?,
        member_id: row.try_get("member_id")?,
        kind: FollowupKind::from_code(&kind).ok_or_else(|| StoreError::State(format!("unknown follow-up {kind}")))?,
        deadline: row.try_get("deadline")?,
        note: row.try_get("note")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Why a follow-up cannot be decided: it is not waiting for the superior.
pub const FOLLOWUP_NOT_AWAITING: &str = "followup_not_awaiting";

impl Store {
    /// The campaign's appraisal settings, or the defaults while none are saved.
    pub async fn appraisal_settings(&self, campaign_id: &str) -> Result<AppraisalSettings, StoreError> {
        let row = sqlx::query(
            "SELECT voters, graded, quorum_num, quorum_den, quorum_strict, excellent_num, excellent_den, version \
             FROM campaign_appraisal_settings WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(AppraisalSettings::default()) };
        let voters: String = row.try_get("voters")?;
        let graded: String = row.try_get("graded")?;
        Ok(AppraisalSettings {
            probationary_vote: voters == "all",
            probationary_graded: graded == "all",
            quorum: Fraction { num: row.try_get("quorum_num")?, den: row.try_get("quorum_den")? },
            quorum_strict: flag(row.try_get("quorum_strict")?),
            excellent_cap: Fraction { num: row.try_get("excellent_num")?, den: row.try_get("excellent_den")? },
            version: row.try_get("version")?,
        })
    }

    /// Saves the settings if they are still at `settings.version` (0: never saved); [`StoreError::Stale`] if someone
    /// saved them since.
    pub async fn save_appraisal_settings(
        &self,
        campaign_id: &str,
        settings: &AppraisalSettings,
        now: i64,
    ) -> Result<AppraisalSettings, StoreError> {
        let voters = if settings.probationary_vote { "all" } else { "full" };
        let graded = if settings.probationary_graded { "all" } else { "full" };
        // The update names the version it started from; a first save inserts, and loses to a concurrent first save.
        let sql = if settings.version == 0 {
            "INSERT INTO campaign_appraisal_settings (campaign_id, voters, graded, quorum_num, quorum_den, \
             quorum_strict, excellent_num, excellent_den, version, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, 1, $9 WHERE $10 = 0 ON CONFLICT (campaign_id) DO NOTHING"
        } else {
            "UPDATE campaign_appraisal_settings SET voters = $2, graded = $3, quorum_num = $4, quorum_den = $5, \
             quorum_strict = $6, excellent_num = $7, excellent_den = $8, version = version + 1, updated_at = $9 \
             WHERE campaign_id = $1 AND version = $10"
        };
        let done = sqlx::query(sql)
            .bind(campaign_id)
            .bind(voters)
            .bind(graded)
            .bind(settings.quorum.num)
            .bind(settings.quorum.den)
            .bind(i64::from(settings.quorum_strict))
            .bind(settings.excellent_cap.num)
            .bind(settings.excellent_cap.den)
            .bind(now)
            .bind(settings.version)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        self.appraisal_settings(campaign_id).await
    }

    /// A member's self-evaluation and when it was last saved.
    pub async fn self_evaluation(&self, campaign_id: &str, member_id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT body FROM self_evaluations WHERE campaign_id = $1 AND member_id = $2")
            .bind(campaign_id)
            .bind(member_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get("body")).transpose().map_err(Into::into)
    }

    pub async fn save_self_evaluation(
        &self,
        campaign_id: &str,
        member_id: &str,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO self_evaluations (campaign_id, member_id, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (campaign_id, member_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(campaign_id)
        .bind(member_id)
        .bind(body)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The self-evaluations of an organization's members, by member id.
    pub async fn self_evaluations_in(
        &self,
        campaign_id: &str,
        org_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.member_id, s.body FROM self_evaluations s JOIN members m ON m.id = s.member_id \
             WHERE s.campaign_id = $1 AND m.org_id = $2",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("member_id")?, r.try_get("body")?))).collect()
    }

    pub async fn add_mutual_evaluation(
        &self,
        campaign_id: &str,
        org_id: &str,
        from: &str,
        to: &str,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mutual_evaluations (id, campaign_id, org_id, from_member_id, to_member_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(campaign_id)
        .bind(org_id)
        .bind(from)
        .bind(to)
        .bind(body)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The mutual evaluations written in an organization, or (with `member`) those to or from one member.
    pub async fn mutual_evaluations(
        &self,
        campaign_id: &str,
        org_id: &str,
        member: Option<&str>,
    ) -> Result<Vec<MutualEvaluation>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, from_member_id, to_member_id, body, created_at FROM mutual_evaluations \
             WHERE campaign_id = $1 AND org_id = $2 AND ($3 IS NULL OR from_member_id = $3 OR to_member_id = $3) \
             ORDER BY id",
        )
        .bind(campaign_id)
        .bind(org_id)
        .bind(member)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MutualEvaluation {
                    id: r.try_get("id")?,
                    from_member_id: r.try_get("from_member_id")?,
                    to_member_id: r.try_get("to_member_id")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Records (or replaces) the committee's grade for a member.
    pub async fn save_grade_decision(&self, campaign_id: &str, decision: &GradeDecision) -> Result<(), StoreError> {
        let row = [campaign_id, decision.member_id.as_str()];
        let grade = self.seal(&DECISION_GRADE, &row, decision.grade.code())?;
        let reason = self.seal(&DECISION_REASON, &row, &decision.reason)?;
        sqlx::query(
            "INSERT INTO grade_decisions (campaign_id, member_id, grade, reason, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (campaign_id, member_id) DO UPDATE SET \
             grade = excluded.grade, reason = excluded.reason, decided_by = excluded.decided_by, \
             decided_at = excluded.decided_at",
        )
        .bind(campaign_id)
        .bind(&decision.member_id)
        .bind(&grade)
        .bind(&reason)
        .bind(&decision.decided_by)
        .bind(decision.decided_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The decisions about an organization's members.
    pub async fn grade_decisions_in(&self, campaign_id: &str, org_id: &str) -> Result<Vec<GradeDecision>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.member_id, d.grade, d.reason, d.decided_by, d.decided_at FROM grade_decisions d \
             JOIN members m ON m.id = d.member_id WHERE d.campaign_id = $1 AND m.org_id = $2",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let member_id: String = r.try_get("member_id")?;
                let row = [campaign_id, member_id.as_str()];
                let code = self.open(&DECISION_GRADE, &row, r.try_get("grade")?)?;
                let reason = self.open(&DECISION_REASON, &row, r.try_get("reason")?)?;
                Ok(GradeDecision {
                    grade: grade(&code)?,
                    reason,
                    member_id,
                    decided_by: r.try_get("decided_by")?,
                    decided_at: r.try_get("decided_at")?,
                })
            })
            .collect()
    }

    /// Starts (or replaces, while it is not decided by the superior) the follow-up of a member graded 不合格. 限期改正
    /// is under way at once; 劝退 and 除名 wait for the party committee above.
    pub async fn start_followup(&self, new: &NewFollowup<'_>, now: i64) -> Result<(), StoreError> {
        let status = if new.kind == FollowupKind::Correction { "open" } else { "awaiting_superior" };
        let done = sqlx::query(
            "INSERT INTO appraisal_followups (id, campaign_id, member_id, kind, deadline, note, status, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (campaign_id, member_id) DO UPDATE \
             SET kind = excluded.kind, deadline = excluded.deadline, note = excluded.note, status = excluded.status, \
             created_by = excluded.created_by, created_at = excluded.created_at \
             WHERE appraisal_followups.status IN ('open', 'awaiting_superior')",
        )
        .bind(new_id())
        .bind(new.campaign_id)
        .bind(new.member_id)
        .bind(new.kind.code())
        .bind(new.deadline)
        .bind(new.note)
        .bind(status)
        .bind(new.created_by)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::State(FOLLOWUP_NOT_AWAITING.to_owned()));
        }
        Ok(())
    }

    pub async fn followups_in(&self, campaign_id: &str, org_id: &str) -> Result<Vec<Followup>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.id, f.member_id, f.kind, f.deadline, f.note, f.status, f.created_at \
             FROM appraisal_followups f JOIN members m ON m.id = f.member_id \
             WHERE f.campaign_id = $1 AND m.org_id = $2 ORDER BY f.id",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(followup).collect()
    }

    /// The superior's approval or rejection of a 劝退 or 除名, once.
    pub async fn decide_followup(&self, id: &str, approve: bool, by: &str, now: i64) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE appraisal_followups SET status = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $1 AND status = 'awaiting_superior'",
        )
        .bind(id)
        .bind(if approve { "approved" } else { "rejected" })
        .bind(by)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::State(FOLLOWUP_NOT_AWAITING.to_owned()));
        }
        Ok(())
    }

    pub async fn followup(&self, id: &str) -> Result<Followup, StoreError> {
        let row = sqlx::query(
            "SELECT id, member_id, kind, deadline, note, status, created_at FROM appraisal_followups WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        followup(&row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;
    use crate::{NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing};

    #[tokio::test]
    async fn settings_default_then_save_with_a_version_check() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
            let campaign = store
                .create_campaign(
                    &NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "id = \"x\"" },
                    1,
                )
                .await?;
            let defaults = store.appraisal_settings(&campaign.id).await?;
            assert_eq!(defaults, AppraisalSettings::default());
            assert!(defaults.probationary_vote && !defaults.probationary_graded);
            let wanted = AppraisalSettings { excellent_cap: Fraction { num: 1, den: 3 }, ..defaults.clone() };
            let saved = store.save_appraisal_settings(&campaign.id, &wanted, 2).await?;
            assert_eq!(saved.version, 1);
            assert_eq!(saved.excellent_cap, Fraction { num: 1, den: 3 });
            assert!(matches!(store.save_appraisal_settings(&campaign.id, &wanted, 3).await, Err(StoreError::Stale)));
            let next = AppraisalSettings { probationary_vote: false, ..saved.clone() };
            assert_eq!(store.save_appraisal_settings(&campaign.id, &next, 4).await?.version, 2);
            assert!(matches!(store.save_appraisal_settings(&campaign.id, &saved, 5).await, Err(StoreError::Stale)));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_dismissal_waits_for_the_superior_and_is_decided_once() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 1).await?;
            let branch = store.create_org(Some(&county.id), "支部", OrgKind::Branch, 1).await?;
            let member = store
                .add_member(
                    &NewMember {
                        org_id: &branch.id,
                        name: "甲",
                        standing: Standing::Full,
                        joined_on: None,
                        post: None,
                        phone: None,
                        leading_cadre: false,
                    },
                    1,
                )
                .await?;
            let by = store
                .create_account(
                    &NewAccount {
                        login: "a",
                        phone: None,
                        display_name: "a",
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
            let decision = GradeDecision {
                member_id: member.id.clone(),
                grade: Grade::Incompetent,
                reason: "长期不参加组织生活".into(),
                decided_by: by.id.clone(),
                decided_at: 2,
            };
            store.save_grade_decision(&campaign.id, &decision).await?;
            store.save_grade_decision(&campaign.id, &GradeDecision { reason: "改".into(), ..decision.clone() }).await?;
            let decided = store.grade_decisions_in(&campaign.id, &branch.id).await?;
            assert_eq!(decided.len(), 1, "one decision per member, replaced");
            assert_eq!(decided[0].reason, "改");
            let expel = NewFollowup {
                campaign_id: &campaign.id,
                member_id: &member.id,
                kind: FollowupKind::Expel,
                deadline: None,
                note: "支部大会决定",
                created_by: &by.id,
            };
            store.start_followup(&expel, 3).await?;
            let followup = &store.followups_in(&campaign.id, &branch.id).await?[0];
            assert_eq!(followup.status, "awaiting_superior");
            store.decide_followup(&followup.id, true, &by.id, 4).await?;
            assert!(matches!(store.decide_followup(&followup.id, false, &by.id, 5).await, Err(StoreError::State(_))));
            let again = store.start_followup(&NewFollowup { kind: FollowupKind::Correction, ..expel }, 6).await;
            assert!(matches!(again, Err(StoreError::State(_))), "an approved dismissal is not replaced");
            assert_eq!(store.followup(&followup.id).await?.status, "approved");
            Ok(())
        })
        .await;
    }
}
