//! Accounts: who can log in, with which role and over which subtree. Passwords arrive
//! already hashed (argon2id in the web layer); this module keeps the counters the login
//! rules need (failures, lockout, forced change).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, flag, new_id};

/// What an account may do (三员分立: system, security and audit administrators apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 上级党组织管理员: opens campaigns, sees the subtree.
    SuperiorAdmin,
    /// 党支部书记 / 组织委员: runs a branch.
    Secretary,
    /// 党员
    Member,
    /// 审计管理员: reads the audit log, nothing else.
    Auditor,
    /// 系统管理员: manages accounts, reads no materials.
    SystemAdmin,
    /// 安全管理员: unlocks accounts, resets second factors, forces password changes, ends sessions; reads no
    /// materials and no audit log.
    SecurityAdmin,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Self::SuperiorAdmin => "superior_admin",
            Self::Secretary => "secretary",
            Self::Member => "member",
            Self::Auditor => "auditor",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::SuperiorAdmin, Self::Secretary, Self::Member, Self::Auditor, Self::SystemAdmin, Self::SecurityAdmin]
            .into_iter()
            .find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SuperiorAdmin => "上级党组织管理员",
            Self::Secretary => "党支部书记",
            Self::Member => "党员",
            Self::Auditor => "审计管理员",
            Self::SystemAdmin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
        }
    }

    /// One of the three administrators of 三员分立. None of them is created, changed, reset or disabled through
    /// the web (the system admin would otherwise hold the other two's powers); the server's console does that.
    pub fn is_administrator(self) -> bool {
        matches!(self, Self::SystemAdmin | Self::SecurityAdmin | Self::Auditor)
    }

    /// Whether this role must sign in with a second factor when `totp_required` is set: everyone who can see or
    /// change more than their own material (superior admins, secretaries and the three administrators).
    pub fn needs_second_factor(self) -> bool {
        !matches!(self, Self::Member)
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub login: String,
    pub phone: Option<String>,
    pub display_name: String,
    pub role: Role,
    pub org_id: String,
    pub member_id: Option<String>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub password_changed_at: i64,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub disabled: bool,
}

/// What it takes to create an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount<'a> {
    pub login: &'a str,
    pub phone: Option<&'a str>,
    pub display_name: &'a str,
    pub role: Role,
    pub org_id: &'a str,
    pub member_id: Option<&'a str>,
    pub password_hash: &'a str,
    /// Initial passwords must be changed at first login.
    pub must_change_password: bool,
}

/// What an administrator may change about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange<'a> {
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub role: Role,
    pub org_id: &'a str,
    pub member_id: Option<&'a str>,
}

macro_rules! account_columns {
    () => {
        "id, login, phone, display_name, role, org_id, member_id, password_hash, must_change_password, \
                       password_changed_at, failed_logins, locked_until, disabled"
    };
}

/// Which accounts a list shows: a subtree, optionally one role and a search over account name, name and phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountQuery<'a> {
    /// The subtree's organization path.
    pub path: &'a str,
    pub role: Option<Role>,
    /// Part of an account name, a name or a phone number; empty for all.
    pub search: &'a str,
    pub limit: i64,
    pub offset: i64,
}

/// `text` with LIKE's wildcards (and the escape character itself) escaped by a backslash.
fn like_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

pub(crate) fn account(row: &AnyRow) -> Result<Account, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.try_get("id")?,
        login: row.try_get("login")?,
        phone: row.try_get("phone")?,
        display_name: row.try_get("display_name")?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::State(format!("unknown role {role}")))?,
        org_id: row.try_get("org_id")?,
        member_id: row.try_get("member_id")?,
        password_hash: row.try_get("password_hash")?,
        must_change_password: flag(row.try_get("must_change_password")?),
        password_changed_at: row.try_get("password_changed_at")?,
        failed_logins: row.try_get("failed_logins")?,
        locked_until: row.try_get("locked_until")?,
        disabled: flag(row.try_get("disabled")?),
    })
}

impl Store {
    /// How many accounts there are at all: none on a database nobody has set up yet.
    pub async fn account_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(self.pool()).await?)
    }

    pub async fn create_account(&self, new: &NewAccount<'_>, now: i64) -> Result<Account, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO accounts (id, login, phone, display_name, role, org_id, member_id, password_hash, \
             must_change_password, password_changed_at, failed_logins, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, $10)",
        )
        .bind(&id)
        .bind(new.login)
        .bind(new.phone)
        .bind(new.display_name)
        .bind(new.role.code())
        .bind(new.org_id)
        .bind(new.member_id)
        .bind(new.password_hash)
        .bind(i64::from(new.must_change_password))
        .bind(now)
        .execute(self.pool())
        .await?;
        self.account(&id).await
    }

    pub async fn account(&self, id: &str) -> Result<Account, StoreError> {
        let row = sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        account(&row)
    }

    /// The account a login form names: by account name or by phone number.
    pub async fn account_by_login(&self, login_or_phone: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts WHERE login = $1 OR phone = $1"))
            .bind(login_or_phone)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(account).transpose()
    }

    /// Counts a failed login; at `lock_after` failures the account is locked until
    /// `now + lock_for_ms`. Returns the account as it now stands.
    pub async fn record_login_failure(
        &self,
        id: &str,
        now: i64,
        lock_after: i64,
        lock_for_ms: i64,
    ) -> Result<Account, StoreError> {
        sqlx::query(
            "UPDATE accounts SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END WHERE id = $1",
        )
        .bind(id)
        .bind(lock_after)
        .bind(now + lock_for_ms)
        .execute(self.pool())
        .await?;
        self.account(id).await
    }

    /// Clears the failure count after a successful login.
    pub async fn record_login_success(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One page of the accounts in the subtree at `query.path`, in login order, and how many there are in all.
    pub async fn accounts_page(&self, query: &AccountQuery<'_>) -> Result<(Vec<Account>, i64), StoreError> {
        // LOWER on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not for ASCII.
        const WHERE: &str = "FROM accounts a JOIN organizations o ON o.id = a.org_id \
             WHERE o.path LIKE $1 AND ($2 IS NULL OR a.role = $2) \
             AND ($3 = '' OR LOWER(a.login) LIKE $3 ESCAPE '\\' OR LOWER(a.display_name) LIKE $3 ESCAPE '\\' \
             OR a.phone LIKE $3 ESCAPE '\\')";
        let pattern = if query.search.is_empty() {
            String::new()
        } else {
            format!("%{}%", like_escaped(&query.search.to_lowercase()))
        };
        let count = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {WHERE}"));
        let total: i64 = sqlx::query_scalar(count)
            .bind(format!("{}%", query.path))
            .bind(query.role.map(Role::code))
            .bind(&pattern)
            .fetch_one(self.pool())
            .await?;
        let select = sqlx::AssertSqlSafe(format!(
            "SELECT a.id, a.login, a.phone, a.display_name, a.role, a.org_id, a.member_id, a.password_hash, \
             a.must_change_password, a.password_changed_at, a.failed_logins, a.locked_until, a.disabled \
             {WHERE} ORDER BY a.login LIMIT $4 OFFSET $5"
        ));
        let rows = sqlx::query(select)
            .bind(format!("{}%", query.path))
            .bind(query.role.map(Role::code))
            .bind(&pattern)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(self.pool())
            .await?;
        Ok((rows.iter().map(account).collect::<Result<_, _>>()?, total))
    }

    /// Changes who an account is and what it may do (name, phone, role, organization, roster entry).
    pub async fn update_account(&self, id: &str, change: &AccountChange<'_>) -> Result<Account, StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET display_name = $2, phone = $3, role = $4, org_id = $5, member_id = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(change.display_name)
        .bind(change.phone)
        .bind(change.role.code())
        .bind(change.org_id)
        .bind(change.member_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.account(id).await
    }

    /// Disables or enables an account; disabling also ends its sessions, in the same transaction.
    pub async fn set_disabled(&self, id: &str, disabled: bool) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE accounts SET disabled = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(disabled))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query("UPDATE sessions SET revoked = 1 WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password hash; `must_change` marks it as an initial password.
    pub async fn set_password(&self, id: &str, hash: &str, must_change: bool, now: i64) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET password_hash = $2, must_change_password = $3, password_changed_at = $4, \
             failed_logins = 0, locked_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(hash)
        .bind(i64::from(must_change))
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrgKind;
    use crate::testing::each_backend;

    #[tokio::test]
    async fn login_by_name_or_phone_lockout_and_password_change() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let new = NewAccount {
                login: "zhangsan",
                phone: Some("13800000000"),
                display_name: "张三",
                role: Role::Secretary,
                org_id: &county.id,
                member_id: None,
                password_hash: "hash-1",
                must_change_password: true,
            };
            let created = store.create_account(&new, 10).await?;
            assert_eq!(store.account_by_login("zhangsan").await?.map(|a| a.id), Some(created.id.clone()));
            assert_eq!(store.account_by_login("13800000000").await?.map(|a| a.id), Some(created.id.clone()));
            assert!(store.account_by_login("nobody").await?.is_none());

            for _ in 0..4 {
                let a = store.record_login_failure(&created.id, 100, 5, 900_000).await?;
                assert_eq!(a.locked_until, None);
            }
            let locked = store.record_login_failure(&created.id, 100, 5, 900_000).await?;
            assert_eq!(locked.locked_until, Some(900_100));
            store.record_login_success(&created.id).await?;
            store.set_password(&created.id, "hash-2", false, 200).await?;
            let changed = store.account(&created.id).await?;
            assert_eq!((changed.failed_logins, changed.locked_until, changed.must_change_password), (0, None, false));
            assert_eq!(changed.password_hash, "hash-2");

            let twin = NewAccount { login: "lisi", ..new };
            assert!(matches!(store.create_account(&twin, 11).await, Err(StoreError::Duplicate(_))), "phone is unique");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn accounts_are_listed_by_subtree_changed_and_disabled() {
        each_backend(|store| async move {
            let county = store.create_org(None, "示范县委", OrgKind::County, 0).await?;
            let branch = store.create_org(Some(&county.id), "支部", OrgKind::Branch, 0).await?;
            let make = |login, role, org_id| NewAccount {
                login,
                phone: None,
                display_name: "某",
                role,
                org_id,
                member_id: None,
                password_hash: "h",
                must_change_password: false,
            };
            let top = store.create_account(&make("top", Role::SystemAdmin, &county.id), 0).await?;
            let low = store.create_account(&make("low", Role::Member, &branch.id), 0).await?;
            let under = |path, role, search| AccountQuery { path, role, search, limit: 10, offset: 0 };
            let logins =
                |(v, n): (Vec<Account>, i64)| (v.into_iter().map(|a| a.login).collect::<Vec<_>>().join(","), n);
            assert_eq!(logins(store.accounts_page(&under(&county.path, None, "")).await?), ("low,top".to_owned(), 2));
            assert_eq!(logins(store.accounts_page(&under(&branch.path, None, "")).await?), ("low".to_owned(), 1));
            let admins = under(&county.path, Some(Role::SystemAdmin), "");
            assert_eq!(logins(store.accounts_page(&admins).await?), ("top".to_owned(), 1));
            assert_eq!(logins(store.accounts_page(&under(&county.path, None, "TO")).await?), ("top".to_owned(), 1));
            assert_eq!(logins(store.accounts_page(&under(&county.path, None, "%")).await?).1, 0, "% is literal");
            let second = AccountQuery { limit: 1, offset: 1, ..under(&county.path, None, "") };
            assert_eq!(logins(store.accounts_page(&second).await?), ("top".to_owned(), 2), "a page, and the total");

            let change = AccountChange {
                display_name: "书记",
                phone: Some("13900000000"),
                role: Role::Secretary,
                org_id: &branch.id,
                member_id: None,
            };
            let changed = store.update_account(&low.id, &change).await?;
            assert_eq!((changed.role, changed.phone.as_deref()), (Role::Secretary, Some("13900000000")));

            store.create_session("t", &top.id, "c", 0, 100).await?;
            store.set_disabled(&top.id, true).await?;
            assert!(store.account(&top.id).await?.disabled);
            assert!(store.session("t").await?.is_some_and(|s| s.revoked), "disabling ends the sessions");
            store.set_disabled(&top.id, false).await?;
            assert!(!store.account(&top.id).await?.disabled);
            assert!(matches!(store.set_disabled("nobody", true).await, Err(StoreError::NotFound)));
            Ok(())
        })
        .await;
    }
}
