//! `mingjing review`: reads material files, runs the review engine on each and prints a
//! Chinese report for a terminal or one JSON object per file.

mod text;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use mingjing_review::{Audience, Campaign, Options, Review, input, review};
use serde::Serialize;

/// Exit code for input the engine cannot read (a bad file, an unknown campaign).
const BAD_INPUT: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// 供人阅读的中文报告
    Text,
    /// 每个文件一行 JSON（格式见 docs/review-json.md）
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AudienceArg {
    /// 党员
    Member,
    /// 支部委员会（班子）
    Committee,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 年度工作：内置编号（如 2021-county、2021-annual、2022-annual）或 TOML 定义文件的路径
    #[arg(long, default_value = "2021-county")]
    campaign: String,
    /// 材料的撰写者：党员或支部委员会
    #[arg(long, value_enum, default_value_t = AudienceArg::Member)]
    audience: AudienceArg,
    /// 输出格式
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// 认定为内部重复的最短字数（不计标点）
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u16).range(4..=200))]
    min_repeat: u16,
    /// 要审查的材料文件（.txt、.md、.docx）
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// One file's line of JSON output.
#[derive(Debug, Serialize)]
struct FileReview<'a> {
    file: String,
    #[serde(flatten)]
    review: &'a Review,
}

#[derive(Debug, Serialize)]
struct FileError {
    file: String,
    error: String,
}

pub fn run(args: &Args) -> ExitCode {
    let campaign = match load_campaign(&args.campaign) {
        Ok(campaign) => campaign,
        Err(message) => {
            eprintln!("错误：{message}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let audience = match args.audience {
        AudienceArg::Member => Audience::Member,
        AudienceArg::Committee => Audience::Committee,
    };
    let options = Options { min_repeat_chars: usize::from(args.min_repeat), ..Options::default() };
    let mut failed = false;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for file in &args.files {
        let name = file.display().to_string();
        let outcome = read_source(file).map(|source| review(&source, &campaign, audience, &options));
        let written = match (outcome, args.format) {
            (Ok(review), Format::Text) => text::write(&mut out, &name, &review),
            (Ok(review), Format::Json) => json_line(&mut out, &FileReview { file: name, review: &review }),
            (Err(message), format) => {
                failed = true;
                eprintln!("错误：{name}：{message}");
                match format {
                    Format::Json => json_line(&mut out, &FileError { file: name, error: message }),
                    Format::Text => Ok(()),
                }
            }
        };
        if let Err(error) = written {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if error.kind() == io::ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("错误：无法输出报告：{error}");
            return ExitCode::FAILURE;
        }
    }
    if failed { ExitCode::from(BAD_INPUT) } else { ExitCode::SUCCESS }
}

fn json_line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    // Serialize first, so that a failed write keeps its own error kind (a closed pipe).
    let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

/// A built-in id, or else a path to a TOML definition.
fn load_campaign(arg: &str) -> Result<Campaign, String> {
    let path = Path::new(arg);
    let looks_like_file = path.extension().is_some_and(|e| e == "toml") || path.components().count() > 1;
    if !looks_like_file {
        return Campaign::builtin(arg).map_err(|e| e.to_string());
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("无法读取年度工作定义文件 {arg}：{}", io_message(&e)))?;
    Campaign::from_toml(&text).map_err(|e| format!("{arg}：{e}"))
}

/// Reads at most a little more than the engine accepts, so a huge file is refused
/// without being loaded whole.
fn read_source(path: &Path) -> Result<input::Source, String> {
    use std::io::Read;
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
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    input::read(&name, &bytes).map_err(|e| e.to_string())
}

fn io_message(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "文件不存在".into(),
        io::ErrorKind::PermissionDenied => "没有读取权限".into(),
        _ => format!("读取失败（{error}）"),
    }
}
