//! The exact-clause-hash baseline: what the simplest copy finder does. Every clause of
//! eight or more significant chars (cut as copy detection cuts them) is hashed whole,
//! and a material's candidates are the documents sharing any clause hash with it. It
//! misses any clause with one char changed, so it bounds how fast candidate retrieval
//! can be, not how good. Timed from raw text, normalization included, on one thread,
//! as ours is with `--threads 1`.

use std::hash::Hasher;
use std::time::Instant;

use anyhow::Context;
use mingjing_review::Source;
use mingjing_review::copy::{self, Skeleton};
use mingjing_review::normalize::NormText;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use serde::Serialize;

use crate::corpus::Doc;
use crate::stats::Latency;

/// Shortest clause hashed, in significant chars (as `CopyOptions::min_clause`).
const MIN_CLAUSE: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineFigures {
    pub build_seconds: f64,
    pub mb_per_s: f64,
    /// Clause postings (one per distinct clause per document) and distinct clauses.
    pub postings: usize,
    pub distinct_clauses: usize,
    /// Heap bytes of the map: table slots plus posting vectors, by capacity.
    pub memory_bytes: u64,
    pub query: Latency,
    /// Other documents sharing at least one clause, per query.
    pub mean_candidates: f64,
}

fn clause_hashes(text: &str) -> anyhow::Result<Vec<u64>> {
    let norm = NormText::new(&Source::from_text(text).context("document text")?);
    let skeleton = Skeleton::new(&norm);
    let mut hashes: Vec<u64> = copy::clauses(&norm, &skeleton)
        .into_iter()
        .filter(|c| c.len() >= MIN_CLAUSE)
        .map(|c| {
            let mut h = FxHasher::default();
            for &ch in &skeleton.chars[c] {
                h.write_u32(u32::from(ch));
            }
            h.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    Ok(hashes)
}

/// Builds the clause map of all documents and looks up every sampled one.
pub fn run(docs: &[Doc], bytes: u64, sample: &[usize]) -> anyhow::Result<BaselineFigures> {
    let started = Instant::now();
    let mut map: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut postings = 0;
    for (n, d) in docs.iter().enumerate() {
        for h in clause_hashes(&d.text).with_context(|| format!("document {}", d.id))? {
            map.entry(h).or_default().push(n as u32);
            postings += 1;
        }
    }
    let build_seconds = started.elapsed().as_secs_f64();
    let slot = std::mem::size_of::<(u64, Vec<u32>)>() as u64 + 1;
    let memory_bytes = map.capacity() as u64 * slot + map.values().map(|v| v.capacity() as u64 * 4).sum::<u64>();

    let mut times = Vec::with_capacity(sample.len());
    let mut candidates_total = 0usize;
    let mut found: FxHashSet<u32> = FxHashSet::default();
    for &i in sample {
        let Some(d) = docs.get(i) else { continue };
        let started = Instant::now();
        found.clear();
        for h in clause_hashes(&d.text)? {
            if let Some(docs) = map.get(&h) {
                found.extend(docs.iter().copied().filter(|&other| other as usize != i));
            }
        }
        times.push(started.elapsed());
        candidates_total += found.len();
    }
    Ok(BaselineFigures {
        build_seconds,
        mb_per_s: bytes as f64 / 1e6 / build_seconds,
        postings,
        distinct_clauses: map.len(),
        memory_bytes,
        query: Latency::of(&times),
        mean_candidates: if times.is_empty() { 0.0 } else { candidates_total as f64 / times.len() as f64 },
    })
}
