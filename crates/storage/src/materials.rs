//! Materials (对照检查材料): a member's draft, its versions, its submission, the engine's
//! review of each submitted version, and the secretary's decision. Every change checks
//! the version the writer last saw, so two tabs or a double submit never lose text.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, new_id};

/// Where a material stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaterialStatus {
    Draft,
    Submitted,
    Returned,
    Approved,
}

impl MaterialStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Approved => "approved",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Draft, Self::Submitted, Self::Returned, Self::Approved].into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "已提交",
            Self::Returned => "已退回",
            Self::Approved => "已通过",
        }
    }

    /// Whether the member may still edit.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }
}

/// A material's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub id: String,
    pub campaign_id: String,
    pub member_id: String,
    pub audience: String,
    pub status: MaterialStatus,
    pub version: i64,
    pub updated_at: i64,
}

/// One saved version of a material's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialVersion {
    pub material_id: String,
    pub version: i64,
    pub body: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The engine's review of a version, as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReview {
    pub material_id: String,
    pub version: i64,
    pub report: String,
    pub copy_ratio: Option<f64>,
    pub net_copy_ratio: Option<f64>,
}

/// The secretary's decision on a submitted version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Return,
}

/// A recorded decision.
/// A reviewer's decision on the version they saw.
#[derive(Debug, Clone, Copy)]
pub struct NewDecision<'a> {
    pub reviewer: &'a str,
    pub decision: Decision,
    /// The overall comment (required for a return unless there are notes).
    pub comment: &'a str,
    pub notes: &'a [PassageNote],
}

/// A kept version, as the version list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub autosaved: bool,
    /// The editor page an autosave came from.
    pub editor: Option<String>,
    /// Length of the body (chars on PostgreSQL and SQLite alike: `length` counts characters).
    pub chars: i64,
}

/// A reviewer's note on one passage of the version they returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassageNote {
    /// Char offsets into that version's text.
    pub start: i64,
    pub end: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub id: String,
    pub material_id: String,
    pub version: i64,
    pub reviewer_id: String,
    pub decision: Decision,
    pub comment: String,
    pub created_at: i64,
}

macro_rules! material_columns {
    () => {
        "id, campaign_id, member_id, audience, status, version, updated_at"
    };
}

fn material(row: &AnyRow) -> Result<Material, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Material {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        member_id: row.try_get("member_id")?,
        audience: row.try_get("audience")?,
        status: MaterialStatus::from_code(&status)
            .ok_or_else(|| StoreError::State(format!("unknown status {status}")))?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Begins a member's material for a campaign with its first draft.
    pub async fn start_material(
        &self,
        campaign_id: &str,
        member_id: &str,
        audience: &str,
        body: &str,
        by: &str,
        now: i64,
    ) -> Result<Material, StoreError> {
        let id = new_id();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO materials (id, campaign_id, member_id, audience, status, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'draft', 1, $5, $5)",
        )
        .bind(&id)
        .bind(campaign_id)
        .bind(member_id)
        .bind(audience)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_version(&mut tx, &id, 1, body, by, now, None).await?;
        tx.commit().await?;
        self.material(&id).await
    }

    pub async fn material(&self, id: &str) -> Result<Material, StoreError> {
        let row = sqlx::query(concat!("SELECT ", material_columns!(), " FROM materials WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        material(&row)
    }

    /// A member's material in a campaign, if begun.
    pub async fn material_of(&self, campaign_id: &str, member_id: &str) -> Result<Option<Material>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            material_columns!(),
            " FROM materials WHERE campaign_id = $1 AND member_id = $2 ORDER BY audience LIMIT 1"
        ))
        .bind(campaign_id)
        .bind(member_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(material).transpose()
    }

    /// Materials of a campaign whose members belong to organizations under `path`.
    pub async fn materials_under(&self, campaign_id: &str, path: &str) -> Result<Vec<Material>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.campaign_id, m.member_id, m.audience, m.status, m.version, m.updated_at \
             FROM materials m JOIN members p ON p.id = m.member_id JOIN organizations o ON o.id = p.org_id \
             WHERE m.campaign_id = $1 AND o.path LIKE $2 ORDER BY o.path, p.name, m.id",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(material).collect()
    }

    /// Material id → its author's name, for every material of a campaign: one query to
    /// name all the sources a review found, however many there are.
    pub async fn author_names(&self, campaign_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, p.name FROM materials m JOIN members p ON p.id = m.member_id WHERE m.campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("name")?))).collect()
    }

    /// Saves a new version of an editable material. `seen` is the version the writer
    /// started from: if another save came in between, nothing is written.
    pub async fn save_material(
        &self,
        id: &str,
        seen: i64,
        body: &str,
        by: &str,
        now: i64,
    ) -> Result<Material, StoreError> {
        self.write_material(id, seen, body, by, now, None).await
    }

    /// Saves a draft the editor sent on its own. The version still moves on, so another
    /// tab's older page is refused as before; but the previous autosaved copy is dropped
    /// when this one replaces it, so only saves the member asked for pile up.
    pub async fn autosave_material(
        &self,
        id: &str,
        seen: i64,
        body: &str,
        by: &str,
        editor: &str,
        now: i64,
    ) -> Result<Material, StoreError> {
        self.write_material(id, seen, body, by, now, Some(editor)).await
    }

    async fn write_material(
        &self,
        id: &str,
        seen: i64,
        body: &str,
        by: &str,
        now: i64,
        autosave_from: Option<&str>,
    ) -> Result<Material, StoreError> {
        let autosaved = autosave_from.is_some();
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE materials SET version = version + 1, updated_at = $3 \
             WHERE id = $1 AND version = $2 AND status IN ('draft', 'returned')",
        )
        .bind(id)
        .bind(seen)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            drop(tx);
            return Err(self.why_unchanged(id, seen).await);
        }
        if autosaved {
            sqlx::query("DELETE FROM material_versions WHERE material_id = $1 AND version = $2 AND autosaved = 1")
                .bind(id)
                .bind(seen)
                .execute(&mut *tx)
                .await?;
        }
        insert_version(&mut tx, id, seen + 1, body, by, now, autosave_from).await?;
        tx.commit().await?;
        self.material(id).await
    }

    /// Submits the version the member saw; a second click finds it submitted already.
    pub async fn submit_material(&self, id: &str, seen: i64, now: i64) -> Result<Material, StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE materials SET status = 'submitted', updated_at = $3 \
             WHERE id = $1 AND version = $2 AND status IN ('draft', 'returned')",
        )
        .bind(id)
        .bind(seen)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            drop(tx);
            return Err(self.why_unchanged(id, seen).await);
        }
        // A submitted version is kept for good, even if the editor saved it on its own.
        sqlx::query("UPDATE material_versions SET autosaved = 0 WHERE material_id = $1 AND version = $2")
            .bind(id)
            .bind(seen)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.material(id).await
    }

    /// Every kept version of a material, newest first, without their bodies.
    pub async fn versions_of(&self, id: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, created_by, created_at, autosaved, editor, length(body) AS size FROM material_versions \
             WHERE material_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VersionInfo {
                    version: row.try_get("version")?,
                    created_by: row.try_get("created_by")?,
                    created_at: row.try_get("created_at")?,
                    autosaved: crate::flag(row.try_get("autosaved")?),
                    editor: row.try_get("editor")?,
                    chars: row.try_get("size")?,
                })
            })
            .collect()
    }

    /// Id, author and current version of every material of a campaign that has been
    /// submitted at least once: what a copy index must hold, cheap enough to ask for on
    /// every review so that each server process can bring its own index up to date.
    pub async fn corpus_versions(&self, campaign_id: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, member_id, version FROM materials WHERE campaign_id = $1 AND status <> 'draft' ORDER BY id",
        )
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("member_id")?, row.try_get("version")?))).collect()
    }

    /// Approves or returns the submitted version `seen`.
    pub async fn decide_material(
        &self,
        id: &str,
        seen: i64,
        decided: &NewDecision<'_>,
        now: i64,
    ) -> Result<Approval, StoreError> {
        let NewDecision { reviewer, decision, comment, notes } = *decided;
        let (status, code) = match decision {
            Decision::Approve => ("approved", "approve"),
            Decision::Return => ("returned", "return"),
        };
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE materials SET status = $3, updated_at = $4 WHERE id = $1 AND version = $2 AND status = 'submitted'",
        )
        .bind(id)
        .bind(seen)
        .bind(status)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            drop(tx);
            return Err(self.why_unchanged(id, seen).await);
        }
        let approval_id = new_id();
        sqlx::query(
            "INSERT INTO approvals (id, material_id, version, reviewer_id, decision, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&approval_id)
        .bind(id)
        .bind(seen)
        .bind(reviewer)
        .bind(code)
        .bind(comment)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for note in notes {
            sqlx::query(
                "INSERT INTO approval_notes (id, approval_id, start_char, end_char, note) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(&approval_id)
            .bind(note.start)
            .bind(note.end)
            .bind(&note.note)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Approval {
            id: approval_id,
            material_id: id.to_owned(),
            version: seen,
            reviewer_id: reviewer.to_owned(),
            decision,
            comment: comment.to_owned(),
            created_at: now,
        })
    }

    /// Every material of a campaign past its draft, with the text of its current version:
    /// the corpus its materials are checked against, in one query.
    pub async fn submitted_bodies(&self, campaign_id: &str) -> Result<Vec<(Material, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.campaign_id, m.member_id, m.audience, m.status, m.version, m.updated_at, v.body \
             FROM materials m JOIN material_versions v ON v.material_id = m.id AND v.version = m.version \
             WHERE m.campaign_id = $1 AND m.status <> 'draft' ORDER BY m.id",
        )
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((material(row)?, row.try_get("body")?))).collect()
    }

    /// The copy ratios (raw, net) of the current version of each reviewed material of a
    /// campaign, by material id.
    pub async fn copy_ratios(
        &self,
        campaign_id: &str,
    ) -> Result<std::collections::HashMap<String, (Option<f64>, Option<f64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, r.copy_ratio, r.net_copy_ratio FROM materials m \
             JOIN reviews r ON r.material_id = m.id AND r.version = m.version WHERE m.campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, (row.try_get("copy_ratio")?, row.try_get("net_copy_ratio")?))))
            .collect()
    }

    /// Every decision on a material, oldest first.
    /// The passage notes of one decision, in text order.
    pub async fn notes_of(&self, approval_id: &str) -> Result<Vec<PassageNote>, StoreError> {
        let rows = sqlx::query(
            "SELECT start_char, end_char, note FROM approval_notes WHERE approval_id = $1 ORDER BY start_char, id",
        )
        .bind(approval_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PassageNote {
                    start: row.try_get("start_char")?,
                    end: row.try_get("end_char")?,
                    note: row.try_get("note")?,
                })
            })
            .collect()
    }

    pub async fn approvals_of(&self, id: &str) -> Result<Vec<Approval>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, material_id, version, reviewer_id, decision, comment, created_at FROM approvals \
             WHERE material_id = $1 ORDER BY created_at, id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let decision: String = row.try_get("decision")?;
                Ok(Approval {
                    id: row.try_get("id")?,
                    material_id: row.try_get("material_id")?,
                    version: row.try_get("version")?,
                    reviewer_id: row.try_get("reviewer_id")?,
                    decision: if decision == "approve" { Decision::Approve } else { Decision::Return },
                    comment: row.try_get("comment")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Why a guarded update touched nothing: gone, moved on, or in the wrong state.
    async fn why_unchanged(&self, id: &str, seen: i64) -> StoreError {
        match self.material(id).await {
            Err(e) => e,
            Ok(m) if m.version != seen => StoreError::Stale,
            Ok(m) => StoreError::State(m.status.code().to_owned()),
        }
    }

    pub async fn material_version(&self, id: &str, version: i64) -> Result<MaterialVersion, StoreError> {
        let row = sqlx::query(
            "SELECT material_id, version, body, created_by, created_at FROM material_versions \
             WHERE material_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_one(self.pool())
        .await?;
        Ok(MaterialVersion {
            material_id: row.try_get("material_id")?,
            version: row.try_get("version")?,
            body: row.try_get("body")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Stores (or replaces) the engine's review of a version. One upsert, so two servers reviewing the same
    /// version at once (both seeing a stale review) both succeed and the later one stays.
    pub async fn save_review(&self, review: &StoredReview, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO reviews (material_id, version, report, copy_ratio, net_copy_ratio, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (material_id, version) DO UPDATE SET report = excluded.report, \
             copy_ratio = excluded.copy_ratio, net_copy_ratio = excluded.net_copy_ratio, created_at = excluded.created_at",
        )
        .bind(&review.material_id)
        .bind(review.version)
        .bind(&review.report)
        .bind(review.copy_ratio)
        .bind(review.net_copy_ratio)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// When the review of a version was made, if it has one: enough to tell whether a kept rendering of it is
    /// still the one to show, without reading the report.
    pub async fn review_made_at(&self, id: &str, version: i64) -> Result<Option<i64>, StoreError> {
        let made: Option<i64> =
            sqlx::query_scalar("SELECT created_at FROM reviews WHERE material_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(self.pool())
                .await?;
        Ok(made)
    }

    pub async fn review_of(&self, id: &str, version: i64) -> Result<Option<StoredReview>, StoreError> {
        let row = sqlx::query(
            "SELECT material_id, version, report, copy_ratio, net_copy_ratio FROM reviews \
             WHERE material_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(StoredReview {
                material_id: row.try_get("material_id")?,
                version: row.try_get("version")?,
                report: row.try_get("report")?,
                copy_ratio: row.try_get("copy_ratio")?,
                net_copy_ratio: row.try_get("net_copy_ratio")?,
            })
        })
        .transpose()
    }
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    version: i64,
    body: &str,
    by: &str,
    now: i64,
    autosave_from: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO material_versions (material_id, version, body, created_by, created_at, autosaved, editor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(version)
    .bind(body)
    .bind(by)
    .bind(now)
    .bind(i64::from(autosave_from.is_some()))
    .bind(autosave_from)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;
    use crate::{NewAccount, NewCampaign, NewMember, OrgKind, Role, Standing};

    /// A county with one branch, one member with an account, and one campaign.
    async fn setup(store: &Store) -> Result<(String, String, String), StoreError> {
        let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
        let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
        let member = store
            .add_member(
                &NewMember {
                    org_id: &branch.id,
                    name: "李红",
                    standing: Standing::Full,
                    joined_on: None,
                    post: None,
                    phone: None,
                    leading_cadre: false,
                },
                0,
            )
            .await?;
        let account = store
            .create_account(
                &NewAccount {
                    login: "lihong",
                    phone: None,
                    display_name: "李红",
                    role: Role::Member,
                    org_id: &branch.id,
                    member_id: Some(&member.id),
                    password_hash: "h",
                    must_change_password: false,
                },
                0,
            )
            .await?;
        let campaign = store
            .create_campaign(
                &NewCampaign { org_id: &county.id, year: 2024, title: "2024年度", notice: "", definition: "" },
                0,
            )
            .await?;
        Ok((campaign.id, member.id, account.id))
    }

    #[tokio::test]
    async fn draft_save_submit_return_revise_approve() {
        each_backend(|store| async move {
            let (campaign, member, account) = setup(&store).await?;
            let m = store.start_material(&campaign, &member, "member", "初稿", &account, 1).await?;
            assert_eq!((m.status, m.version), (MaterialStatus::Draft, 1));
            let m = store.save_material(&m.id, 1, "二稿", &account, 2).await?;
            assert_eq!(m.version, 2);
            assert_eq!(store.material_version(&m.id, 1).await?.body, "初稿", "old versions are kept");
            let m = store.submit_material(&m.id, 2, 3).await?;
            assert_eq!(m.status, MaterialStatus::Submitted);
            assert!(matches!(store.save_material(&m.id, 2, "改", &account, 4).await, Err(StoreError::State(_))));
            store
                .decide_material(
                    &m.id,
                    2,
                    &NewDecision {
                        reviewer: &account,
                        decision: Decision::Return,
                        comment: "第三条问题请写具体",
                        notes: &[],
                    },
                    5,
                )
                .await?;
            let m = store.save_material(&m.id, 2, "三稿", &account, 6).await?;
            let m = store.submit_material(&m.id, 3, 7).await?;
            store
                .decide_material(
                    &m.id,
                    3,
                    &NewDecision { reviewer: &account, decision: Decision::Approve, comment: "", notes: &[] },
                    8,
                )
                .await?;
            assert_eq!(store.material(&m.id).await?.status, MaterialStatus::Approved);
            let decisions: Vec<Decision> = store.approvals_of(&m.id).await?.iter().map(|a| a.decision).collect();
            assert_eq!(decisions, vec![Decision::Return, Decision::Approve]);
            assert_eq!(store.material_of(&campaign, &member).await?.map(|x| x.id), Some(m.id));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn autosaves_collapse_but_saves_and_submissions_are_kept() {
        each_backend(|store| async move {
            let (campaign, member, account) = setup(&store).await?;
            let m = store.start_material(&campaign, &member, "member", "初稿", &account, 1).await?;
            let m = store.autosave_material(&m.id, 1, "初稿加一句", &account, "tab", 2).await?;
            let m = store.autosave_material(&m.id, 2, "初稿加两句", &account, "tab", 3).await?;
            assert_eq!(m.version, 3, "every autosave moves the version on, so older tabs are refused");
            let kept: Vec<(i64, bool)> =
                store.versions_of(&m.id).await?.iter().map(|v| (v.version, v.autosaved)).collect();
            assert_eq!(kept, vec![(3, true), (1, false)]);
            // Another tab still showing version 2 must not overwrite version 3.
            assert!(matches!(
                store.autosave_material(&m.id, 2, "旧页面", &account, "tab", 4).await,
                Err(StoreError::Stale)
            ));
            let m = store.submit_material(&m.id, 3, 5).await?;
            store
                .decide_material(
                    &m.id,
                    3,
                    &NewDecision { reviewer: &account, decision: Decision::Return, comment: "请修改", notes: &[] },
                    6,
                )
                .await?;
            let m = store.autosave_material(&m.id, 3, "修改中", &account, "tab", 7).await?;
            assert_eq!(store.material_version(&m.id, 3).await?.body, "初稿加两句", "the submitted version stays");
            assert_eq!(store.material_version(&m.id, 4).await?.body, "修改中");
            let sizes: Vec<i64> = store.versions_of(&m.id).await?.iter().map(|v| v.chars).collect();
            assert_eq!(sizes, vec![3, 5, 2]);
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn passage_notes_come_back_with_their_decision() {
        each_backend(|store| async move {
            let (campaign, member, account) = setup(&store).await?;
            let m = store.start_material(&campaign, &member, "member", "第一段。第二段。", &account, 1).await?;
            store.submit_material(&m.id, 1, 2).await?;
            let notes = vec![
                PassageNote { start: 4, end: 8, note: "写具体".into() },
                PassageNote { start: 0, end: 4, note: "与他人雷同".into() },
            ];
            let approval = store
                .decide_material(
                    &m.id,
                    1,
                    &NewDecision {
                        reviewer: &account, decision: Decision::Return, comment: "见批注", notes: &notes
                    },
                    3,
                )
                .await?;
            let back = store.notes_of(&approval.id).await?;
            assert_eq!(back.iter().map(|n| n.start).collect::<Vec<_>>(), vec![0, 4]);
            assert_eq!(back[1].note, "写具体");
            let corpus = store.corpus_versions(&campaign).await?;
            assert_eq!(corpus, vec![(m.id.clone(), member.clone(), 1)]);
            assert_eq!(store.author_names(&campaign).await?, vec![(m.id.clone(), "李红".to_owned())]);
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn two_tabs_and_double_submits_lose_nothing() {
        each_backend(|store| async move {
            let (campaign, member, account) = setup(&store).await?;
            let m = store.start_material(&campaign, &member, "member", "初稿", &account, 1).await?;
            store.save_material(&m.id, 1, "甲标签页的修改", &account, 2).await?;
            let late = store.save_material(&m.id, 1, "乙标签页的修改", &account, 3).await;
            assert!(matches!(late, Err(StoreError::Stale)), "{late:?}");
            assert_eq!(store.material_version(&m.id, 2).await?.body, "甲标签页的修改");
            store.submit_material(&m.id, 2, 4).await?;
            let again = store.submit_material(&m.id, 2, 5).await;
            assert!(matches!(again, Err(StoreError::State(ref s)) if s == "submitted"), "{again:?}");
            let twice = store.start_material(&campaign, &member, "member", "另起一份", &account, 6).await;
            assert!(matches!(twice, Err(StoreError::Duplicate(_))), "{twice:?}");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn reviews_are_kept_per_version() {
        each_backend(|store| async move {
            let (campaign, member, account) = setup(&store).await?;
            let m = store.start_material(&campaign, &member, "member", "初稿", &account, 1).await?;
            let review = StoredReview {
                material_id: m.id.clone(),
                version: 1,
                report: "{}".into(),
                copy_ratio: Some(0.25),
                net_copy_ratio: None,
            };
            store.save_review(&review, 2).await?;
            store.save_review(&StoredReview { report: "{\"a\":1}".into(), ..review.clone() }, 3).await?;
            let stored = store.review_of(&m.id, 1).await?.expect("stored");
            assert_eq!(stored.report, "{\"a\":1}");
            assert_eq!(stored.copy_ratio, Some(0.25));
            assert!(store.review_of(&m.id, 2).await?.is_none());
            assert_eq!(store.copy_ratios(&campaign).await?.get(&m.id), Some(&(Some(0.25), None)));
            assert!(store.submitted_bodies(&campaign).await?.is_empty(), "drafts are no one's corpus");
            store.submit_material(&m.id, 1, 4).await?;
            let bodies = store.submitted_bodies(&campaign).await?;
            assert_eq!(
                bodies.iter().map(|(m, body)| (m.id.clone(), body.as_str())).collect::<Vec<_>>(),
                vec![(m.id.clone(), "初稿")]
            );
            Ok(())
        })
        .await;
    }
}
