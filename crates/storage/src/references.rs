//! Reference documents: templates a superior admin uploads (范文 found on the web, last
//! year's circulated samples), against which every material below that organization is
//! checked for copying.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, new_id};

/// A stored reference document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceDocument {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
}

fn reference(row: &AnyRow) -> Result<ReferenceDocument, StoreError> {
    Ok(ReferenceDocument {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a template owned by `org_id`.
    pub async fn add_template(&self, org_id: &str, title: &str, body: &str, now: i64) -> Result<String, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO reference_documents (id, org_id, kind, title, body, created_at) \
             VALUES ($1, $2, 'template', $3, $4, $5)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(title)
        .bind(body)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(id)
    }

    /// Removes a template, but only through the organization that owns it.
    pub async fn remove_template(&self, org_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM reference_documents WHERE id = $1 AND org_id = $2 AND kind = 'template'")
            .bind(id)
            .bind(org_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The templates that apply to a campaign opened by the organization at `path`:
    /// those its own organization and every ancestor uploaded (the path lists them).
    pub async fn templates_for(&self, path: &str) -> Result<Vec<ReferenceDocument>, StoreError> {
        let ancestors: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut all = Vec::new();
        for org in ancestors {
            let rows = sqlx::query(
                "SELECT id, org_id, title, body, created_at FROM reference_documents \
                 WHERE org_id = $1 AND kind = 'template' ORDER BY created_at, id",
            )
            .bind(org)
            .fetch_all(self.pool())
            .await?;
            for row in &rows {
                all.push(reference(row)?);
            }
        }
        Ok(all)
    }

    /// Ids of every template a campaign opened at `path` checks against: those uploaded
    /// by the opener and its ancestors, and those uploaded anywhere inside its subtree (a
    /// committee's collection of web templates is worth checking every branch against).
    pub async fn template_ids_for(&self, path: &str) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        let ancestors: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for org in ancestors.iter().take(ancestors.len().saturating_sub(1)) {
            let rows = sqlx::query("SELECT id FROM reference_documents WHERE org_id = $1 AND kind = 'template'")
                .bind(*org)
                .fetch_all(self.pool())
                .await?;
            for row in &rows {
                ids.push(row.try_get("id")?);
            }
        }
        // Paths hold only hex ids and slashes, so the prefix has no LIKE wildcards.
        let rows = sqlx::query(
            "SELECT r.id FROM reference_documents r JOIN organizations o ON o.id = r.org_id \
             WHERE r.kind = 'template' AND o.path LIKE $1 ORDER BY r.id",
        )
        .bind(format!("{path}%"))
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            ids.push(row.try_get("id")?);
        }
        Ok(ids)
    }

    /// A template's title alone: a review page names its sources on every view.
    pub async fn reference_title(&self, id: &str) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT title FROM reference_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get("title")?)
    }

    pub async fn reference_document(&self, id: &str) -> Result<ReferenceDocument, StoreError> {
        let row = sqlx::query("SELECT id, org_id, title, body, created_at FROM reference_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        reference(&row)
    }
}

#[cfg(test)]
mod tests {
    use crate::OrgKind;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn a_branch_sees_the_templates_of_every_ancestor_but_not_a_sibling() {
        each_backend(|store| async move {
            let county = store.create_org(None, "某县", OrgKind::County, 0).await?;
            let a = store.create_org(Some(&county.id), "甲党委", OrgKind::Committee, 0).await?;
            let b = store.create_org(Some(&county.id), "乙党委", OrgKind::Committee, 0).await?;
            let branch = store.create_org(Some(&a.id), "甲一支部", OrgKind::Branch, 0).await?;
            let mine = store.add_template(&county.id, "网上范文", "范文正文", 1).await?;
            store.add_template(&a.id, "甲党委样稿", "样稿正文", 2).await?;
            store.add_template(&b.id, "乙党委样稿", "另一正文", 3).await?;
            let titles: Vec<String> = store.templates_for(&branch.path).await?.into_iter().map(|t| t.title).collect();
            assert_eq!(titles, vec!["网上范文", "甲党委样稿"]);
            assert_eq!(store.template_ids_for(&branch.path).await?.len(), 2);
            assert_eq!(store.reference_title(&mine).await?, "网上范文");
            // A campaign opened by the county checks against every template inside it.
            assert_eq!(store.template_ids_for(&county.path).await?.len(), 3);
            assert!(store.remove_template(&b.id, &mine).await.is_err(), "only the owner removes it");
            store.remove_template(&county.id, &mine).await?;
            assert_eq!(store.templates_for(&branch.path).await?.len(), 1);
            Ok(())
        })
        .await;
    }
}
