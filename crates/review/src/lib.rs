//! The review engine of 明镜: reads one 对照检查材料 (self-inspection material) and reports
//! its structure, how it covers the campaign's required aspects, and its faults.
//!
//! The crate is pure: it reads only the bytes it is handed, touches no file, network or
//! database, and spawns nothing, so the CLI, the web server and the tests share it as is.
//!
//! ```
//! use mingjing_review::{campaign::Campaign, input, review, Audience, Options};
//!
//! let bytes = "一、存在的主要问题\n（一）政治方面\n一是学习不够。二是落实不够。\n\
//!              二、原因分析\n一是重视不够。\n三、整改措施\n一是加强学习。"
//!     .as_bytes();
//! let source = input::read("material.txt", bytes).expect("readable");
//! let campaign = Campaign::builtin("2021-annual").expect("built in");
//! let report = review(&source, &campaign, Audience::Member, &Options::default());
//! assert_eq!(report.aspects.iter().filter(|a| a.covered).count(), 1);
//! assert_eq!(report.causes.len(), 1);
//! ```

pub mod campaign;
pub mod checks;
pub mod copy;
pub mod draft;
pub mod input;
pub mod normalize;
pub mod report;
pub mod segment;
pub mod span;
pub mod structure;

pub use campaign::{Audience, Campaign};
pub use draft::Draft;
pub use input::{ReadError, Source};
pub use report::{Corpus, ListedProblem, Options, Review, review, review_against};
pub use span::Span;
