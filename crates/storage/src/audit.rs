//! The audit log: who did what, when, from where, with what outcome. The application
//! only ever appends to it.

use sqlx::Row;

use crate::{Store, StoreError, new_id};

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry<'a> {
    pub at: i64,
    pub account_id: Option<&'a str>,
    /// `login`, `login_failed`, `view_material`, `submit_material`, `export` …
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    /// `ok` or `denied` or `failed`.
    pub outcome: &'a str,
    pub detail: &'a str,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    pub at: i64,
    pub account_id: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub source_ip: Option<String>,
    pub outcome: String,
    pub detail: String,
}

impl Store {
    pub async fn append_audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), StoreError> {
        let _turn = self.small_write_turn().await;
        sqlx::query(
            "INSERT INTO audit_log (id, at, account_id, action, target, source_ip, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(entry.at)
        .bind(entry.account_id)
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.source_ip)
        .bind(entry.outcome)
        .bind(entry.detail)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest entries first, optionally of one action.
    pub async fn audit_entries(&self, action: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, account_id, action, target, source_ip, outcome, detail FROM audit_log \
             WHERE ($1 IS NULL OR action = $1) ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(action)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    account_id: row.try_get("account_id")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    source_ip: row.try_get("source_ip")?,
                    outcome: row.try_get("outcome")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn entries_come_back_newest_first_and_filter_by_action() {
        each_backend(|store| async move {
            for (at, action) in [(1, "login"), (2, "login_failed"), (3, "login")] {
                let entry = NewAuditEntry {
                    at,
                    account_id: None,
                    action,
                    target: None,
                    source_ip: Some("127.0.0.1"),
                    outcome: "ok",
                    detail: "",
                };
                store.append_audit(&entry).await?;
            }
            let all = store.audit_entries(None, 10).await?;
            assert_eq!(all.iter().map(|e| e.at).collect::<Vec<_>>(), vec![3, 2, 1]);
            let logins = store.audit_entries(Some("login"), 10).await?;
            assert_eq!(logins.len(), 2);
            Ok(())
        })
        .await;
    }
}
