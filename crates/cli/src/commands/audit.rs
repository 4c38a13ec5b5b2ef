//! `mingjing audit verify`: walks the audit log's hash chain and names every entry edited, deleted or inserted
//! behind the application's back. Exit code 0 when the chain is whole, 1 when it is broken, 2 when it cannot run.
//! `mingjing audit prune`: deletes the entries older than `audit_retention_days` and records the cut, as `serve`
//! does once a day.

use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use mingjing_storage::Store;
use mingjing_web::clock::duration_ms;
use mingjing_web::{Clock, Config, ConfigLayer, DatabaseUrl, SystemClock};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 校验审计日志的哈希链：发现被修改、删除或插入的记录
    Verify(VerifyArgs),
    /// 按保留期（配置项 audit_retention_days，默认 730 天，不少于 180 天）删除过期的审计记录，并记录清理点
    Prune(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// 数据库（默认取配置文件、环境变量 MINGJING_DATABASE_URL 或 sqlite://mingjing.db）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(command: &Command) -> ExitCode {
    let outcome = super::runtime().and_then(|runtime| match command {
        Command::Verify(args) => runtime.block_on(verify(args)),
        Command::Prune(args) => runtime.block_on(prune(args)),
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(2)
        }
    }
}

async fn verify(args: &VerifyArgs) -> Result<bool, String> {
    let store = super::connect(args.db.as_deref(), args.config.as_deref()).await?;
    let report = store.verify_audit().await;
    store.close().await;
    let report = report.map_err(|e| format!("读取审计日志失败：{e}"))?;
    let range = match (report.first_seq, report.last_seq) {
        (Some(first), Some(last)) => format!("（第 {first} 至 {last} 条）"),
        _ => String::new(),
    };
    let cut = report.cut_through.map(|through| format!("（第 {through} 条及以前已按保留期清理）")).unwrap_or_default();
    if report.problems.is_empty() {
        eprintln!("审计日志共 {} 条{range}{cut}，哈希链完整。", report.entries);
        return Ok(true);
    }
    eprintln!("审计日志共 {} 条{range}，哈希链被破坏：", report.entries);
    for problem in &report.problems {
        eprintln!("  - {problem}");
    }
    Ok(false)
}

async fn prune(args: &VerifyArgs) -> Result<bool, String> {
    let flags = ConfigLayer { database_url: args.db.as_deref().map(DatabaseUrl::new), ..ConfigLayer::default() };
    let config = Config::load(args.config.as_deref(), &flags).map_err(|e| e.to_string())?.config;
    let url = config.database_url.clone();
    let store = Store::connect(url.expose_secret())
        .await
        .map_err(|e| format!("无法打开数据库 {url}：{e}"))?
        .with_audit_hash(config.audit_hash);
    let outcome = prune_once(&store, config.audit_retention, SystemClock.now_ms(), "mingjing audit prune 命令：").await;
    store.close().await;
    let days = config.audit_retention.as_secs() / 86_400;
    match outcome.map_err(|e| format!("清理审计日志失败：{e}"))? {
        Some(cut) => eprintln!(
            "已删除 {days} 天前的审计记录 {} 条（至第 {} 条），清理点已记入审计日志。",
            cut.deleted, cut.through_seq
        ),
        None => eprintln!("没有超过保留期（{days} 天）的审计记录。"),
    }
    Ok(true)
}

/// Deletes what is older than `retention` at `now` and records the cut.
async fn prune_once(
    store: &Store,
    retention: Duration,
    now: i64,
    via: &str,
) -> Result<Option<mingjing_storage::AuditCut>, mingjing_storage::StoreError> {
    let cutoff = now.saturating_sub(duration_ms(retention));
    store.prune_audit(cutoff, now, via, None, None).await
}

/// The server's daily pruning: once at start, then every 24 hours.
pub async fn scheduled_prune(store: Store, retention: Duration) {
    let mut ticks = tokio::time::interval(Duration::from_secs(24 * 3600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match prune_once(&store, retention, SystemClock.now_ms(), "serve 每日清理：").await {
            Ok(Some(cut)) => tracing::info!(deleted = cut.deleted, through = cut.through_seq, "audit log pruned"),
            Ok(None) => tracing::debug!("no audit entries past retention"),
            Err(error) => tracing::error!(%error, "audit pruning failed"),
        }
    }
}
