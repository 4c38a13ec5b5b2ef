//! `mingjing gen-corpus`: writes a synthetic corpus of materials with the ground truth
//! of every injected copy, for measuring copy detection and for benchmarks.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mingjing_corpus::{Config, DocKind, Generator};
use mingjing_review::{Audience, Campaign};

use super::corpus::{MANIFEST, progress};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 生成的党员材料份数（另有往年材料和网络模板）
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    n: u64,
    /// 随机种子：相同的种子生成相同的语料
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 检视方面取自哪个年度工作（内置编号）
    #[arg(long, default_value = "2022-annual")]
    campaign: String,
    /// 输出文件夹（不存在则新建；已有内容时拒绝写入）
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: &Args) -> ExitCode {
    match generate(args) {
        Ok(count) => {
            eprintln!("已生成 {count} 份材料到 {}（真值见 truth.jsonl，作者和类型见 {MANIFEST}）", args.out.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(2)
        }
    }
}

fn folder(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Member => "members",
        DocKind::PreviousYear => "previous",
        DocKind::Template => "templates",
    }
}

fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Member => "member",
        DocKind::PreviousYear => "previous_year",
        DocKind::Template => "template",
    }
}

fn generate(args: &Args) -> Result<usize, String> {
    let campaign = Campaign::builtin(&args.campaign).map_err(|e| e.to_string())?;
    let aspects = campaign.aspects_for(Audience::Member).iter().map(|a| a.title.clone()).collect();
    let config = Config::new(args.n as usize, args.seed, aspects);
    let generator = Generator::new(config).map_err(|e| format!("生成参数有误：{e}"))?;
    prepare(&args.out)?;
    let io = |e: std::io::Error| format!("无法写入 {}：{e}", args.out.display());
    let mut manifest = BufWriter::new(fs::File::create(args.out.join(MANIFEST)).map_err(io)?);
    let mut truth = BufWriter::new(fs::File::create(args.out.join("truth.jsonl")).map_err(io)?);
    writeln!(manifest, "# path\tauthor\tkind").map_err(io)?;
    let bar = progress(args.n as usize, "生成语料");
    let mut count = 0;
    for generated in generator {
        let doc = &generated.document;
        let relative = format!("{}/{}.txt", folder(doc.kind), doc.id);
        fs::write(args.out.join(&relative), &doc.text).map_err(io)?;
        writeln!(manifest, "{relative}\t{}\t{}", doc.author.as_deref().unwrap_or(""), kind_name(doc.kind))
            .map_err(io)?;
        for injection in &generated.truth {
            let line = serde_json::to_string(injection).map_err(|e| e.to_string())?;
            writeln!(truth, "{line}").map_err(io)?;
        }
        if doc.kind == DocKind::Member {
            bar.inc(1);
        }
        count += 1;
    }
    bar.finish_and_clear();
    manifest.flush().map_err(io)?;
    truth.flush().map_err(io)?;
    Ok(count)
}

/// Creates the output folders; refuses a folder that already holds files, so a run
/// never mixes two corpora.
fn prepare(out: &Path) -> Result<(), String> {
    if out.exists() && fs::read_dir(out).map_err(|e| e.to_string())?.next().is_some() {
        return Err(format!("输出文件夹 {} 不是空的，请换一个文件夹", out.display()));
    }
    for kind in [DocKind::Member, DocKind::PreviousYear, DocKind::Template] {
        fs::create_dir_all(out.join(folder(kind))).map_err(|e| format!("无法创建 {}：{e}", out.display()))?;
    }
    Ok(())
}
