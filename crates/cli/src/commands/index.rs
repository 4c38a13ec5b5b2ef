//! `mingjing index build`: indexes reference folders once and saves the index, so later
//! reviews load it with `--index` instead of reading every file again.

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mingjing_review::copy::{DocKind, Params, write_index};

use super::corpus;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 为参考材料文件夹建立索引并保存
    Build(BuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// 索引文件的保存位置
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// 已知网络模板所在的文件夹（可多次给出）
    #[arg(long, value_name = "DIR")]
    templates: Vec<PathBuf>,
    /// 参考材料所在的文件夹
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

pub fn run(command: &Command) -> ExitCode {
    match command {
        Command::Build(args) => match build(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("错误：{message}");
                ExitCode::from(2)
            }
        },
    }
}

fn build(args: &BuildArgs) -> Result<(), String> {
    let started = Instant::now();
    let mut files = Vec::new();
    for dir in &args.dirs {
        files.extend(corpus::list(dir, DocKind::Member)?);
    }
    for dir in &args.templates {
        files.extend(corpus::list(dir, DocKind::Template)?);
    }
    let mut loaded =
        corpus::index_files(files, Params::default(), "建立索引", corpus::Texts::Drop).map_err(|e| e.to_string())?;
    corpus::warn_skipped(&loaded.skipped);
    let file = std::fs::File::create(&args.out)
        .map_err(|e| format!("无法写入索引文件 {}：{}", args.out.display(), super::io_message(&e)))?;
    let mut out = BufWriter::new(file);
    write_index(&mut loaded.index, &mut out).map_err(|e| format!("无法写入索引文件：{e}"))?;
    out.into_inner().map_err(|e| format!("无法写入索引文件：{e}"))?;
    eprintln!(
        "已为 {} 份材料建立索引，保存到 {}（用时 {:.1} 秒）",
        loaded.index.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
