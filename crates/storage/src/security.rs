//! The security administrator's data: each account's second factor (TOTP secret, the last step a code was accepted
//! for, one-time recovery codes), the login challenges between a right password and the second factor, and the
//! unlock and forced-change switches. The TOTP secret never leaves this module except to check a code.

use std::fmt;

use sqlx::Row;

use crate::sealing::{ENROL_SECRET, TOTP_SECRET};
use crate::{Store, StoreError};

/// What a login challenge still waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeStage {
    /// A code from the account's authenticator (or a recovery code).
    Code,
    /// The account has no second factor yet and must set one up.
    Enrol,
}

impl ChallengeStage {
    pub fn code(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Enrol => "enrol",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [Self::Code, Self::Enrol].into_iter().find(|s| s.code() == code)
    }
}

/// A login half done: the password was right, the second factor is due.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginChallenge {
    pub token_hash: String,
    pub account_id: String,
    pub csrf_token: String,
    pub stage: ChallengeStage,
    /// The secret shown at enrolment until a code confirms it.
    pub enrol_secret: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl fmt::Debug for LoginChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret would let anyone who reads a log line generate codes.
        f.debug_struct("LoginChallenge")
            .field("account_id", &self.account_id)
            .field("stage", &self.stage)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An account as the security administrator's overview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityState {
    pub account_id: String,
    pub totp_enrolled_at: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_left: i64,
}

impl Store {
    /// The account's TOTP secret (base32) and the last step a code was accepted for; `None` when not enrolled. The
    /// secret is stored sealed when a data key is configured.
    pub async fn totp_secret(&self, account_id: &str) -> Result<Option<(String, Option<i64>)>, StoreError> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let secret: Option<String> = row.try_get("totp_secret")?;
        let last_step: Option<i64> = row.try_get("totp_last_step")?;
        let secret = secret.map(|s| self.open(&TOTP_SECRET, &[account_id], s)).transpose()?;
        Ok(secret.map(|s| (s, last_step)))
    }

    /// Takes `step` as used for the account's codes, if no code of it or a later step was accepted before. Returns
    /// whether it was taken: false means a replay.
    pub async fn take_totp_step(&self, account_id: &str, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_secret IS NOT NULL \
             AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(account_id)
        .bind(step)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Enrols a second factor: the confirmed secret, the step of the confirming code (so it cannot be used again),
    /// and fresh recovery codes (their hashes) replacing any old ones; all at once.
    pub async fn enrol_totp(
        &self,
        account_id: &str,
        secret: &str,
        step: i64,
        recovery_hashes: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let secret = self.seal(&TOTP_SECRET, &[account_id], secret)?;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE accounts SET totp_secret = $2, totp_last_step = $3, totp_enrolled_at = $4 WHERE id = $1",
        )
        .bind(account_id)
        .bind(secret)
        .bind(step)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)")
                .bind(account_id)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Uses a recovery code (by its hash); false when there is no such unused code for the account.
    pub async fn use_recovery_code(&self, account_id: &str, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(account_id)
        .bind(code_hash)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes the account's second factor and recovery codes: the next sign-in enrols again.
    pub async fn reset_totp(&self, account_id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE accounts SET totp_secret = NULL, totp_last_step = NULL, totp_enrolled_at = NULL WHERE id = $1",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM login_challenges WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lifts a lockout and clears the failure count.
    pub async fn unlock_account(&self, account_id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(account_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Makes the owner set a new password at the next page they open.
    pub async fn force_password_change(&self, account_id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE accounts SET must_change_password = 1 WHERE id = $1")
            .bind(account_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// The second-factor state of the given accounts, in the given order.
    pub async fn security_states(&self, account_ids: &[String]) -> Result<Vec<SecurityState>, StoreError> {
        let mut states = Vec::with_capacity(account_ids.len());
        for id in account_ids {
            let row = sqlx::query(
                "SELECT a.totp_enrolled_at, (SELECT COUNT(*) FROM recovery_codes r \
                 WHERE r.account_id = a.id AND r.used_at IS NULL) AS recovery_left FROM accounts a WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
            states.push(SecurityState {
                account_id: id.clone(),
                totp_enrolled_at: row.try_get("totp_enrolled_at")?,
                recovery_left: row.try_get("recovery_left")?,
            });
        }
        Ok(states)
    }

    pub async fn create_challenge(&self, challenge: &LoginChallenge) -> Result<(), StoreError> {
        let row = [challenge.token_hash.as_str()];
        let secret = challenge.enrol_secret.as_deref().map(|s| self.seal(&ENROL_SECRET, &row, s)).transpose()?;
        sqlx::query(
            "INSERT INTO login_challenges (token_hash, account_id, csrf_token, stage, enrol_secret, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&challenge.token_hash)
        .bind(&challenge.account_id)
        .bind(&challenge.csrf_token)
        .bind(challenge.stage.code())
        .bind(secret)
        .bind(challenge.created_at)
        .bind(challenge.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn challenge(&self, token_hash: &str) -> Result<Option<LoginChallenge>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, account_id, csrf_token, stage, enrol_secret, created_at, expires_at \
             FROM login_challenges WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stage: String = row.try_get("stage")?;
        let secret: Option<String> = row.try_get("enrol_secret")?;
        let enrol_secret = secret.map(|s| self.open(&ENROL_SECRET, &[token_hash], s)).transpose()?;
        Ok(Some(LoginChallenge {
            token_hash: row.try_get("token_hash")?,
            account_id: row.try_get("account_id")?,
            csrf_token: row.try_get("csrf_token")?,
            stage: ChallengeStage::from_code(&stage)
                .ok_or_else(|| StoreError::State(format!("unknown challenge stage {stage}")))?,
            enrol_secret,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    /// Ends a challenge (done, expired, or its account locked).
    pub async fn delete_challenge(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1").bind(token_hash).execute(self.pool()).await?;
        Ok(())
    }

    /// Drops challenges that ran out, so the table does not grow with abandoned logins.
    pub async fn delete_expired_challenges(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_challenges WHERE expires_at <= $1").bind(now).execute(self.pool()).await?;
        Ok(())
    }

    /// Whether the account has a session that is not revoked and not past its absolute expiry.
    pub async fn open_sessions(&self, account_id: &str, now: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND revoked = 0 AND expires_at > $2",
        )
        .bind(account_id)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::each_backend;
    use crate::{NewAccount, OrgKind, Role};

    async fn account(store: &Store) -> Result<String, StoreError> {
        account_named(store, "anquan").await
    }

    /// A security admin of a county of their own.
    async fn account_named(store: &Store, login: &str) -> Result<String, StoreError> {
        let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
        let new = NewAccount {
            login,
            phone: None,
            display_name: "安全",
            role: Role::SecurityAdmin,
            org_id: &county.id,
            member_id: None,
            password_hash: "h",
            must_change_password: false,
        };
        Ok(store.create_account(&new, 0).await?.id)
    }

    #[tokio::test]
    async fn a_second_factor_is_enrolled_used_once_per_step_and_reset() {
        each_backend(|store| async move {
            let id = account(&store).await?;
            assert_eq!(store.account(&id).await?.role, Role::SecurityAdmin, "the role round-trips");
            assert_eq!(store.totp_secret(&id).await?, None);
            assert!(!store.take_totp_step(&id, 5).await?, "no secret, no step");
            let codes = vec!["c1".to_owned(), "c2".to_owned()];
            store.enrol_totp(&id, "SECRETBASE32", 10, &codes, 7).await?;
            assert_eq!(store.totp_secret(&id).await?, Some(("SECRETBASE32".to_owned(), Some(10))));
            assert!(!store.take_totp_step(&id, 10).await?, "the enrolment code's step is used");
            assert!(store.take_totp_step(&id, 11).await?);
            assert!(!store.take_totp_step(&id, 11).await?, "a replay in the same step");
            assert!(!store.take_totp_step(&id, 9).await?, "an older step");
            assert!(store.use_recovery_code(&id, "c1", 8).await?);
            assert!(!store.use_recovery_code(&id, "c1", 9).await?, "once");
            assert!(!store.use_recovery_code(&id, "nope", 9).await?);
            let states = store.security_states(std::slice::from_ref(&id)).await?;
            assert_eq!((states[0].totp_enrolled_at, states[0].recovery_left), (Some(7), 1));

            store.reset_totp(&id).await?;
            assert_eq!(store.totp_secret(&id).await?, None);
            assert!(!store.use_recovery_code(&id, "c2", 9).await?, "codes go with the secret");
            assert!(matches!(store.reset_totp("nobody").await, Err(StoreError::NotFound)));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_totp_secret_is_sealed_at_rest_and_reencrypted_with_the_rest() {
        use std::sync::Arc;

        use crate::sealing::{Algorithm, GcmProvider, SealError};
        each_backend(|plain| async move {
            let id = account(&plain).await?;
            let raw = |store: Store| async move {
                let stored: Option<String> = sqlx::query_scalar("SELECT totp_secret FROM accounts")
                    .fetch_one(store.pool())
                    .await
                    .expect("the column");
                stored.unwrap_or_default()
            };
            // Enrolled before a key was configured: stored as it is, read as it is.
            plain.enrol_totp(&id, "LEGACYSECRET", 1, &[], 1).await?;
            assert_eq!(raw(plain.clone()).await, "LEGACYSECRET");
            let key = || GcmProvider::new(Algorithm::Sm4Gcm, &[9u8; 16]);
            let store = plain.clone().with_data_key(Arc::new(key()?));
            assert_eq!(store.totp_secret(&id).await?, Some(("LEGACYSECRET".to_owned(), Some(1))));
            // `mingjing key reencrypt` seals it; NULL secrets of other accounts are left alone.
            let report = store.reencrypt(None).await?;
            assert_eq!(report.sealed, 1);
            let sealed = raw(store.clone()).await;
            assert!(sealed.starts_with("mjenc:v1:") && !sealed.contains("LEGACY"), "{sealed}");
            assert_eq!(store.totp_secret(&id).await?, Some(("LEGACYSECRET".to_owned(), Some(1))));

            // A new enrolment is sealed on write; the database alone cannot make codes.
            store.enrol_totp(&id, "NEWSECRETBASE32", 5, &[], 2).await?;
            assert!(!raw(store.clone()).await.contains("NEWSECRET"));
            assert_eq!(store.totp_secret(&id).await?.map(|(s, _)| s).as_deref(), Some("NEWSECRETBASE32"));
            assert!(matches!(plain.totp_secret(&id).await, Err(StoreError::Sealed(SealError::NoKey))));
            // Copied onto another account, it does not open.
            let second = account_named(&store, "other").await?;
            sqlx::query(
                "UPDATE accounts SET totp_secret = (SELECT totp_secret FROM accounts WHERE id = $1) WHERE id = $2",
            )
            .bind(&id)
            .bind(&second)
            .execute(store.pool())
            .await?;
            assert!(matches!(store.totp_secret(&second).await, Err(StoreError::Sealed(SealError::Tampered))));
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn challenges_unlock_and_forced_changes() {
        each_backend(|store| async move {
            let id = account(&store).await?;
            let challenge = LoginChallenge {
                token_hash: "t".into(),
                account_id: id.clone(),
                csrf_token: "c".into(),
                stage: ChallengeStage::Enrol,
                enrol_secret: Some("S".into()),
                created_at: 1,
                expires_at: 100,
            };
            store.create_challenge(&challenge).await?;
            assert_eq!(store.challenge("t").await?, Some(challenge.clone()));
            assert!(!format!("{challenge:?}").contains("\"S\""), "the secret is not in Debug output");
            store.delete_expired_challenges(50).await?;
            assert!(store.challenge("t").await?.is_some());
            store.delete_expired_challenges(100).await?;
            assert!(store.challenge("t").await?.is_none());

            store.record_login_failure(&id, 0, 1, 1_000).await?;
            assert!(store.account(&id).await?.locked_until.is_some());
            store.unlock_account(&id).await?;
            let unlocked = store.account(&id).await?;
            assert_eq!((unlocked.failed_logins, unlocked.locked_until), (0, None));
            store.force_password_change(&id).await?;
            assert!(store.account(&id).await?.must_change_password);
            store.create_session("s", &id, "c", 0, 100).await?;
            assert_eq!(store.open_sessions(&id, 50).await?, 1);
            assert_eq!(store.open_sessions(&id, 100).await?, 0, "expired");
            Ok(())
        })
        .await;
    }
}
