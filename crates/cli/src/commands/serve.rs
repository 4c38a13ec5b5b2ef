//! `mingjing serve`: the web system on an embedded SQLite file (the default) or
//! PostgreSQL, with `--demo` to create a fictional county to try it on.

mod demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use mingjing_storage::Store;
use mingjing_web::{AppState, Clock, Config, ConfigLayer, DatabaseUrl, LogFormat, SystemClock};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 监听地址（默认 127.0.0.1:8080）
    #[arg(long, value_name = "ADDR")]
    bind: Option<SocketAddr>,
    /// 数据库：sqlite://文件路径（默认 sqlite://mingjing.db）或 postgres://…
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML）；环境变量 MINGJING_* 和命令行参数优先于它
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 创建（仅第一次）一个虚构的示范县，并列出各角色的演示账号
    #[arg(long)]
    demo: bool,
}

pub fn run(args: &Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINGJING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second initialisation (tests) is harmless: keep the first.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn serve(args: &Args) -> Result<(), String> {
    let flags = ConfigLayer {
        bind: args.bind,
        database_url: args.db.as_deref().map(DatabaseUrl::new),
        ..ConfigLayer::default()
    };
    let loaded = Config::load(args.config.as_deref(), &flags).map_err(|e| e.to_string())?;
    init_logging(loaded.config.log_format);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let config = loaded.config;
    let url = config.database_url.clone();
    tracing::info!(database = %url, "connecting");
    let data_key = super::key::configured(&config)?;
    let mut store = Store::connect(url.expose_secret())
        .await
        .map_err(|e| format!("无法打开数据库 {url}：{e}"))?
        .with_audit_hash(config.audit_hash);
    match data_key {
        Some(key) => {
            tracing::info!(algorithm = key.algorithm(), key_id = key.key_id(), "sealing matters reports and decisions");
            store = store.with_data_key(key);
        }
        // Refusing would stop a county that has not made a key yet from working at all; the warning is on every
        // start, in the log and on the terminal, until one is configured (docs/security.md).
        None if !args.demo => {
            tracing::warn!("no data_key_file: matters reports and grade decisions are stored in plaintext");
            eprintln!("警告：没有配置数据密钥（data_key_file），有关事项报告和组织评定将以明文保存在数据库中。");
            eprintln!("      正式使用必须配置：mingjing key generate --out 密钥文件，然后在配置中设置 data_key_file。");
        }
        None => {}
    }
    if args.demo {
        // One hash serves every demo account: argon2 costs tens of milliseconds each.
        let hash = tokio::task::spawn_blocking(|| mingjing_web::hash_password(demo::DEMO_PASSWORD))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let now = SystemClock.now_ms();
        eprintln!("正在准备示范县数据（第一次需要几秒钟）……");
        let accounts = demo::seed(&store, &hash, now).await.map_err(|e| format!("无法创建示范县数据：{e}"))?;
        eprintln!("示范县演示账号（密码均为 {}，仅供演示）：", demo::DEMO_PASSWORD);
        for account in accounts {
            eprintln!("  {:<12} {:<14} {}", account.login, account.role.label(), account.who);
        }
    }
    if let Some(dir) = config.backup_dir.clone() {
        if store.backend() == mingjing_storage::Backend::Sqlite {
            let every = config.backup_every;
            tokio::spawn(super::backup::scheduled(store.clone(), dir, every, config.backup_keep));
        } else {
            tracing::warn!("backup_dir is set, but PostgreSQL is backed up with pg_dump (docs/operations.md)");
        }
    }
    tokio::spawn(super::audit::scheduled_prune(store.clone(), config.audit_retention));
    if !args.demo && store.account_count().await.map_err(|e| e.to_string())? == 0 {
        eprintln!(
            "提示：数据库中还没有任何账号。请先停止服务，运行 mingjing init --county 本级党组织名称 创建管理员；"
        );
        eprintln!("      只想试用的话，用 mingjing serve --demo 打开示范县。");
    }
    let listener =
        tokio::net::TcpListener::bind(config.bind).await.map_err(|e| format!("无法监听 {}：{e}", config.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("明镜已启动：http://{address}/ （按 Ctrl+C 停止）");
    let header_timeout = config.request_timeout.min(mingjing_web::HEADER_READ_TIMEOUT);
    let app = mingjing_web::router(AppState::new(config, store.clone()));
    let shutdown = mingjing_web::shutdown_signal();
    mingjing_web::run_with_header_timeout(listener, app, shutdown, header_timeout).await.map_err(|e| e.to_string())?;
    store.close().await;
    eprintln!("明镜已停止。");
    Ok(())
}
