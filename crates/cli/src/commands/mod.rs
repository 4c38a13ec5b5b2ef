//! One module per subcommand, and the file reading they share.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod corpus;
pub mod dataio;
pub mod gen_corpus;
pub mod index;
pub mod init;
pub mod key;
pub mod review;
pub mod serve;

use std::io::{self, Read};
use std::path::Path;
use std::process::ExitCode;

use mingjing_review::input;
use mingjing_storage::Store;
use mingjing_web::{Config, ConfigLayer, DatabaseUrl};

/// The runtime a database command runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("无法启动运行时：{e}"))
}

/// A command's exit: 0, or 2 with its message in Chinese.
pub fn finish(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command's body on a fresh runtime and exits as [`finish`] says.
pub fn block_on(body: impl Future<Output = Result<(), String>>) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(body)))
}

/// The configuration a command runs with: file, environment and default, with `--db` over them.
fn config(db: Option<&str>, config: Option<&Path>) -> Result<Config, String> {
    let flags = ConfigLayer { database_url: db.map(DatabaseUrl::new), ..ConfigLayer::default() };
    Ok(Config::load(config, &flags).map_err(|e| e.to_string())?.config)
}

/// The database a command names with `--db`, else the configuration's (file, environment, default).
pub fn database_url(db: Option<&str>, config_file: Option<&Path>) -> Result<DatabaseUrl, String> {
    Ok(config(db, config_file)?.database_url)
}

/// Opens the database a command names, writing audit entries with the configured hash (SM3 or SHA-256) as the
/// server does.
pub async fn connect(db: Option<&str>, config_file: Option<&Path>) -> Result<Store, String> {
    let config = config(db, config_file)?;
    let url = &config.database_url;
    let store = Store::connect(url.expose_secret()).await.map_err(|e| format!("无法打开数据库 {url}：{e}"))?;
    Ok(store.with_audit_hash(config.audit_hash))
}

/// Reads at most a little more than the engine accepts, so a huge file is refused
/// without being loaded whole.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let limit = 8 * input::MAX_TEXT_BYTES as u64;
    let file = std::fs::File::open(path).map_err(|e| io_message(&e))?;
    if file.metadata().map_err(|e| io_message(&e))?.is_dir() {
        return Err("这是一个文件夹，不是材料文件".into());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| io_message(&e))?;
    if bytes.len() as u64 > limit {
        return Err(input::ReadError::TooLarge { limit: input::MAX_TEXT_BYTES }.to_string());
    }
    Ok(bytes)
}

pub fn io_message(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "文件不存在".into(),
        io::ErrorKind::PermissionDenied => "没有读取权限".into(),
        _ => format!("读取失败（{error}）"),
    }
}
