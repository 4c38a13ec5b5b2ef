//! The benchmark's documents: a synthetic corpus from `mingjing-corpus`, held in memory
//! as plain texts (the index and the text store are built from these), the sample of
//! members that are reviewed, and the files the Python side reads.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use mingjing_corpus::{Config, Generator};
use mingjing_review::Campaign;
use mingjing_review::copy::DocKind;

/// The campaign whose member aspects the corpus is written for.
pub const CAMPAIGN: &str = "2022-annual";

/// One document as the index sees it.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: String,
    pub author: Option<String>,
    pub kind: DocKind,
    pub text: String,
}

/// Every document of one generated corpus.
#[derive(Debug)]
pub struct Documents {
    pub campaign: Campaign,
    pub docs: Vec<Doc>,
    /// Member documents (the others are templates and previous-year documents).
    pub members: usize,
    /// UTF-8 size of all texts: what throughput and index size are measured against.
    pub bytes: u64,
    pub chars: u64,
    pub generate_seconds: f64,
}

fn kind(kind: mingjing_corpus::DocKind) -> DocKind {
    match kind {
        mingjing_corpus::DocKind::Member => DocKind::Member,
        mingjing_corpus::DocKind::PreviousYear => DocKind::PreviousYear,
        mingjing_corpus::DocKind::Template => DocKind::Template,
    }
}

/// Generates `n` member documents (plus templates and previous-year documents).
pub fn generate(n: usize, seed: u64) -> anyhow::Result<Documents> {
    let campaign = Campaign::builtin(CAMPAIGN).with_context(|| format!("built-in campaign {CAMPAIGN}"))?;
    let aspects = campaign.aspects.member.iter().map(|a| a.title.clone()).collect();
    let started = Instant::now();
    let generator = Generator::new(Config::new(n, seed, aspects)).context("corpus configuration")?;
    let mut docs = Vec::with_capacity(n + n / 4);
    let (mut members, mut bytes, mut chars) = (0, 0u64, 0u64);
    for generated in generator {
        let d = generated.document;
        members += usize::from(d.kind == mingjing_corpus::DocKind::Member);
        bytes += d.text.len() as u64;
        chars += d.text.chars().count() as u64;
        docs.push(Doc { id: d.id, author: d.author, kind: kind(d.kind), text: d.text });
    }
    docs.shrink_to_fit();
    Ok(Documents { campaign, docs, members, bytes, chars, generate_seconds: started.elapsed().as_secs_f64() })
}

/// Positions (into `docs`) of `q` member documents spread evenly over the corpus, so
/// early members (few sources to copy from) and late ones are both reviewed, and every
/// run of the same size reviews the same ones.
pub fn sample(docs: &[Doc], q: usize) -> Vec<usize> {
    let members: Vec<usize> =
        docs.iter().enumerate().filter(|(_, d)| d.kind == DocKind::Member).map(|(i, _)| i).collect();
    let q = q.min(members.len());
    (0..q).map(|i| members[i * members.len() / q]).collect()
}

/// Writes `dir/docs/<id>.txt` for every document and `dir/sample.txt` with the ids of
/// the sampled documents, one a line, for the Python side.
pub fn write(dir: &Path, docs: &[Doc], sample: &[usize]) -> anyhow::Result<()> {
    let folder = dir.join("docs");
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    for d in docs {
        let path = folder.join(format!("{}.txt", d.id));
        std::fs::write(&path, &d.text).with_context(|| format!("writing {}", path.display()))?;
    }
    let path = dir.join("sample.txt");
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?);
    for d in sample.iter().filter_map(|&i| docs.get(i)) {
        writeln!(out, "{}", d.id).with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
