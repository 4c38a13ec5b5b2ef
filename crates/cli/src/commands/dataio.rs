//! `mingjing export` and `mingjing import`: the whole data set as one versioned file (docs/export-format.md), to move
//! a county from SQLite to PostgreSQL or between servers. Sealed values travel as they are stored: the data key
//! goes separately, by hand, never inside the file.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{connect, finish, runtime};
use mingjing_storage::export::ExportSummary;
use mingjing_web::{Clock, SystemClock};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// 导出文件（不会覆盖已有文件），如 county.mingjing.gz
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
pub struct ImportArgs {
    /// 要导入的导出文件
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// 目标数据库：必须是新建的空数据库（会自动建好数据结构）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn export(args: &ExportArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(run_export(args))))
}

pub fn import(args: &ImportArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(run_import(args))))
}

async fn run_export(args: &ExportArgs) -> Result<(), String> {
    let store = connect(args.db.as_deref(), args.config.as_deref()).await?;
    let outcome = store.export_to(&args.out, SystemClock.now_ms()).await;
    store.close().await;
    let summary = outcome.map_err(|e| e.to_string())?;
    eprintln!("已导出到 {}：{}", args.out.display(), describe(&summary));
    eprintln!("有关事项报告和组织评定按加密后的样子导出：导入后须配置同一把数据密钥（密钥请另行传递）。");
    Ok(())
}

async fn run_import(args: &ImportArgs) -> Result<(), String> {
    let store = connect(args.db.as_deref(), args.config.as_deref()).await?;
    let outcome = store.import_from(&args.file).await;
    let chain = match &outcome {
        Ok(_) => Some(store.verify_audit().await),
        Err(_) => None,
    };
    store.close().await;
    let summary = outcome.map_err(|e| e.to_string())?;
    eprintln!("已从 {} 导入：{}", args.file.display(), describe(&summary));
    match chain {
        Some(Ok(report)) if report.problems.is_empty() => {
            eprintln!("审计日志共 {} 条，哈希链完整。", report.entries);
            Ok(())
        }
        Some(Ok(report)) => {
            Err(format!("导入后审计日志的哈希链有 {} 处问题，请运行 mingjing audit verify 查看", report.problems.len()))
        }
        Some(Err(e)) => Err(format!("无法校验审计日志：{e}")),
        None => Ok(()),
    }
}

fn describe(summary: &ExportSummary) -> String {
    let nonempty = summary.rows.iter().filter(|(_, n)| *n > 0).count();
    format!(
        "数据结构版本 {}，{} 张表（{} 张有数据），共 {} 行，内容校验值 SHA-256 {}",
        summary.schema,
        summary.rows.len(),
        nonempty,
        summary.total_rows(),
        summary.sha256
    )
}
