//! The copy-detection benchmark behind `copy-bench` and `bench/compare.sh`: one run
//! generates a synthetic corpus, builds the index the way a caller does, measures its
//! saved size, times single-thread reviews of sampled materials against the full
//! index, records peak memory, and runs the exact-clause-hash baseline on the same
//! documents. The datasketch side lives in `bench/datasketch_bench.py`, fed by the
//! files `Settings::write_corpus` writes.

pub mod baseline;
pub mod build;
pub mod corpus;
pub mod http;
pub mod memory;
pub mod query;
pub mod rush;
pub mod stats;

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::baseline::BaselineFigures;
use crate::build::BuildTiming;
use crate::memory::Memory;
use crate::query::QueryFigures;

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Member documents; templates and previous-year documents come on top.
    pub n: usize,
    pub seed: u64,
    /// Member documents reviewed against the index.
    pub queries: usize,
    /// Threads of the build; the first count is the build that is kept and queried,
    /// the others are timed after everything else, for scaling.
    pub threads: Vec<usize>,
    /// Where to write the documents and the sample for the Python side.
    pub write_corpus: Option<PathBuf>,
    pub baseline: bool,
}

/// The saved index against the corpus it indexes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexFigures {
    pub documents: usize,
    pub postings: usize,
    /// Bytes `write_index` writes.
    pub saved_bytes: u64,
    pub ratio_to_corpus: f64,
}

/// Build time without the text store.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IndexOnlyBuild {
    pub seconds: f64,
    pub mb_per_s: f64,
}

/// Resident memory at the points that matter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MemoryFigures {
    pub after_generate: Memory,
    pub after_build: Memory,
    /// After the reviews, before the baseline runs: the peak of holding the corpus
    /// texts, the index and the text store at once.
    pub after_queries: Memory,
    pub at_end: Memory,
}

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub n: usize,
    pub seed: u64,
    pub documents: usize,
    pub members: usize,
    pub corpus_bytes: u64,
    pub corpus_chars: u64,
    pub generate_seconds: f64,
    pub build: BuildTiming,
    pub scaling: Vec<BuildTiming>,
    /// One thread, each `SourceDoc` dropped once hashed: the build of a caller whose
    /// texts live elsewhere.
    pub index_only_build: IndexOnlyBuild,
    /// Filling the caller's `MemoryTexts`, which the index does not include.
    pub text_store_seconds: f64,
    pub index: IndexFigures,
    pub queries: QueryFigures,
    pub memory: MemoryFigures,
    pub baseline: Option<BaselineFigures>,
}

/// Runs the benchmark; `progress` hears what stage is starting.
pub fn run(settings: &Settings, progress: &dyn Fn(&str)) -> anyhow::Result<Figures> {
    progress(&format!("generating {} member documents (seed {})", settings.n, settings.seed));
    let corpus = corpus::generate(settings.n, settings.seed)?;
    let sample = corpus::sample(&corpus.docs, settings.queries);
    let after_generate = Memory::now();
    if let Some(dir) = &settings.write_corpus {
        progress(&format!("writing {} documents to {}", corpus.docs.len(), dir.display()));
        corpus::write(dir, &corpus.docs, &sample)?;
    }

    let threads = settings.threads.first().copied().unwrap_or(1);
    progress(&format!("building the index of {} documents on {threads} thread(s)", corpus.docs.len()));
    let mut built = build::build(&corpus.docs, corpus.bytes, threads)?;
    let after_build = Memory::now();
    let saved_bytes = build::saved_size(&mut built.index)?;
    let index = IndexFigures {
        documents: built.index.len(),
        postings: built.index.posting_count(),
        saved_bytes,
        ratio_to_corpus: saved_bytes as f64 / corpus.bytes.max(1) as f64,
    };

    progress(&format!("reviewing {} materials against the full index", sample.len()));
    let queries = query::run(&corpus, &built, &sample)?;
    let after_queries = Memory::now();
    let (build, text_store_seconds) = (built.timing, built.store_seconds);
    drop(built);

    let baseline = if settings.baseline {
        progress("exact-clause-hash baseline");
        Some(baseline::run(&corpus.docs, corpus.bytes, &sample)?)
    } else {
        None
    };

    progress("building again on one thread without keeping the texts");
    let (seconds, mb_per_s) = build::index_only(&corpus.docs, corpus.bytes)?;
    let index_only_build = IndexOnlyBuild { seconds, mb_per_s };

    let mut scaling = Vec::new();
    for &t in settings.threads.iter().skip(1) {
        progress(&format!("building again on {t} thread(s), for scaling"));
        scaling.push(build::build(&corpus.docs, corpus.bytes, t)?.timing);
    }

    Ok(Figures {
        n: settings.n,
        seed: settings.seed,
        documents: corpus.docs.len(),
        members: corpus.members,
        corpus_bytes: corpus.bytes,
        corpus_chars: corpus.chars,
        generate_seconds: corpus.generate_seconds,
        build,
        scaling,
        index_only_build,
        text_store_seconds,
        index,
        queries,
        memory: MemoryFigures { after_generate, after_build, after_queries, at_end: Memory::now() },
        baseline,
    })
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "n/a".to_owned(), |b| format!("{:.0} MiB", b as f64 / (1024.0 * 1024.0)))
}

/// The figures of one run as a human-readable table.
pub fn render(f: &Figures) -> String {
    let mut out = String::new();
    let mut row = |name: &str, value: String| {
        let _ = writeln!(out, "  {name:<40} {value}");
    };
    row("documents (members)", format!("{} ({})", f.documents, f.members));
    row("corpus UTF-8", format!("{:.1} MB, {} chars", mb(f.corpus_bytes), f.corpus_chars));
    row("generation (not timed as build)", format!("{:.2} s", f.generate_seconds));
    let b = &f.build;
    row(
        &format!("build, {} thread(s)", b.threads),
        format!("{:.2} s, {:.1} MB/s, {:.1} MB/s per core", b.seconds, b.mb_per_s, b.mb_per_s_per_core),
    );
    row(
        "  of which",
        format!(
            "per-document {:.2} s (normalize {:.2} s + hash {:.2} s CPU), Index::build {:.2} s",
            b.documents_seconds, b.normalize_cpu_seconds, b.hash_cpu_seconds, b.index_seconds
        ),
    );
    row(
        "build, 1 thread, texts not kept",
        format!("{:.2} s, {:.1} MB/s", f.index_only_build.seconds, f.index_only_build.mb_per_s),
    );
    for s in &f.scaling {
        row(&format!("build, {} thread(s)", s.threads), format!("{:.2} s, {:.1} MB/s", s.seconds, s.mb_per_s));
    }
    row("text store (MemoryTexts, caller's)", format!("{:.2} s to fill; not in the index", f.text_store_seconds));
    row(
        "index (write_index)",
        format!(
            "{:.1} MB = {:.2} × corpus, {} postings",
            mb(f.index.saved_bytes),
            f.index.ratio_to_corpus,
            f.index.postings
        ),
    );
    let q = &f.queries;
    let lat = |l: &stats::Latency| {
        format!("p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, max {:.2} ms", l.p50_ms, l.p99_ms, l.mean_ms, l.max_ms)
    };
    row(&format!("review_against × {}", q.review.count), lat(&q.review));
    row(&format!("copy::check alone × {}", q.copy_only.count), lat(&q.copy_only));
    row(
        &format!("candidate retrieval × {}", q.retrieval.count),
        format!("{}; {:.1} candidates each", lat(&q.retrieval), q.mean_candidates),
    );
    row(
        "  found",
        format!(
            "{} of {} with copies, mean copy ratio {:.3}; warm-up {:.2} s",
            q.with_copies, q.with_copy_report, q.mean_copy_ratio, q.warmup_seconds
        ),
    );
    let p = &q.postings;
    row(
        "  postings walked per material",
        format!(
            "{:.0} ({:.0} of fingerprints above the candidate limit), {:.0} fingerprints, {:.1} skipped",
            p.visited, p.visited_common, p.fingerprints, p.skipped_fingerprints
        ),
    );
    let m = &f.memory;
    row(
        "peak memory (VmHWM)",
        format!(
            "{} after generation, {} after build, {} after reviews",
            mib(m.after_generate.peak_bytes),
            mib(m.after_build.peak_bytes),
            mib(m.after_queries.peak_bytes)
        ),
    );
    if let Some(x) = &f.baseline {
        row(
            "exact-clause baseline build",
            format!("{:.2} s, {:.1} MB/s, ~{:.0} MB map", x.build_seconds, x.mb_per_s, mb(x.memory_bytes)),
        );
        row(
            &format!("exact-clause baseline query × {}", x.query.count),
            format!("{}; {:.1} candidates", lat(&x.query), x.mean_candidates),
        );
    }
    out
}
