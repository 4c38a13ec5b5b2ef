//! Review latency against the full index, on the calling thread only: the whole review
//! (`review_against`: parse, every check, copy detection) and copy detection alone
//! (`copy::check` on an already parsed material). Each sampled material is itself in
//! the index, as it would be once submitted; its id in the `Querier` keeps it from
//! matching itself.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context;
use mingjing_review::copy::{self, CopyOptions, Querier};
use mingjing_review::structure::Material;
use mingjing_review::{Audience, Corpus, Options, Source, review_against};
use serde::Serialize;

use crate::build::Built;
use crate::corpus::Documents;

/// Latencies and what the reviews found, so a fast but empty answer shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryFigures {
    /// Parse + every check + copy detection (`review_against`).
    pub review: crate::stats::Latency,
    /// `copy::check` alone, on a parsed material.
    pub copy_only: crate::stats::Latency,
    /// Candidate retrieval from the raw text (decode, significant chars, winnow, walk the postings): what a
    /// MinHash-LSH query does (shingle, MinHash, look up the bands), so the like-for-like comparison.
    pub retrieval: crate::stats::Latency,
    /// Candidates per material from retrieval (others, not the same author's earlier years).
    pub mean_candidates: f64,
    /// Reviews that returned a copy report.
    pub with_copy_report: usize,
    /// Reviews that found at least one copied span from another author.
    pub with_copies: usize,
    pub mean_copy_ratio: f64,
    /// The untimed first review, which loads jieba's dictionary.
    pub warmup_seconds: f64,
    pub postings: PostingFigures,
}

/// What candidate selection has to walk per material, on average: every posting of the
/// material's fingerprints up to the candidate limit, and of the more common ones only
/// the postings of templates (the author's own earlier materials are looked up, not walked).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PostingFigures {
    /// Distinct fingerprints of a material.
    pub fingerprints: f64,
    /// Postings visited.
    pub visited: f64,
    /// Of those, template postings of fingerprints above the candidate limit (`common_share` of the documents,
    /// at least 64).
    pub visited_common: f64,
    /// Fingerprints above the candidate limit, whose member postings are not visited.
    pub skipped_fingerprints: f64,
}

fn postings(
    built: &Built,
    materials: &[(Material, Vec<std::ops::Range<usize>>)],
    options: &CopyOptions,
) -> PostingFigures {
    let index = &built.index;
    // As CopyOptions::candidate_df, which is private to the review crate.
    let common = ((index.len() as f64 * options.common_share) as usize).max(64);
    let mut sum = PostingFigures::default();
    for (material, _) in materials {
        let hashes = copy::document_hashes(&copy::Skeleton::new(&material.text), index.params());
        sum.fingerprints += hashes.len() as f64;
        for h in hashes {
            let (sorted, pending) = index.lookup(h);
            let df = sorted.len() + pending.len();
            if df > common {
                let special = index.templates_posted(h).count() as f64;
                sum.skipped_fingerprints += 1.0;
                sum.visited += special;
                sum.visited_common += special;
            } else {
                sum.visited += df as f64;
            }
        }
    }
    let n = materials.len().max(1) as f64;
    PostingFigures {
        fingerprints: sum.fingerprints / n,
        visited: sum.visited / n,
        visited_common: sum.visited_common / n,
        skipped_fingerprints: sum.skipped_fingerprints / n,
    }
}

/// Reviews every sampled document against the whole index.
pub fn run(corpus: &Documents, built: &Built, sample: &[usize]) -> anyhow::Result<QueryFigures> {
    let campaign = &corpus.campaign;
    let options = Options::default();
    let copy_options = CopyOptions::default();
    let against = Corpus { index: &built.index, texts: &built.texts, options: &copy_options };
    let queries: Vec<(Source, Querier<'_>)> = sample
        .iter()
        .filter_map(|&i| corpus.docs.get(i))
        .map(|d| {
            let source = Source::from_text(d.text.as_str()).with_context(|| format!("document {}", d.id))?;
            Ok((source, Querier { id: Some(d.id.as_str()), author: d.author.as_deref() }))
        })
        .collect::<anyhow::Result<_>>()?;

    let warmup = Instant::now();
    if let Some((source, me)) = queries.first() {
        black_box(review_against(source, campaign, Audience::Member, &options, &against, me));
    }
    let warmup_seconds = warmup.elapsed().as_secs_f64();

    let mut review_times = Vec::with_capacity(queries.len());
    let (mut with_copy_report, mut with_copies, mut ratio_sum) = (0, 0, 0.0);
    for (source, me) in &queries {
        let started = Instant::now();
        let review = review_against(source, campaign, Audience::Member, &options, &against, me);
        review_times.push(started.elapsed());
        if let Some(report) = &review.copy {
            with_copy_report += 1;
            with_copies += usize::from(!report.copies.is_empty());
            ratio_sum += report.copy_ratio;
        }
        black_box(review);
    }

    // A second pass rather than interleaving, so that copy detection does not find the
    // candidates' texts still in cache from the review just before.
    let mandated = campaign.mandated_phrases(Audience::Member);
    let parsed: Vec<(Material, Vec<std::ops::Range<usize>>)> = queries
        .iter()
        .map(|(source, _)| {
            let material = Material::parse(source);
            let headings = material.headings();
            (material, headings)
        })
        .collect();
    let mut copy_times: Vec<Duration> = Vec::with_capacity(queries.len());
    for ((material, headings), (_, me)) in parsed.iter().zip(&queries) {
        let started = Instant::now();
        let report = copy::check(&built.index, &built.texts, &material.text, headings, &mandated, me, &copy_options);
        copy_times.push(started.elapsed());
        black_box(report);
    }

    let mut retrieval_times: Vec<Duration> = Vec::with_capacity(queries.len());
    let mut candidates = 0usize;
    for (d, (_, me)) in sample.iter().filter_map(|&i| corpus.docs.get(i)).zip(&queries) {
        let started = Instant::now();
        let source = Source::from_text(d.text.as_str()).with_context(|| format!("document {}", d.id))?;
        let chars = copy::significant_chars(source.text());
        let (others, _) = copy::candidate_sources(&built.index, &chars, me, &copy_options);
        retrieval_times.push(started.elapsed());
        candidates += others.len();
        black_box(others);
    }

    Ok(QueryFigures {
        review: crate::stats::Latency::of(&review_times),
        copy_only: crate::stats::Latency::of(&copy_times),
        retrieval: crate::stats::Latency::of(&retrieval_times),
        mean_candidates: candidates as f64 / retrieval_times.len().max(1) as f64,
        with_copy_report,
        with_copies,
        mean_copy_ratio: if with_copy_report == 0 { 0.0 } else { ratio_sum / with_copy_report as f64 },
        warmup_seconds,
        postings: postings(built, &parsed, &copy_options),
    })
}
