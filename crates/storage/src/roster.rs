//! Roster imports between preview and confirmation: the parsed rows are kept here (as JSON the web layer writes), so
//! confirming needs no second upload, and confirming writes every member in one transaction, exactly once.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::orgs::insert_member;
use crate::{MemberDetails, NewMember, Store, StoreError, new_id};

/// Why an import cannot be confirmed; the web layer says it in Chinese.
pub const IMPORT_DONE: &str = "import_done";
pub const IMPORT_EXPIRED: &str = "import_expired";

/// An uploaded roster, parsed and waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImport {
    pub id: String,
    pub account_id: String,
    pub org_id: String,
    pub file_name: String,
    /// The parsed rows with their problems, as the web layer serialized them.
    pub payload: String,
    pub row_count: i64,
    pub error_count: i64,
    pub confirmed: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What it takes to keep a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRosterImport<'a> {
    pub account_id: &'a str,
    pub org_id: &'a str,
    pub file_name: &'a str,
    pub payload: &'a str,
    pub row_count: i64,
    pub error_count: i64,
    pub expires_at: i64,
}

fn roster_import(row: &AnyRow) -> Result<RosterImport, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(RosterImport {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        org_id: row.try_get("org_id")?,
        file_name: row.try_get("file_name")?,
        payload: row.try_get("payload")?,
        row_count: row.try_get("row_count")?,
        error_count: row.try_get("error_count")?,
        confirmed: status == "confirmed",
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl Store {
    pub async fn create_roster_import(&self, new: &NewRosterImport<'_>, now: i64) -> Result<RosterImport, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO roster_imports (id, account_id, org_id, file_name, payload, row_count, error_count, status, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
        )
        .bind(&id)
        .bind(new.account_id)
        .bind(new.org_id)
        .bind(new.file_name)
        .bind(new.payload)
        .bind(new.row_count)
        .bind(new.error_count)
        .bind(now)
        .bind(new.expires_at)
        .execute(self.pool())
        .await?;
        // Previews nobody confirmed hold personal data; they go when they expire.
        sqlx::query("DELETE FROM roster_imports WHERE status = 'pending' AND expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        self.roster_import(&id).await
    }

    pub async fn roster_import(&self, id: &str) -> Result<RosterImport, StoreError> {
        let row = sqlx::query(
            "SELECT id, account_id, org_id, file_name, payload, row_count, error_count, status, created_at, expires_at \
             FROM roster_imports WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        roster_import(&row)
    }

    /// Confirms the import `id` of `account_id` and adds every member in one transaction: all or nothing. The
    /// guarded status change comes first, so a second confirmation (a double click, a second tab) waits for the
    /// first and then finds the import done. The kept payload is dropped: the members now hold the data.
    pub async fn confirm_roster_import(
        &self,
        id: &str,
        account_id: &str,
        members: &[(NewMember<'_>, MemberDetails)],
        now: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE roster_imports SET status = 'confirmed', confirmed_at = $3, payload = '' \
             WHERE id = $1 AND account_id = $2 AND status = 'pending' AND expires_at >= $3",
        )
        .bind(id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            drop(tx);
            let found = self.roster_import(id).await?;
            return Err(match () {
                () if found.account_id != account_id => StoreError::NotFound,
                () if found.confirmed => StoreError::State(IMPORT_DONE.to_owned()),
                () => StoreError::State(IMPORT_EXPIRED.to_owned()),
            });
        }
        for (new, details) in members {
            insert_member(&mut tx, new, details, now).await?;
        }
        tx.commit().await?;
        Ok(members.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;
    use crate::{NewAccount, OrgKind, Role, Standing};

    #[tokio::test]
    async fn an_import_is_confirmed_once_and_all_or_nothing() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let branch = store.create_org(Some(&county.id), "第一党支部", OrgKind::Branch, 0).await?;
            let account = NewAccount {
                login: "a",
                phone: None,
                display_name: "甲",
                role: Role::SuperiorAdmin,
                org_id: &county.id,
                member_id: None,
                password_hash: "h",
                must_change_password: false,
            };
            let account = store.create_account(&account, 0).await?;
            let keep = |payload| NewRosterImport {
                account_id: &account.id,
                org_id: &branch.id,
                file_name: "花名册.xlsx",
                payload,
                row_count: 2,
                error_count: 0,
                expires_at: 1_000,
            };
            let new = |name| NewMember {
                org_id: &branch.id,
                name,
                standing: Standing::Full,
                joined_on: None,
                post: None,
                phone: None,
                leading_cadre: false,
            };
            let id_of = |n: &str| MemberDetails { id_number: Some(n.to_owned()), ..MemberDetails::default() };

            // Two rows with the same ID number: the second insert fails, and so does the whole import.
            let clash = store.create_roster_import(&keep("[]"), 10).await?;
            let rows = [(new("甲"), id_of("X1")), (new("乙"), id_of("X1"))];
            assert!(matches!(
                store.confirm_roster_import(&clash.id, &account.id, &rows, 20).await,
                Err(StoreError::Duplicate(_))
            ));
            assert!(store.members_of(&branch.id).await?.is_empty(), "nothing written");
            assert!(!store.roster_import(&clash.id).await?.confirmed, "still pending after the rollback");

            let import = store.create_roster_import(&keep("[{}]"), 10).await?;
            let rows = [(new("甲"), id_of("X1")), (new("乙"), id_of("X2"))];
            assert!(matches!(
                store.confirm_roster_import(&import.id, "someone-else", &rows, 20).await,
                Err(StoreError::NotFound)
            ));
            assert_eq!(store.confirm_roster_import(&import.id, &account.id, &rows, 20).await?, 2);
            let again = store.confirm_roster_import(&import.id, &account.id, &rows, 21).await;
            assert!(matches!(again, Err(StoreError::State(s)) if s == IMPORT_DONE));
            assert_eq!(store.members_of(&branch.id).await?.len(), 2);
            assert_eq!(store.roster_import(&import.id).await?.payload, "", "personal data dropped");

            let late = store.create_roster_import(&keep("[]"), 10).await?;
            let expired = store.confirm_roster_import(&late.id, &account.id, &[], 2_000).await;
            assert!(matches!(expired, Err(StoreError::State(s)) if s == IMPORT_EXPIRED));
            Ok(())
        })
        .await;
    }
}
