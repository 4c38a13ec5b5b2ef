//! One module per subcommand, and the file reading they share.

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

use mingjing_review::input;

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
