//! Synthetic 对照检查材料 with exact ground truth, for measuring copy detection
//! (precision and recall), for benchmarks at 1k–1M documents, and for filling a demo
//! county's database. Pure: no file or network I/O — the CLI writes the files.
//!
//! Every document reads like a real material — optional title, opening paragraph,
//! 一、存在的主要问题 with one section per campaign aspect (（一） mostly, sometimes 1.)
//! holding two to four problems 一是…二是…, sometimes a 有关事项报告 section, causes and
//! measures that take up the problems' key words — and is written from many small
//! combinable fragments so that independently written documents share no long run of
//! text by accident (`tests/overlap.rs` measures it: with all injections off, under
//! 0.01% of 20-character runs and about 0.6% of 13-character runs recur in another
//! document).
//!
//! Into the documents the generator injects what reviewers look for, each altered by
//! one [`Edit`]:
//! - passages copied from another member's *earlier* document ([`SourceKind::Member`]),
//!   drawn from the last [`Config::window`] members only, so memory stays bounded;
//! - passages copied from template documents ([`DocKind::Template`], generated first);
//! - repeats of the author's own previous-year document ([`DocKind::PreviousYear`],
//!   yielded right before the member's document);
//! - stock sentences (套话) from [`boilerplate_pool`], Zipf-distributed (s = 1.1).
//!
//! Copies take whole problem items or runs of one to four own sentences of at least
//! 20 characters, never text that was itself injected, so every copy has exactly one
//! source. Every injection, every occurrence of a mandated phrase ([`Config::mandated`])
//! and every structural heading is reported as an [`Injection`] with char offsets (end
//! exclusive) in the final text, edits included; for a copy also the span in the
//! source's text. [`SourceKind::Mandated`] and [`SourceKind::Heading`] rows mark text
//! that every material legitimately shares and a copy check must net out.
//!
//! Use [`generate`] for a corpus in memory, or iterate a [`Generator`] to stream
//! documents one at a time (about 10,000 documents per second on one core).
//!
//! The output depends only on the [`Config`] and this crate's code: every draw comes
//! from a ChaCha8 stream keyed by the seed (one stream per document), and every
//! distribution is sampled here with integer and basic IEEE arithmetic, so neither a
//! new `rand` version nor another platform changes a corpus.
//!
//! ```
//! use mingjing_corpus::{Config, Generator, SourceKind};
//!
//! let aspects = ["政治纪律", "廉洁纪律", "群众纪律"].map(String::from).to_vec();
//! let config = Config::new(20, 42, aspects);
//! let mut copies = 0;
//! for generated in Generator::new(config).expect("valid config") {
//!     let text: Vec<char> = generated.document.text.chars().collect();
//!     for t in &generated.truth {
//!         assert!(t.start < t.end && t.end <= text.len());
//!         copies += usize::from(matches!(t.kind, SourceKind::Member | SourceKind::Template));
//!     }
//! }
//! assert!(copies > 0);
//! ```

mod compose;
mod config;
mod edit;
mod generator;
mod grammar;
mod lexicon;
mod model;
mod rng;

pub use config::{Config, ConfigError, EditWeights, Rates, default_mandated, notice_title};
pub use generator::{Generator, boilerplate_pool, generate};
pub use model::{Corpus, DocKind, Document, Edit, Generated, Injection, SourceKind};
