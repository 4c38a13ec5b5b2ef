//! Campaigns as stored: the opening organization, the year, and the definition (aspects,
//! readings, deadlines) as the TOML the review engine reads.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Org, Store, StoreError, new_id};

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub org_id: String,
    pub year: i64,
    pub title: String,
    pub notice: String,
    pub definition: String,
}

/// What it takes to open a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign<'a> {
    pub org_id: &'a str,
    pub year: i64,
    pub title: &'a str,
    pub notice: &'a str,
    pub definition: &'a str,
}

fn campaign(row: &AnyRow) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        year: row.try_get("year")?,
        title: row.try_get("title")?,
        notice: row.try_get("notice")?,
        definition: row.try_get("definition")?,
    })
}

impl Store {
    pub async fn create_campaign(&self, new: &NewCampaign<'_>, now: i64) -> Result<Campaign, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO campaigns (id, org_id, year, title, notice, definition, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(new.org_id)
        .bind(new.year)
        .bind(new.title)
        .bind(new.notice)
        .bind(new.definition)
        .bind(now)
        .execute(self.pool())
        .await?;
        self.campaign(&id).await
    }

    pub async fn campaign(&self, id: &str) -> Result<Campaign, StoreError> {
        let row = sqlx::query("SELECT id, org_id, year, title, notice, definition FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        campaign(&row)
    }

    /// Campaigns an organization takes part in: those opened by it or by an ancestor,
    /// newest year first.
    pub async fn campaigns_for(&self, org: &Org) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.org_id, c.year, c.title, c.notice, c.definition FROM campaigns c \
             JOIN organizations o ON o.id = c.org_id WHERE $1 LIKE o.path || '%' ORDER BY c.year DESC, c.id DESC",
        )
        .bind(&org.path)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(campaign).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrgKind;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn a_branch_takes_part_in_campaigns_opened_above_it_only() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let committee = store.create_org(Some(&county.id), "县直机关工委", OrgKind::Committee, 0).await?;
            let branch = store.create_org(Some(&committee.id), "第一党支部", OrgKind::Branch, 0).await?;
            let other = store.create_org(Some(&county.id), "城关镇党委", OrgKind::Committee, 0).await?;
            let new = |org_id, year, title| NewCampaign { org_id, year, title, notice: "", definition: "id = \"x\"" };
            let county_wide = store.create_campaign(&new(&county.id, 2024, "全县"), 1).await?;
            let own = store.create_campaign(&new(&committee.id, 2025, "工委"), 2).await?;
            store.create_campaign(&new(&other.id, 2025, "城关镇"), 3).await?;
            let titles: Vec<String> = store.campaigns_for(&branch).await?.into_iter().map(|c| c.title).collect();
            assert_eq!(titles, vec![own.title, county_wide.title]);
            Ok(())
        })
        .await;
    }
}
