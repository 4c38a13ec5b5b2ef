//! Index build as a caller does it: every text decoded, normalized and cut to its
//! skeleton (`SourceDoc`), its fingerprints hashed, all in parallel on `threads` cores,
//! then one `Index::build`. The `SourceDoc`s then go into a `MemoryTexts`, the caller's
//! text store, which copy detection reads candidates' texts from; it is timed apart
//! because a server would keep texts in its database, not in this store.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use mingjing_review::Source;
use mingjing_review::copy::{
    BuildDoc, Index, MemoryTexts, Params, SourceDoc, chars_hashes, document_hashes, significant_chars, write_index,
};
use mingjing_review::normalize::NormText;
use rayon::prelude::*;
use serde::Serialize;

use crate::corpus::Doc;

/// Where the time of one build went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BuildTiming {
    pub threads: usize,
    /// Wall time of the whole build: per-document work and `Index::build`.
    pub seconds: f64,
    /// Corpus UTF-8 megabytes (10^6) per wall second.
    pub mb_per_s: f64,
    pub mb_per_s_per_core: f64,
    /// Wall time of the per-document part (parallel).
    pub documents_seconds: f64,
    /// Wall time of `Index::build` (one thread: it sorts all postings).
    pub index_seconds: f64,
    /// CPU time summed over documents: decode and normalize (`Source`, `NormText`,
    /// `SourceDoc`)…
    pub normalize_cpu_seconds: f64,
    /// …and winnowing (`document_hashes`).
    pub hash_cpu_seconds: f64,
}

/// A built index and the caller's store of texts.
#[derive(Debug)]
pub struct Built {
    pub index: Index,
    pub texts: MemoryTexts,
    pub timing: BuildTiming,
    /// Filling the `MemoryTexts` (not part of the build figure).
    pub store_seconds: f64,
}

struct Prepared {
    doc: SourceDoc,
    hashes: Vec<u32>,
    normalize: Duration,
    hash: Duration,
}

fn prepare(d: &Doc) -> anyhow::Result<Prepared> {
    let started = Instant::now();
    let source = Source::from_text(d.text.as_str()).with_context(|| format!("document {}", d.id))?;
    let doc = SourceDoc::new(NormText::new(&source));
    let normalized = Instant::now();
    let hashes = document_hashes(&doc.skeleton, Params::default());
    let hash = normalized.elapsed();
    Ok(Prepared { doc, hashes, normalize: normalized - started, hash })
}

/// Builds the index of all documents on `threads` threads (at least one).
pub fn build(docs: &[Doc], bytes: u64, threads: usize) -> anyhow::Result<Built> {
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("thread pool")?;
    let started = Instant::now();
    let prepared: Vec<Prepared> = pool.install(|| docs.par_iter().map(prepare).collect::<anyhow::Result<_>>())?;
    let documents_done = Instant::now();
    let index = Index::build(
        Params::default(),
        docs.iter().zip(&prepared).map(|(d, p)| BuildDoc {
            id: &d.id,
            author: d.author.as_deref(),
            kind: d.kind,
            chars: p.doc.skeleton.len(),
            hashes: &p.hashes,
        }),
    )
    .context("index build")?;
    let finished = Instant::now();
    let seconds = (finished - started).as_secs_f64();
    let timing = BuildTiming {
        threads,
        seconds,
        mb_per_s: bytes as f64 / 1e6 / seconds,
        mb_per_s_per_core: bytes as f64 / 1e6 / seconds / threads as f64,
        documents_seconds: (documents_done - started).as_secs_f64(),
        index_seconds: (finished - documents_done).as_secs_f64(),
        normalize_cpu_seconds: prepared.iter().map(|p| p.normalize.as_secs_f64()).sum(),
        hash_cpu_seconds: prepared.iter().map(|p| p.hash.as_secs_f64()).sum(),
    };
    let stored = Instant::now();
    let mut texts = MemoryTexts::default();
    for (d, p) in docs.iter().zip(prepared) {
        texts.insert(&d.id, Arc::new(p.doc));
    }
    Ok(Built { index, texts, timing, store_seconds: stored.elapsed().as_secs_f64() })
}

/// The build on one thread of a caller that keeps no texts (`mingjing index build`, or a server whose texts live
/// in its database): each text decoded and cut straight to its significant chars (`significant_chars`, equal to the
/// skeleton of the normalized text), winnowed, then one `Index::build`.
pub fn index_only(docs: &[Doc], bytes: u64) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    let mut hashes = Vec::with_capacity(docs.len());
    let mut chars = Vec::with_capacity(docs.len());
    for d in docs {
        let source = Source::from_text(d.text.as_str()).with_context(|| format!("document {}", d.id))?;
        let significant = significant_chars(source.text());
        chars.push(significant.len());
        hashes.push(chars_hashes(&significant, Params::default()));
    }
    let index = Index::build(
        Params::default(),
        docs.iter().zip(&hashes).zip(&chars).map(|((d, h), &chars)| BuildDoc {
            id: &d.id,
            author: d.author.as_deref(),
            kind: d.kind,
            chars,
            hashes: h,
        }),
    )
    .context("index build")?;
    let seconds = started.elapsed().as_secs_f64();
    drop(index);
    Ok((seconds, bytes as f64 / 1e6 / seconds))
}

/// Counts what is written and keeps nothing.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Size of the index as `write_index` saves it.
pub fn saved_size(index: &mut Index) -> io::Result<u64> {
    let mut counter = Counter(0);
    write_index(index, &mut counter)?;
    Ok(counter.0)
}
