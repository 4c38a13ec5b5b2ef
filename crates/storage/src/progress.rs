//! What the superior's view of a campaign counts, per organization of a subtree, each in one grouped query whatever
//! the size of the subtree: study sessions, opinions, talks held, closed ballot rounds, and the current reviews of
//! the materials (their net copy ratios and the sources they copied from, for the campaign-wide statistics).

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use crate::{Store, StoreError};

/// The engine's review of a material's current version, with where the material comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentReview {
    pub material_id: String,
    pub member_id: String,
    pub member_name: String,
    pub org_id: String,
    pub net_copy_ratio: Option<f64>,
    /// The review as JSON (see docs/review-json.md).
    pub report: String,
}

impl Store {
    /// Study sessions recorded per organization of the subtree at `path`.
    pub async fn study_counts_under(&self, campaign_id: &str, path: &str) -> Result<HashMap<String, i64>, StoreError> {
        self.org_counts_under(
            "SELECT s.org_id, COUNT(*) AS n FROM study_sessions s JOIN organizations o ON o.id = s.org_id \
             WHERE s.campaign_id = $1 AND o.path LIKE $2 GROUP BY s.org_id",
            campaign_id,
            path,
        )
        .await
    }

    /// Opinions collected per organization of the subtree at `path`: counts only, nothing of any opinion.
    pub async fn opinion_counts_under(
        &self,
        campaign_id: &str,
        path: &str,
    ) -> Result<HashMap<String, i64>, StoreError> {
        self.org_counts_under(
            "SELECT c.org_id, COUNT(*) AS n FROM opinions p JOIN opinion_channels c ON c.id = p.channel_id \
             JOIN organizations o ON o.id = c.org_id WHERE c.campaign_id = $1 AND o.path LIKE $2 GROUP BY c.org_id",
            campaign_id,
            path,
        )
        .await
    }

    async fn org_counts_under(
        &self,
        sql: &'static str,
        campaign_id: &str,
        path: &str,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let rows = sqlx::query(sql).bind(campaign_id).bind(format!("{path}%")).fetch_all(self.pool()).await?;
        rows.iter().map(|row| Ok((row.try_get("org_id")?, row.try_get("n")?))).collect()
    }

    /// The pairs that talked, per organization of the subtree at `path`: `(org, first member, second member)`.
    pub async fn talk_pairs_under(
        &self,
        campaign_id: &str,
        path: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.org_id, t.first_member_id, t.second_member_id FROM talks t \
             JOIN organizations o ON o.id = t.org_id WHERE t.campaign_id = $1 AND o.path LIKE $2",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("org_id")?, row.try_get("first_member_id")?, row.try_get("second_member_id")?)))
            .collect()
    }

    /// The organizations of the subtree at `path` with a closed ballot round in the campaign: their appraisal's
    /// vote is over.
    pub async fn closed_appraisals_under(&self, campaign_id: &str, path: &str) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT r.org_id FROM ballot_rounds r JOIN organizations o ON o.id = r.org_id \
             WHERE r.campaign_id = $1 AND o.path LIKE $2 AND r.status = 'closed'",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("org_id")?)).collect()
    }

    /// The items of each organization's ledger of the campaign in the subtree at `path` (raised in it, or carried
    /// into it from an earlier year, as the ledger lists them): `(verified, all)`.
    pub async fn rectification_counts_under(
        &self,
        campaign_id: &str,
        path: &str,
    ) -> Result<HashMap<String, (i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.org_id, SUM(CASE WHEN i.status = 'verified' THEN 1 ELSE 0 END) AS verified, COUNT(*) AS n \
             FROM rectification_items i JOIN organizations o ON o.id = i.org_id \
             WHERE (i.campaign_id = $1 OR EXISTS (SELECT 1 FROM rectification_carryovers c \
                    WHERE c.campaign_id = $1 AND c.item_id = i.id)) \
               AND o.path LIKE $2 GROUP BY i.org_id",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("org_id")?, (row.try_get("verified")?, row.try_get("n")?)))).collect()
    }

    /// The review of the current version of every material of the subtree at `path` that has one.
    pub async fn current_reviews_under(&self, campaign_id: &str, path: &str) -> Result<Vec<CurrentReview>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.member_id, p.name, p.org_id, r.net_copy_ratio, r.report FROM materials m \
             JOIN reviews r ON r.material_id = m.id AND r.version = m.version \
             JOIN members p ON p.id = m.member_id JOIN organizations o ON o.id = p.org_id \
             WHERE m.campaign_id = $1 AND o.path LIKE $2 ORDER BY m.id",
        )
        .bind(campaign_id)
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CurrentReview {
                    material_id: row.try_get("id")?,
                    member_id: row.try_get("member_id")?,
                    member_name: row.try_get("name")?,
                    org_id: row.try_get("org_id")?,
                    net_copy_ratio: row.try_get("net_copy_ratio")?,
                    report: row.try_get("report")?,
                })
            })
            .collect()
    }
}
