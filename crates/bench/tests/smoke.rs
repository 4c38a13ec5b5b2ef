//! The benchmark's whole Rust path at a smoke size, so a change that breaks a stage (or
//! makes one return nothing) fails the default test run rather than the next benchmark.

use mingjing_bench::{Settings, render, run};

#[test]
fn every_stage_runs_at_1k_and_gives_sane_figures() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("copy-bench-smoke");
    let _ = std::fs::remove_dir_all(&dir);
    let settings = Settings {
        n: 1000,
        seed: 7,
        queries: 50,
        threads: vec![1, 2],
        write_corpus: Some(dir.clone()),
        baseline: true,
    };
    let f = run(&settings, &|_| {}).expect("benchmark runs");

    assert_eq!(f.members, 1000);
    assert!(f.documents > f.members, "templates and previous-year documents come on top");
    assert!(f.corpus_bytes > 1_000_000);
    assert!(f.build.seconds > 0.0 && f.build.mb_per_s > 0.0);
    assert_eq!(f.scaling.len(), 1);
    assert_eq!(f.scaling[0].threads, 2);

    assert_eq!(f.index.documents, f.documents);
    assert!(f.index.postings > 0);
    assert!(f.index.saved_bytes > 0 && f.index.ratio_to_corpus < 1.0, "{:?}", f.index);

    let q = &f.queries;
    assert_eq!((q.review.count, q.copy_only.count, q.with_copy_report), (50, 50, 50));
    assert!(q.review.p50_ms > 0.0 && q.review.p50_ms <= q.review.p99_ms);
    assert!(q.with_copies > 0 && q.mean_copy_ratio > 0.0, "the corpus injects copies: {q:?}");

    assert!(f.memory.after_queries.peak_bytes.is_none_or(|b| b > 0));
    let baseline = f.baseline.as_ref().expect("baseline ran");
    assert!(baseline.postings > 0 && baseline.query.count == 50);

    let written = std::fs::read_dir(dir.join("docs")).expect("docs written").count();
    assert_eq!(written, f.documents);
    let sample = std::fs::read_to_string(dir.join("sample.txt")).expect("sample written");
    assert_eq!(sample.lines().count(), 50);
    assert!(sample.lines().all(|id| dir.join("docs").join(format!("{id}.txt")).is_file()));
    std::fs::remove_dir_all(&dir).expect("cleaned up");

    let table = render(&f);
    assert!(table.contains("review_against × 50"), "{table}");
}
