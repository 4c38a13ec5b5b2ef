//! `mingjing review`: reads material files, runs the review engine on each and prints a
//! Chinese report for a terminal or one JSON object per file.

mod text;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use mingjing_review::copy::{CopyOptions, DocKind, Params, Querier, SourceTexts, read_index};
use mingjing_review::{Audience, Campaign, Corpus, Options, Review, input, review, review_against};
use rayon::prelude::*;
use serde::Serialize;

use super::corpus;

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
    /// 参考材料文件夹：检查被审材料是否抄自其中的材料（可多次给出）
    #[arg(long, value_name = "DIR")]
    corpus: Vec<PathBuf>,
    /// 已知网络模板所在的文件夹（可多次给出）
    #[arg(long, value_name = "DIR")]
    templates: Vec<PathBuf>,
    /// 用 mingjing index build 保存的索引
    #[arg(long, value_name = "FILE")]
    index: Option<PathBuf>,
    /// 逐份审查一个文件夹中的全部材料，每份都与其余材料比对，每份输出一行 JSON
    #[arg(long, value_name = "DIR", conflicts_with = "files")]
    all: Option<PathBuf>,
    /// 要审查的材料文件（.txt、.md、.docx）
    #[arg(required_unless_present = "all", value_name = "FILE")]
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

/// Everything a review run shares across its files.
struct Run {
    campaign: Campaign,
    audience: Audience,
    options: Options,
    copy_options: CopyOptions,
    corpus: Option<corpus::Loaded>,
    /// Canonical path → id and author in the corpus, to recognize a reviewed file there.
    known: HashMap<PathBuf, (String, Option<String>)>,
}

impl Run {
    fn review_file(&self, file: &Path) -> Result<Review, String> {
        let bytes = super::read_limited(file)?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let source = input::read(&name, &bytes).map_err(|e| e.to_string())?;
        let Some(loaded) = &self.corpus else {
            return Ok(review(&source, &self.campaign, self.audience, &self.options));
        };
        let known = std::fs::canonicalize(file).ok().and_then(|p| self.known.get(&p));
        let me = Querier { id: known.map(|(id, _)| id.as_str()), author: known.and_then(|(_, a)| a.as_deref()) };
        let corpus = Corpus { index: &loaded.index, texts: &loaded.texts, options: &self.copy_options };
        Ok(review_against(&source, &self.campaign, self.audience, &self.options, &corpus, &me))
    }
}

pub fn run(args: &Args) -> ExitCode {
    match prepare(args) {
        Ok((run, files)) => report(args, &run, &files),
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(BAD_INPUT)
        }
    }
}

fn prepare(args: &Args) -> Result<(Run, Vec<PathBuf>), String> {
    let campaign = load_campaign(&args.campaign)?;
    let audience = match args.audience {
        AudienceArg::Member => Audience::Member,
        AudienceArg::Committee => Audience::Committee,
    };
    let options = Options { min_repeat_chars: usize::from(args.min_repeat), ..Options::default() };
    let mut run =
        Run { campaign, audience, options, copy_options: CopyOptions::default(), corpus: None, known: HashMap::new() };
    let mut corpus_files = Vec::new();
    for dir in args.corpus.iter().chain(&args.all) {
        corpus_files.extend(corpus::list(dir, DocKind::Member)?);
    }
    for dir in &args.templates {
        corpus_files.extend(corpus::list(dir, DocKind::Template)?);
    }
    let files = match &args.all {
        Some(dir) => corpus::list(dir, DocKind::Member)?.into_iter().map(|f| f.path).collect(),
        None => args.files.clone(),
    };
    if corpus_files.is_empty() && args.index.is_none() {
        return Ok((run, files));
    }
    for file in &corpus_files {
        if let Ok(canonical) = std::fs::canonicalize(&file.path) {
            run.known.insert(canonical, (file.id(), file.author.clone()));
        }
    }
    let mut loaded = corpus::index_files(corpus_files, Params::default(), "读取参考材料", corpus::Texts::Keep)
        .map_err(|e| e.to_string())?;
    corpus::warn_skipped(&loaded.skipped);
    if let Some(path) = &args.index {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("无法读取索引文件 {}：{}", path.display(), super::io_message(&e)))?;
        let mut saved = read_index(std::io::BufReader::new(file)).map_err(|e| format!("{}：{e}", path.display()))?;
        for file in &loaded.files {
            let id = file.id();
            if let Some(doc) = loaded.texts.source(&id) {
                saved.add(&id, file.author.as_deref(), file.kind, &doc.skeleton).map_err(|e| e.to_string())?;
            }
        }
        saved.merge();
        loaded.index = saved;
    }
    run.corpus = Some(loaded);
    Ok((run, files))
}

fn report(args: &Args, run: &Run, files: &[PathBuf]) -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    // Files are reviewed in parallel a chunk at a time and written in order, so output
    // starts early and memory stays flat on a whole campaign.
    let bar = (files.len() > 1).then(|| corpus::progress(files.len(), "审查材料"));
    for chunk in files.chunks(256) {
        let reviews: Vec<Result<Review, String>> = chunk
            .par_iter()
            .map(|file| {
                let review = run.review_file(file);
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
                review
            })
            .collect();
        for (file, outcome) in chunk.iter().zip(reviews) {
            let name = file.display().to_string();
            let written = match (outcome, args.format) {
                (Ok(review), Format::Text) => text::write(&mut out, &name, &review),
                (Ok(review), Format::Json) => json_line(&mut out, &FileReview { file: name, review: &review }),
                (Err(message), format) => {
                    failed = true;
                    if let Some(bar) = &bar {
                        bar.suspend(|| eprintln!("错误：{name}：{message}"));
                    } else {
                        eprintln!("错误：{name}：{message}");
                    }
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
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("无法读取年度工作定义文件 {arg}：{}", super::io_message(&e)))?;
    Campaign::from_toml(&text).map_err(|e| format!("{arg}：{e}"))
}
