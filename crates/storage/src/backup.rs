//! Backups of the embedded SQLite database: an online copy while the server runs (`VACUUM INTO`, which reads one
//! consistent snapshot and writes a compact file), the checks a backup must pass before it is trusted, and a restore
//! that replaces the database file in one rename. PostgreSQL is backed up with its own tools (`pg_dump`), which the
//! operations guide describes.

use std::path::{Path, PathBuf};

use sqlx::{Connection, Executor, Row};

use crate::{Backend, Store, StoreError};

/// What a checked backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The newest migration applied to it.
    pub schema_version: i64,
    /// Accounts, organizations and materials in it, to show the operator what is about to be restored.
    pub accounts: i64,
    pub organizations: i64,
    pub materials: i64,
}

/// Why a backup or restore cannot go ahead; the messages are for the operator, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("PostgreSQL 数据库请用 pg_dump 备份、pg_restore 恢复（见 docs/operations.md）")]
    Postgres,
    #[error("备份文件 {0} 已存在，请换一个文件名（不会覆盖已有的备份）")]
    Exists(PathBuf),
    #[error("找不到备份文件 {0}")]
    Missing(PathBuf),
    #[error("{0} 不是明镜的 SQLite 备份，或已损坏：{1}")]
    NotABackup(PathBuf, String),
    #[error("备份文件 {path} 未通过完整性检查：{problem}")]
    Corrupt { path: PathBuf, problem: String },
    #[error("备份文件来自更新的版本（数据结构版本 {found}，本程序只认识到 {known}），请用新版程序恢复")]
    Newer { found: i64, known: i64 },
    #[error("数据库 {0} 似乎正在使用（有未合并的 -wal 文件）：请先停止服务；如确认服务已停止，可加 --force")]
    InUse(PathBuf),
    #[error("文件操作失败（{path}）：{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl Store {
    /// Writes a consistent copy of the whole database to `path`, while other connections go on reading and writing.
    pub async fn backup_to(&self, path: &Path) -> Result<(), BackupError> {
        if self.backend() == Backend::Postgres {
            return Err(BackupError::Postgres);
        }
        if path.exists() {
            return Err(BackupError::Exists(path.to_owned()));
        }
        let target = path.to_str().ok_or_else(|| BackupError::NotABackup(path.to_owned(), "路径不是 UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(self.pool()).await?;
        Ok(())
    }

    /// The newest migration this program knows.
    pub fn schema_version() -> i64 {
        sqlx::migrate!("./migrations/sqlite").iter().map(|m| m.version).max().unwrap_or(0)
    }
}

/// Opens `path` read-only and checks that it is a whole, intact 明镜 database this program can use.
pub async fn check_backup(path: &Path) -> Result<BackupInfo, BackupError> {
    if !path.is_file() {
        return Err(BackupError::Missing(path.to_owned()));
    }
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let not_ours = |e: sqlx::Error| BackupError::NotABackup(path.to_owned(), e.to_string());
    let mut conn = sqlx::AnyConnection::connect(&url).await.map_err(not_ours)?;
    let problems: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.map_err(not_ours)?;
    if problems.first().map(String::as_str) != Some("ok") {
        return Err(BackupError::Corrupt { path: path.to_owned(), problem: problems.join("；") });
    }
    let schema_version: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(not_ours)?;
    let known = Store::schema_version();
    if schema_version > known {
        return Err(BackupError::Newer { found: schema_version, known });
    }
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM organizations) AS organizations, \
         (SELECT COUNT(*) FROM materials) AS materials",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(not_ours)?;
    let info = BackupInfo {
        schema_version,
        accounts: counts.try_get("accounts")?,
        organizations: counts.try_get("organizations")?,
        materials: counts.try_get("materials")?,
    };
    conn.close().await?;
    Ok(info)
}

/// Replaces the SQLite database at `target` with the checked backup at `backup`. The copy is written beside the
/// target first and renamed over it, so a failure half-way leaves the old database whole. The server must be
/// stopped: a leftover `-wal` file means it is running (or crashed, when `force` says the operator checked).
pub async fn restore_sqlite(backup: &Path, target: &Path, force: bool) -> Result<BackupInfo, BackupError> {
    let info = check_backup(backup).await?;
    let wal = sidecar(target, "-wal");
    if wal.exists() && !force {
        return Err(BackupError::InUse(target.to_owned()));
    }
    let staging = sidecar(target, ".restoring");
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Io { path, source }
    };
    if staging.exists() {
        std::fs::remove_file(&staging).map_err(io(&staging))?;
    }
    // VACUUM INTO from the read-only backup: a fresh, compact file, written by SQLite itself.
    let url = format!("sqlite://{}?mode=ro", backup.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    let staging_text =
        staging.to_str().ok_or_else(|| BackupError::NotABackup(staging.clone(), "路径不是 UTF-8".into()))?;
    conn.execute(sqlx::query("VACUUM INTO $1").bind(staging_text)).await?;
    conn.close().await?;
    std::fs::File::open(&staging).and_then(|f| f.sync_all()).map_err(io(&staging))?;
    for stale in [wal, sidecar(target, "-shm")] {
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(io(&stale))?;
        }
    }
    std::fs::rename(&staging, target).map_err(io(target))?;
    Ok(info)
}

/// `path` with `suffix` appended to its file name (SQLite's `-wal` and `-shm` files sit beside the database).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The file path of a `sqlite://PATH[?…]` URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrgKind;
    use crate::testing::TestDb;

    #[tokio::test]
    async fn a_backup_made_while_writing_restores_whole_and_is_checked_first() {
        let db = TestDb::sqlite();
        let store = db.store().await;
        let county = store.create_org(None, "示范县委", OrgKind::County, 0).await.unwrap();
        let dir = std::env::temp_dir().join(format!("mingjing-backup-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let backup = dir.join("backup.db");
        // A writer keeps going while the backup is taken: the copy is one snapshot, never half of a write.
        let writer = {
            let store = store.clone();
            let parent = county.id.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    store.create_org(Some(&parent), &format!("支部{i}"), OrgKind::Branch, i).await.unwrap();
                }
            })
        };
        store.backup_to(&backup).await.unwrap();
        writer.await.unwrap();
        let info = check_backup(&backup).await.unwrap();
        assert_eq!(info.schema_version, Store::schema_version());
        assert!((1..=51).contains(&info.organizations), "{info:?}");
        assert!(matches!(store.backup_to(&backup).await, Err(BackupError::Exists(_))), "never overwrites");

        let target = sqlite_path(&db.url).unwrap();
        assert!(matches!(restore_sqlite(&backup, &target, false).await, Err(BackupError::InUse(_))), "server running");
        store.close().await;
        let restored = restore_sqlite(&backup, &target, true).await.unwrap();
        assert_eq!(restored, info);
        let reopened = db.store().await;
        assert_eq!(reopened.subtree(&county).await.unwrap().len() as i64, info.organizations);
        reopened.close().await;

        let garbage = dir.join("garbage.db");
        std::fs::write(&garbage, b"not a database at all, just bytes").unwrap();
        assert!(matches!(check_backup(&garbage).await, Err(BackupError::NotABackup(..))));
        assert!(matches!(check_backup(&dir.join("none.db")).await, Err(BackupError::Missing(_))));
        // A restore that fails its checks leaves the database as it was.
        assert!(restore_sqlite(&garbage, &target, true).await.is_err());
        let still = db.store().await;
        assert_eq!(still.subtree(&county).await.unwrap().len() as i64, info.organizations);
        still.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
        db.remove().await;
    }

    #[tokio::test]
    async fn postgres_is_backed_up_with_its_own_tools() {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let out = std::env::temp_dir().join(format!("mingjing-pg-{}.db", crate::new_id()));
        assert!(matches!(store.backup_to(&out).await, Err(BackupError::Postgres)));
        store.close().await;
        db.remove().await;
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://data/mingjing.db?mode=rwc"), Some(PathBuf::from("data/mingjing.db")));
        assert_eq!(sqlite_path("sqlite:///var/lib/mingjing.db"), Some(PathBuf::from("/var/lib/mingjing.db")));
        assert_eq!(sqlite_path("postgres://x/y"), None);
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
