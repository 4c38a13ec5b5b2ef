//! Sessions kept in the database, so any server process can check them and an
//! administrator can revoke them; the cookie holds a random token, the table its hash.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::account;
use crate::orgs::org_with_id;
use crate::{Account, Org, Store, StoreError, flag};

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub account_id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

impl Session {
    /// Whether the session is still good at `now` with the given idle timeout.
    pub fn is_live(&self, now: i64, idle_ms: i64) -> bool {
        !self.revoked && now < self.expires_at && now - self.last_seen_at < idle_ms
    }
}

fn session(row: &AnyRow) -> Result<Session, StoreError> {
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        account_id: row.try_get("account_id")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked: flag(row.try_get("revoked")?),
    })
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: &str,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, revoked) \
             VALUES ($1, $2, $3, $4, $4, $5, 0)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, revoked \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(session).transpose()
    }

    /// The session with its account and the account's organization, in one query: every signed-in request starts
    /// here, and three round trips were a tenth of a page view's time under load. No row when any of them is missing.
    pub async fn session_with_account(&self, token_hash: &str) -> Result<Option<(Session, Account, Org)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.token_hash, s.account_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.revoked, \
             a.id, a.login, a.phone, a.display_name, a.role, a.org_id, a.member_id, a.password_hash, \
             a.must_change_password, a.password_changed_at, a.failed_logins, a.locked_until, a.disabled, \
             o.parent_id, o.name, o.kind, o.path, o.dissolved \
             FROM sessions s JOIN accounts a ON a.id = s.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((session(&row)?, account(&row)?, org_with_id(&row, "org_id")?)))
    }

    /// Marks activity, which pushes the idle timeout back.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        let _turn = self.small_write_turn().await;
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn revoke_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked = 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends every session of an account (password changed, account disabled).
    pub async fn revoke_sessions_of(&self, account_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked = 1 WHERE account_id = $1")
            .bind(account_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::each_backend;
    use crate::{NewAccount, OrgKind, Role};

    #[tokio::test]
    async fn sessions_expire_idle_and_can_be_revoked() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let account = store
                .create_account(
                    &NewAccount {
                        login: "a",
                        phone: None,
                        display_name: "甲",
                        role: Role::Member,
                        org_id: &county.id,
                        member_id: None,
                        password_hash: "h",
                        must_change_password: false,
                    },
                    0,
                )
                .await?;
            store.create_session("t1", &account.id, "csrf", 1_000, 100_000).await?;
            let (joined, owner, org) = store.session_with_account("t1").await?.expect("joined");
            assert_eq!((joined.account_id.as_str(), joined.csrf_token.as_str()), (account.id.as_str(), "csrf"));
            assert_eq!(owner, account, "the account as the account query reads it");
            assert_eq!(org, county, "the organization's own id, not the account's");
            assert!(store.session_with_account("nope").await?.is_none());
            let s = store.session("t1").await?.expect("stored");
            assert!(s.is_live(2_000, 30_000));
            assert!(!s.is_live(40_000, 30_000), "idle too long");
            store.touch_session("t1", 35_000).await?;
            assert!(store.session("t1").await?.expect("stored").is_live(40_000, 30_000));
            assert!(!store.session("t1").await?.expect("stored").is_live(100_001, 30_000_000), "absolute timeout");
            store.revoke_sessions_of(&account.id).await?;
            assert!(!store.session("t1").await?.expect("stored").is_live(40_000, 30_000));
            assert!(store.session("nope").await?.is_none());
            Ok(())
        })
        .await;
    }
}
