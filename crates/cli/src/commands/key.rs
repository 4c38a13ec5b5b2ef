//! `mingjing key`: the data key that seals the 有关事项报告 and the committee's decisions at rest. `generate` writes a
//! new key file readable by its owner only; `reencrypt` seals every value not yet under the current key (plaintext
//! from before encryption, or values under a key being retired). The key lives outside the database, and must be
//! kept (and backed up) apart from it: without it those values cannot be read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use mingjing_storage::Store;
use mingjing_storage::sealing::{Algorithm, CryptoProvider, generate_key_hex, load_key_file};
use mingjing_web::{Config, ConfigLayer, DatabaseUrl};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 生成新的数据密钥文件（仅本用户可读）
    Generate(GenerateArgs),
    /// 用当前密钥加密尚未加密的数据（或用旧密钥加密的数据）
    Reencrypt(ReencryptArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// 密钥文件（不会覆盖已有文件）
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// 算法：aes-256-gcm（默认，32 字节密钥）或 sm4-gcm（16 字节密钥）
    #[arg(long, value_name = "NAME", default_value = "aes-256-gcm")]
    algorithm: String,
}

#[derive(Debug, clap::Args)]
pub struct ReencryptArgs {
    /// 数据库（默认取配置文件、环境变量 MINGJING_DATABASE_URL 或 sqlite://mingjing.db）
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// 配置文件（TOML），其中 data_key_file 指向当前密钥
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 要停用的旧密钥文件：用它加密的数据改用当前密钥加密
    #[arg(long, value_name = "FILE")]
    old_key: Option<PathBuf>,
    /// 旧密钥的算法（默认 aes-256-gcm）
    #[arg(long, value_name = "NAME", default_value = "aes-256-gcm")]
    old_algorithm: String,
}

pub fn run(command: &Command) -> ExitCode {
    match command {
        Command::Generate(args) => super::finish(generate(args)),
        Command::Reencrypt(args) => super::block_on(reencrypt(args)),
    }
}

fn algorithm(name: &str) -> Result<Algorithm, String> {
    Algorithm::from_name(name).ok_or_else(|| format!("“{name}”不是 aes-256-gcm 或 sm4-gcm"))
}

fn generate(args: &GenerateArgs) -> Result<(), String> {
    let algorithm = algorithm(&args.algorithm)?;
    let key = generate_key_hex(algorithm).map_err(|e| e.to_string())?;
    write_private(&args.out, &format!("{key}\n"))?;
    eprintln!("已生成 {} 密钥：{}（仅本用户可读）", algorithm.name(), args.out.display());
    eprintln!("请在配置中设置 data_key_file = \"{}\"", args.out.display());
    if algorithm != Algorithm::default() {
        eprintln!("以及 data_key_algorithm = \"{}\"", algorithm.name());
    }
    eprintln!("密钥须与数据库分开保存和备份：丢失密钥，加密的数据将无法读取。");
    Ok(())
}

/// Creates `path` with mode 0600 (never overwriting) and writes `text`.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!("{} 已存在，不会覆盖已有的密钥", path.display()),
        _ => format!("无法创建 {}：{e}", path.display()),
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("无法写入 {}：{e}", path.display()))
}

/// The data key the configuration names, if any.
pub fn configured(config: &Config) -> Result<Option<Arc<dyn CryptoProvider>>, String> {
    config
        .data_key_file
        .as_deref()
        .map(|path| load_key_file(path, config.data_key_algorithm).map_err(|e| e.to_string()))
        .transpose()
}

async fn reencrypt(args: &ReencryptArgs) -> Result<(), String> {
    let flags = ConfigLayer { database_url: args.db.as_deref().map(DatabaseUrl::new), ..ConfigLayer::default() };
    let config = Config::load(args.config.as_deref(), &flags).map_err(|e| e.to_string())?.config;
    let key = configured(&config)?
        .ok_or("没有配置数据密钥：请在配置文件中设置 data_key_file（用 mingjing key generate 生成）")?;
    let old = match &args.old_key {
        Some(path) => Some(load_key_file(path, algorithm(&args.old_algorithm)?).map_err(|e| e.to_string())?),
        None => None,
    };
    let url = config.database_url;
    let store =
        Store::connect(url.expose_secret()).await.map_err(|e| format!("无法打开数据库 {url}：{e}"))?.with_data_key(key);
    let outcome = store.reencrypt(old.as_deref()).await;
    store.close().await;
    let report = outcome.map_err(|e| format!("重新加密失败（已加密的部分保持有效）：{e}"))?;
    eprintln!("已加密 {} 项，{} 项原已用当前密钥加密。", report.sealed, report.unchanged);
    Ok(())
}
