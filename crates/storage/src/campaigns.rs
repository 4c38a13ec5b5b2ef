//! Campaigns as stored: the opening organization, the year, and the definition (aspects,
//! readings, deadlines) as the TOML the review engine reads. Every edit names the version
//! it started from, so two admins editing at once never overwrite each other unseen.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MaterialStatus, Org, Store, StoreError, new_id};

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub org_id: String,
    pub year: i64,
    pub title: String,
    pub notice: String,
    pub definition: String,
    /// 1 when opened, one more with every edit.
    pub version: i64,
    pub updated_at: i64,
}

/// What it takes to open a campaign, and what an edit replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign<'a> {
    pub org_id: &'a str,
    pub year: i64,
    pub title: &'a str,
    pub notice: &'a str,
    pub definition: &'a str,
}

/// How far one organization's own members are with a campaign's materials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgProgress {
    pub org_id: String,
    /// Members on the organization's own roster.
    pub members: i64,
    pub draft: i64,
    pub submitted: i64,
    pub returned: i64,
    pub approved: i64,
}

impl OrgProgress {
    /// Members who have not begun a material.
    pub fn not_started(&self) -> i64 {
        (self.members - self.draft - self.submitted - self.returned - self.approved).max(0)
    }

    fn add(&mut self, status: MaterialStatus, count: i64) {
        match status {
            MaterialStatus::Draft => self.draft += count,
            MaterialStatus::Submitted => self.submitted += count,
            MaterialStatus::Returned => self.returned += count,
            MaterialStatus::Approved => self.approved += count,
        }
    }
}

fn campaign(row: &AnyRow) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        year: row.try_get("year")?,
        title: row.try_get("title")?,
        notice: row.try_get("notice")?,
        definition: row.try_get("definition")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

macro_rules! campaign_columns {
    () => {
        "c.id, c.org_id, c.year, c.title, c.notice, c.definition, c.version, c.updated_at"
    };
}

impl Store {
    pub async fn create_campaign(&self, new: &NewCampaign<'_>, now: i64) -> Result<Campaign, StoreError> {
        self.create_campaign_with_id(&new_id(), new, now).await
    }

    /// Opens a campaign under an id the caller made with [`new_id`], for a definition
    /// that names its own campaign.
    pub async fn create_campaign_with_id(
        &self,
        id: &str,
        new: &NewCampaign<'_>,
        now: i64,
    ) -> Result<Campaign, StoreError> {
        sqlx::query(
            "INSERT INTO campaigns (id, org_id, year, title, notice, definition, created_at, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $7)",
        )
        .bind(id)
        .bind(new.org_id)
        .bind(new.year)
        .bind(new.title)
        .bind(new.notice)
        .bind(new.definition)
        .bind(now)
        .execute(self.pool())
        .await?;
        // Last year's unfinished rectification items go on in the new campaign's ledgers.
        self.carry_over_rectification(id, now).await?;
        self.campaign(id).await
    }

    pub async fn campaign(&self, id: &str) -> Result<Campaign, StoreError> {
        let row = sqlx::query(concat!("SELECT ", campaign_columns!(), " FROM campaigns c WHERE c.id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        campaign(&row)
    }

    /// Replaces a campaign's organization, year, title, notice and definition, if it is
    /// still at version `seen`; [`StoreError::Stale`] if someone edited it since.
    pub async fn update_campaign(
        &self,
        id: &str,
        seen: i64,
        new: &NewCampaign<'_>,
        now: i64,
    ) -> Result<Campaign, StoreError> {
        let done = sqlx::query(
            "UPDATE campaigns SET org_id = $1, year = $2, title = $3, notice = $4, definition = $5, \
             version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(new.org_id)
        .bind(new.year)
        .bind(new.title)
        .bind(new.notice)
        .bind(new.definition)
        .bind(now)
        .bind(id)
        .bind(seen)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            // Tells a missing campaign from one edited meanwhile.
            self.campaign(id).await?;
            return Err(StoreError::Stale);
        }
        self.campaign(id).await
    }

    /// Campaigns opened by an organization in `org`'s subtree (itself included): the ones
    /// its admin manages. Newest year first.
    pub async fn campaigns_opened_under(&self, org: &Org) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns c JOIN organizations o ON o.id = c.org_id WHERE o.path LIKE $1 \
              ORDER BY c.year DESC, c.id DESC"
        ))
        .bind(format!("{}%", org.path))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(campaign).collect()
    }

    /// Per organization of the subtree at `path` that has members, its roster size and its members' materials of
    /// the campaign by status, in tree order. Two grouped queries whatever the size of the subtree.
    pub async fn campaign_progress(&self, campaign_id: &str, path: &str) -> Result<Vec<OrgProgress>, StoreError> {
        let pattern = format!("{path}%");
        let members = sqlx::query(
            "SELECT p.org_id, COUNT(*) AS n FROM members p JOIN organizations o ON o.id = p.org_id \
             WHERE o.path LIKE $1 GROUP BY p.org_id, o.path ORDER BY o.path",
        )
        .bind(&pattern)
        .fetch_all(self.pool())
        .await?;
        let mut progress = Vec::with_capacity(members.len());
        for row in &members {
            progress.push(OrgProgress {
                org_id: row.try_get("org_id")?,
                members: row.try_get("n")?,
                ..OrgProgress::default()
            });
        }
        let counts = sqlx::query(
            "SELECT p.org_id, m.status, COUNT(*) AS n FROM materials m JOIN members p ON p.id = m.member_id \
             JOIN organizations o ON o.id = p.org_id WHERE m.campaign_id = $1 AND o.path LIKE $2 \
             GROUP BY p.org_id, m.status",
        )
        .bind(campaign_id)
        .bind(&pattern)
        .fetch_all(self.pool())
        .await?;
        for row in &counts {
            let org_id: String = row.try_get("org_id")?;
            let status: String = row.try_get("status")?;
            let status = MaterialStatus::from_code(&status)
                .ok_or_else(|| StoreError::State(format!("unknown status {status}")))?;
            if let Some(org) = progress.iter_mut().find(|p| p.org_id == org_id) {
                org.add(status, row.try_get("n")?);
            }
        }
        Ok(progress)
    }

    /// Campaigns an organization takes part in: those opened by it or by an ancestor,
    /// newest year first.
    pub async fn campaigns_for(&self, org: &Org) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns c JOIN organizations o ON o.id = c.org_id WHERE $1 LIKE o.path || '%' \
              ORDER BY c.year DESC, c.id DESC"
        ))
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

    #[tokio::test]
    async fn an_edit_names_the_version_it_started_from() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
            let id = new_id();
            let first = NewCampaign { org_id: &county.id, year: 2025, title: "初稿", notice: "", definition: "a" };
            let opened = store.create_campaign_with_id(&id, &first, 10).await?;
            assert_eq!((opened.id.as_str(), opened.version, opened.updated_at), (id.as_str(), 1, 10));
            let edit =
                NewCampaign { org_id: &branch.id, year: 2026, title: "改后", notice: "通知", definition: "b" };
            let edited = store.update_campaign(&id, 1, &edit, 20).await?;
            assert_eq!((edited.version, edited.updated_at, edited.year), (2, 20, 2026));
            assert_eq!(
                (edited.org_id.as_str(), edited.title.as_str(), edited.notice.as_str()),
                (branch.id.as_str(), "改后", "通知")
            );
            let late = NewCampaign { title: "晚了", ..edit };
            assert!(matches!(store.update_campaign(&id, 1, &late, 30).await, Err(StoreError::Stale)));
            assert_eq!(store.campaign(&id).await?.title, "改后", "the stale edit changed nothing");
            assert!(matches!(store.update_campaign("none", 1, &late, 30).await, Err(StoreError::NotFound)));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn an_admin_manages_the_campaigns_opened_in_their_subtree() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let committee = store.create_org(Some(&county.id), "县直机关工委", OrgKind::Committee, 0).await?;
            let branch = store.create_org(Some(&committee.id), "第一党支部", OrgKind::Branch, 0).await?;
            let other = store.create_org(Some(&county.id), "城关镇党委", OrgKind::Committee, 0).await?;
            let new = |org_id, year, title| NewCampaign { org_id, year, title, notice: "", definition: "" };
            store.create_campaign(&new(&county.id, 2025, "全县"), 1).await?;
            store.create_campaign(&new(&committee.id, 2024, "工委"), 2).await?;
            store.create_campaign(&new(&branch.id, 2025, "支部"), 3).await?;
            store.create_campaign(&new(&other.id, 2025, "城关镇"), 4).await?;
            let titles: Vec<String> =
                store.campaigns_opened_under(&committee).await?.into_iter().map(|c| c.title).collect();
            assert_eq!(titles, vec!["支部".to_owned(), "工委".to_owned()]);
            assert_eq!(store.campaigns_opened_under(&county).await?.len(), 4);
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn progress_counts_materials_by_status_per_organization() {
        use crate::{NewMember, Standing};
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let first = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
            let second = store.create_org(Some(&county.id), "第二党支部", OrgKind::Branch, 0).await?;
            let opened = NewCampaign { org_id: &county.id, year: 2025, title: "全县", notice: "", definition: "" };
            let campaign = store.create_campaign(&opened, 1).await?;
            let other = store.create_campaign(&NewCampaign { title: "另一项", ..opened }, 1).await?;
            let mut members = Vec::new();
            for (org, name) in [(&first, "甲"), (&first, "乙"), (&first, "丙"), (&second, "丁")] {
                let new = NewMember {
                    org_id: &org.id,
                    name,
                    standing: Standing::Full,
                    joined_on: None,
                    post: None,
                    phone: None,
                    leading_cadre: false,
                };
                members.push(store.add_member(&new, 1).await?);
            }
            let account = store
                .create_account(
                    &crate::NewAccount {
                        login: "a",
                        phone: None,
                        display_name: "a",
                        role: crate::Role::Member,
                        org_id: &first.id,
                        member_id: None,
                        password_hash: "x",
                        must_change_password: false,
                    },
                    1,
                )
                .await?;
            store.start_material(&campaign.id, &members[0].id, "member", "稿", &account.id, 2).await?;
            let sent = store.start_material(&campaign.id, &members[1].id, "member", "稿", &account.id, 2).await?;
            store.submit_material(&sent.id, 1, 3).await?;
            store.start_material(&other.id, &members[2].id, "member", "稿", &account.id, 2).await?;
            let progress = store.campaign_progress(&campaign.id, &county.path).await?;
            assert_eq!(progress.len(), 2, "only organizations with members");
            let first_row = progress.iter().find(|p| p.org_id == first.id).expect("first branch");
            assert_eq!((first_row.members, first_row.draft, first_row.submitted), (3, 1, 1));
            assert_eq!(first_row.not_started(), 1, "the other campaign's material does not count");
            let second_row = progress.iter().find(|p| p.org_id == second.id).expect("second branch");
            assert_eq!((second_row.members, second_row.not_started()), (1, 1));
            assert_eq!(store.campaign_progress(&campaign.id, &second.path).await?.len(), 1);
            Ok(())
        })
        .await;
    }
}
