//! The 有关事项报告 of leading cadres: one form per member and campaign, stored as the
//! web layer's JSON answers, versioned so that two tabs never overwrite each other. The answers are sealed with the
//! data key when one is configured (see `sealing`); a report saved before that is read as it is and sealed on its
//! next save.

use sqlx::Row;

use crate::sealing::MATTERS_ANSWERS;
use crate::{Store, StoreError, new_id};

/// A stored 有关事项报告.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MattersReport {
    pub campaign_id: String,
    pub member_id: String,
    pub answers: String,
    pub version: i64,
    pub updated_at: i64,
}

impl Store {
    pub async fn matters_report(
        &self,
        campaign_id: &str,
        member_id: &str,
    ) -> Result<Option<MattersReport>, StoreError> {
        let row = sqlx::query(
            "SELECT answers, version, updated_at FROM matters_reports WHERE campaign_id = $1 AND member_id = $2",
        )
        .bind(campaign_id)
        .bind(member_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(MattersReport {
                campaign_id: campaign_id.to_owned(),
                member_id: member_id.to_owned(),
                answers: self.open(&MATTERS_ANSWERS, &[campaign_id, member_id], row.try_get("answers")?)?,
                version: row.try_get("version")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    /// Saves the answers if the stored version is still `seen` (0: none stored yet).
    pub async fn save_matters_report(
        &self,
        campaign_id: &str,
        member_id: &str,
        seen: i64,
        answers: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let answers = &self.seal(&MATTERS_ANSWERS, &[campaign_id, member_id], answers)?;
        let done = if seen == 0 {
            sqlx::query(
                "INSERT INTO matters_reports (id, campaign_id, member_id, answers, version, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5)",
            )
            .bind(new_id())
            .bind(campaign_id)
            .bind(member_id)
            .bind(answers)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(StoreError::from)
            .map_err(|e| if matches!(e, StoreError::Duplicate(_)) { StoreError::Stale } else { e })?
        } else {
            sqlx::query(
                "UPDATE matters_reports SET answers = $4, version = version + 1, updated_at = $5 \
                 WHERE campaign_id = $1 AND member_id = $2 AND version = $3",
            )
            .bind(campaign_id)
            .bind(member_id)
            .bind(seen)
            .bind(answers)
            .bind(now)
            .execute(self.pool())
            .await?
        };
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        Ok(seen + 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::each_backend;
    use crate::{NewCampaign, NewMember, OrgKind, Standing, StoreError};

    #[tokio::test]
    async fn a_second_tab_cannot_overwrite_the_report() {
        each_backend(|store| async move {
            let county = store.create_org(None, "某县", OrgKind::County, 0).await?;
            let member = store
                .add_member(
                    &NewMember {
                        org_id: &county.id,
                        name: "张三",
                        standing: Standing::Full,
                        joined_on: None,
                        post: None,
                        phone: None,
                        leading_cadre: true,
                    },
                    0,
                )
                .await?;
            let campaign = store
                .create_campaign(
                    &NewCampaign { org_id: &county.id, year: 2025, title: "t", notice: "", definition: "" },
                    0,
                )
                .await?;
            assert!(store.matters_report(&campaign.id, &member.id).await?.is_none());
            assert_eq!(store.save_matters_report(&campaign.id, &member.id, 0, "{}", 1).await?, 1);
            assert!(matches!(
                store.save_matters_report(&campaign.id, &member.id, 0, "{}", 2).await,
                Err(StoreError::Stale)
            ));
            assert_eq!(store.save_matters_report(&campaign.id, &member.id, 1, "{\"a\":1}", 3).await?, 2);
            assert!(matches!(
                store.save_matters_report(&campaign.id, &member.id, 1, "{}", 4).await,
                Err(StoreError::Stale)
            ));
            let stored = store.matters_report(&campaign.id, &member.id).await?.expect("stored");
            assert_eq!((stored.answers.as_str(), stored.version), ("{\"a\":1}", 2));
            Ok(())
        })
        .await;
    }
}
