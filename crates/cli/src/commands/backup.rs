//! `mingjing backup` and `mingjing restore` for the embedded SQLite database, and the scheduled backups a server
//! takes when `backup_dir` is configured. PostgreSQL deployments use `pg_dump` (docs/operations.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use mingjing_storage::Store;

use super::{database_url, finish, runtime};
use mingjing_storage::backup::{BackupInfo, check_backup, restore_sqlite, sqlite_path};
use mingjing_web::{Clock, SystemClock};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// 备份文件（不会覆盖已有文件）
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// 数据库（默认取配置文件、环境变量 MINGJING_DATABASE_URL 或 sqlite://mingjing.db）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// 要恢复的备份文件
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// 恢复到哪个 SQLite 数据库（默认同 serve）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 确认服务已停止：即使数据库旁有 -wal 文件（上次异常退出留下的）也恢复
    #[arg(long)]
    force: bool,
}

pub fn backup(args: &BackupArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(run_backup(args))))
}

pub fn restore(args: &RestoreArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(run_restore(args))))
}

async fn run_backup(args: &BackupArgs) -> Result<(), String> {
    let url = database_url(args.db.as_deref(), args.config.as_deref())?;
    let store = Store::connect(url.expose_secret()).await.map_err(|e| format!("无法打开数据库 {url}：{e}"))?;
    let outcome = store.backup_to(&args.out).await;
    store.close().await;
    outcome.map_err(|e| e.to_string())?;
    let info = check_backup(&args.out).await.map_err(|e| e.to_string())?;
    eprintln!("已备份到 {}：{}", args.out.display(), describe(&info));
    Ok(())
}

async fn run_restore(args: &RestoreArgs) -> Result<(), String> {
    let url = database_url(args.db.as_deref(), args.config.as_deref())?;
    let target = sqlite_path(url.expose_secret()).ok_or_else(|| {
        "只能恢复到 SQLite 数据库文件；PostgreSQL 请用 pg_restore（见 docs/operations.md）".to_owned()
    })?;
    let info = restore_sqlite(&args.from, &target, args.force).await.map_err(|e| e.to_string())?;
    eprintln!("已从 {} 恢复到 {}：{}", args.from.display(), target.display(), describe(&info));
    Ok(())
}

fn describe(info: &BackupInfo) -> String {
    format!(
        "数据结构版本 {}，{} 个组织，{} 个账号，{} 份材料，完整性检查通过",
        info.schema_version, info.organizations, info.accounts, info.materials
    )
}

/// Takes a backup into `dir` every `every`, keeping the newest `keep`. Runs for the life of the server; a failed
/// backup is logged and tried again at the next turn, never stopping the server.
pub async fn scheduled(store: Store, dir: PathBuf, every: Duration, keep: usize) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match take_scheduled(&store, &dir, keep).await {
            Ok(path) => {
                tracing::info!(path = %path.display(), "scheduled backup written");
                mingjing_web::observability::record_backup_success(SystemClock.now_ms() as f64 / 1000.0);
            }
            Err(error) => tracing::error!(%error, "scheduled backup failed"),
        }
    }
}

/// File names sort by time: `mingjing-YYYYMMDD-HHMMSS.db` in UTC.
const PREFIX: &str = "mingjing-";

async fn take_scheduled(store: &Store, dir: &Path, keep: usize) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("无法创建备份目录 {}：{e}", dir.display()))?;
    let path = dir.join(format!("{PREFIX}{}.db", stamp(SystemClock.now_ms())));
    store.backup_to(&path).await.map_err(|e| e.to_string())?;
    check_backup(&path).await.map_err(|e| e.to_string())?;
    prune(dir, keep).map_err(|e| format!("无法清理旧备份：{e}"))?;
    Ok(path)
}

/// Deletes all but the newest `keep` scheduled backups in `dir` (files this schedule named; nothing else).
fn prune(dir: &Path, keep: usize) -> std::io::Result<()> {
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".db") && n.len() == PREFIX.len() + 18)
        })
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    for old in &ours[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(())
}

/// `YYYYMMDD-HHMMSS` in UTC for a Unix time in milliseconds.
fn stamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = mingjing_roster::civil_from_days(days);
    format!("{year:04}{month:02}{day:02}-{:02}{:02}{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_by_time_and_read_as_utc() {
        assert_eq!(stamp(0), "19700101-000000");
        assert_eq!(stamp(1_767_196_800_000), "20251231-160000");
        assert_eq!(stamp(951_827_696_000), "20000229-123456");
    }

    #[test]
    fn pruning_keeps_the_newest_and_touches_nothing_else() {
        let dir = std::env::temp_dir().join(format!("mingjing-prune-{}", mingjing_storage::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "mingjing-20261101-000000.db",
            "mingjing-20261102-000000.db",
            "mingjing-20261103-000000.db",
            "mingjing-manual.db",
            "notes.txt",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        prune(&dir, 2).unwrap();
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            ["mingjing-20261102-000000.db", "mingjing-20261103-000000.db", "mingjing-manual.db", "notes.txt"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_scheduled_backup_is_written_checked_and_pruned() {
        let db = mingjing_storage::testing::TestDb::sqlite();
        let store = db.store().await;
        let dir = std::env::temp_dir().join(format!("mingjing-scheduled-{}", mingjing_storage::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("mingjing-20000101-000000.db"), b"an old one").unwrap();
        let path = take_scheduled(&store, &dir, 1).await.unwrap();
        assert!(check_backup(&path).await.is_ok());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only the newest is kept");
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
        db.remove().await;
    }
}
