//! `copy-bench`: one benchmark run of copy detection at one corpus size, printed as a
//! table or, with `--json`, as one JSON object for `bench/compare.sh`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mingjing_bench::{Settings, render, run};

/// Index build, review latency, index size and memory of copy detection on a synthetic
/// corpus, beside an exact-clause-hash baseline.
#[derive(Debug, Parser)]
#[command(name = "copy-bench")]
struct Args {
    /// Member documents to generate (templates and previous-year documents come on top).
    #[arg(long)]
    n: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Member documents reviewed against the full index.
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Build threads; `1,2` also times a 2-thread build after the rest, for scaling.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    threads: Vec<usize>,
    /// Writes DIR/docs/<id>.txt and DIR/sample.txt for bench/datasketch_bench.py.
    #[arg(long, value_name = "DIR")]
    write_corpus: Option<PathBuf>,
    /// Skips the exact-clause-hash baseline.
    #[arg(long)]
    no_baseline: bool,
    /// One JSON object on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let settings = Settings {
        n: args.n,
        seed: args.seed,
        queries: args.queries,
        threads: args.threads,
        write_corpus: args.write_corpus,
        baseline: !args.no_baseline,
    };
    let figures = match run(&settings, &|stage| eprintln!("copy-bench: {stage}")) {
        Ok(figures) => figures,
        Err(e) => {
            eprintln!("copy-bench: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let text = if args.json {
        serde_json::to_string(&figures).expect("figures are plain numbers and strings") + "\n"
    } else {
        format!("copy-bench n = {}, seed = {}\n{}", figures.n, figures.seed, render(&figures))
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        eprintln!("copy-bench: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
