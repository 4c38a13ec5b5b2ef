//! What to generate: how many documents, for which campaign, and how often each kind of
//! copying happens. Everything has a default tuned to give a realistic mix; the CLI
//! exposes the numbers so tests can switch single behaviours on or off.

use serde::{Deserialize, Serialize};

use crate::model::Edit;

/// How likely each kind of injection is, per document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Share of member documents with at least one passage copied from an earlier
    /// member's document (the first document has nobody to copy from).
    pub member_copy: f64,
    /// Share of member documents with at least one passage copied from a template.
    pub template_copy: f64,
    /// Share of documents (members, previous-year documents, templates) with at least
    /// one stock sentence.
    pub boilerplate: f64,
    /// Among authors with a previous-year document, the share whose current document
    /// repeats part of it. Below 1 so that the same author writing twice independently
    /// is also in the corpus, as a negative for precision.
    pub previous_year_copy: f64,
    /// Once a document has one injection of a kind, the chance of each further one of
    /// that kind (at most 4 per kind).
    pub repeat: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Self { member_copy: 0.30, template_copy: 0.20, boilerplate: 0.60, previous_year_copy: 0.9, repeat: 0.35 }
    }
}

impl Rates {
    /// No injections at all: every document is written independently.
    pub fn none() -> Self {
        Self { member_copy: 0.0, template_copy: 0.0, boilerplate: 0.0, previous_year_copy: 0.0, repeat: 0.0 }
    }
}

/// Relative weights of the edits applied to each copied passage (they need not sum
/// to 1). An edit that cannot change a given passage (no digits for `Width`, one clause
/// for `Reorder`…) is not drawn for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditWeights {
    pub verbatim: f64,
    pub width: f64,
    pub punctuation: f64,
    pub traditional: f64,
    /// `CharEdits(n)` with n drawn uniformly from 1–3.
    pub char_edits: f64,
    pub synonym: f64,
    pub reorder: f64,
    pub noise: f64,
    pub line_breaks: f64,
}

impl Default for EditWeights {
    fn default() -> Self {
        Self {
            verbatim: 2.0,
            width: 1.0,
            punctuation: 1.0,
            traditional: 1.0,
            char_edits: 1.0,
            synonym: 1.0,
            reorder: 1.0,
            noise: 1.0,
            line_breaks: 1.0,
        }
    }
}

impl EditWeights {
    /// Only verbatim copies.
    pub fn verbatim_only() -> Self {
        Self {
            verbatim: 1.0,
            width: 0.0,
            punctuation: 0.0,
            traditional: 0.0,
            char_edits: 0.0,
            synonym: 0.0,
            reorder: 0.0,
            noise: 0.0,
            line_breaks: 0.0,
        }
    }

    pub(crate) fn weight(&self, edit: Edit) -> f64 {
        match edit {
            Edit::Verbatim => self.verbatim,
            Edit::Width => self.width,
            Edit::Punctuation => self.punctuation,
            Edit::Traditional => self.traditional,
            Edit::CharEdits(_) => self.char_edits,
            Edit::Synonym => self.synonym,
            Edit::Reorder => self.reorder,
            Edit::Noise => self.noise,
            Edit::LineBreaks => self.line_breaks,
        }
    }

    fn all(&self) -> [f64; 9] {
        [
            self.verbatim,
            self.width,
            self.punctuation,
            self.traditional,
            self.char_edits,
            self.synonym,
            self.reorder,
            self.noise,
            self.line_breaks,
        ]
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Number of member documents. Previous-year documents and templates come on top.
    pub n: usize,
    pub seed: u64,
    /// The campaign year (2024 → the 2024年度 meeting held early 2025).
    pub year: u16,
    /// The campaign's aspect titles for members, one problems section each, in order.
    pub aspects: Vec<String>,
    /// Wording every material carries; each occurrence is reported as `Mandated`.
    pub mandated: Vec<String>,
    pub rates: Rates,
    pub edits: EditWeights,
    /// Share of authors who also get a previous-year document.
    pub previous_year_share: f64,
    /// Number of template documents, generated before all members.
    pub template_count: usize,
    /// How many of the most recent member documents can be copied from. Bounds memory:
    /// the generator keeps these texts and nothing older.
    pub window: usize,
    /// Share of documents with a 有关事项报告 section.
    pub matters_report_share: f64,
    /// Share of documents with a title line.
    pub title_share: f64,
}

impl Config {
    /// `n` member documents for the given campaign aspects, everything else default.
    pub fn new(n: usize, seed: u64, aspects: Vec<String>) -> Self {
        let year = 2024;
        Self {
            n,
            seed,
            year,
            aspects,
            mandated: default_mandated(year),
            rates: Rates::default(),
            edits: EditWeights::default(),
            previous_year_share: 0.15,
            template_count: 50,
            window: 512,
            matters_report_share: 0.4,
            title_share: 0.8,
        }
    }

    /// Changes the year, and the notice title among the mandated phrases with it.
    pub fn with_year(mut self, year: u16) -> Self {
        let old = notice_title(self.year);
        for phrase in &mut self.mandated {
            if *phrase == old {
                *phrase = notice_title(year);
            }
        }
        self.year = year;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.aspects.is_empty() {
            return Err(ConfigError::NoAspects);
        }
        if let Some(a) = self.aspects.iter().find(|a| a.trim().is_empty() || a.contains('\n')) {
            return Err(ConfigError::BadAspect(a.clone()));
        }
        if self.aspects.len() > 20 {
            return Err(ConfigError::TooManyAspects(self.aspects.len()));
        }
        if self.mandated.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyMandated);
        }
        if !(1001..=9999).contains(&self.year) {
            return Err(ConfigError::Year(self.year));
        }
        let r = &self.rates;
        let probabilities = [
            ("rates.member_copy", r.member_copy),
            ("rates.template_copy", r.template_copy),
            ("rates.boilerplate", r.boilerplate),
            ("rates.previous_year_copy", r.previous_year_copy),
            ("rates.repeat", r.repeat),
            ("previous_year_share", self.previous_year_share),
            ("matters_report_share", self.matters_report_share),
            ("title_share", self.title_share),
        ];
        for (name, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::Probability { name, value: p });
            }
        }
        let weights = self.edits.all();
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
            return Err(ConfigError::EditWeights);
        }
        if self.window == 0 {
            return Err(ConfigError::Window);
        }
        Ok(())
    }
}

/// The title of the annual notice, quoted in every opening paragraph.
pub fn notice_title(year: u16) -> String {
    format!("关于召开{year}年度组织生活会和开展民主评议党员工作的通知")
}

/// The mandated wording of a campaign of `year`: the theory's name, the congress
/// spirit, the notice's title and the standard formulas every material quotes.
pub fn default_mandated(year: u16) -> Vec<String> {
    let mut phrases: Vec<String> = crate::lexicon::MANDATED.iter().map(|s| (*s).to_owned()).collect();
    phrases.push(notice_title(year));
    phrases
}

/// Why a configuration cannot be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("the campaign has no aspects: a material needs at least one problems section")]
    NoAspects,
    #[error("aspect title {0:?} is empty or spans lines")]
    BadAspect(String),
    #[error("{0} aspects is more than the 20 a material can be numbered with")]
    TooManyAspects(usize),
    #[error("a mandated phrase is empty")]
    EmptyMandated,
    #[error("year {0} is not a four-digit year")]
    Year(u16),
    #[error("{name} = {value} is not a probability between 0 and 1")]
    Probability { name: &'static str, value: f64 },
    #[error("edit weights must be finite, non-negative, and not all zero")]
    EditWeights,
    #[error("the copy window must hold at least one document")]
    Window,
}
