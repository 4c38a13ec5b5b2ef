//! `mingjing audit verify`: walks the audit log's hash chain and names every entry edited, deleted or inserted
//! behind the application's back. Exit code 0 when the chain is whole, 1 when it is broken, 2 when it cannot run.

use std::path::PathBuf;
use std::process::ExitCode;

use mingjing_storage::Store;
use mingjing_web::{Config, ConfigLayer, DatabaseUrl};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 校验审计日志的哈希链：发现被修改、删除或插入的记录
    Verify(VerifyArgs),
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
    let Command::Verify(args) = command;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(verify(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(2)
        }
    }
}

async fn verify(args: &VerifyArgs) -> Result<bool, String> {
    let flags = ConfigLayer { database_url: args.db.as_deref().map(DatabaseUrl::new), ..ConfigLayer::default() };
    let url = Config::load(args.config.as_deref(), &flags).map_err(|e| e.to_string())?.config.database_url;
    let store = Store::connect(url.expose_secret()).await.map_err(|e| format!("无法打开数据库 {url}：{e}"))?;
    let report = store.verify_audit().await;
    store.close().await;
    let report = report.map_err(|e| format!("读取审计日志失败：{e}"))?;
    let range = match (report.first_seq, report.last_seq) {
        (Some(first), Some(last)) => format!("（第 {first} 至 {last} 条）"),
        _ => String::new(),
    };
    if report.problems.is_empty() {
        eprintln!("审计日志共 {} 条{range}，哈希链完整。", report.entries);
        return Ok(true);
    }
    eprintln!("审计日志共 {} 条{range}，哈希链被破坏：", report.entries);
    for problem in &report.problems {
        eprintln!("  - {problem}");
    }
    Ok(false)
}
